import Foundation
import OpenAPIRuntime
import PortalAPI
import PortalStore
import PortalTestSupport
import PorttiModel
import ReceiptProof
import Testing

/// The portal signs each confirmation of receipt as it receives the message, keeps the signed form, and
/// publishes its public keys; the private key is in no answer and no log.
@Suite struct SignedReceiptTests {
    @Test func receipt_isSignedOnReceipt_aRepeatAnswersTheSameSignedForm_andTheKeysArePublished() async throws {
        let portal = try await TestPortal.start(logLevel: .trace)
        do {
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let attachment = try await client.upload(Samples.pdf, name: "contract.pdf").created.body.json
            let draft = Components.Schemas.MessageDraft(message: "The contract.\n", attachmentIds: [attachment.id])
            let first = try await client.respondToRequest(
                path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "once"), body: .json(draft)
            ).created.body.json
            let jws = try #require(first.signed)
            let again = try await client.respondToRequest(
                path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "once"), body: .json(draft)
            ).created.body.json
            #expect(again.signed == jws, "a repeat of the same key answers the same signed receipt")
            #expect(try await client.getReceipt(path: .init(receiptNumber: first.number)).ok.body.json.signed == jws)

            // The keys need no token; each is a public Ed25519 JWK named by its thumbprint.
            let published = try await portal.raw(.get, "/receipt-keys")
            #expect(published.status == 200)
            let keys = try JSONDecoder().decode(ReceiptKeySet.self, from: Data(published.body.utf8))
            let stored = try await portal.store.receiptSigningKeys()
            #expect(keys.keys.map(\.kid) == stored.map(\.kid))
            #expect(keys.keys.allSatisfy { $0.isWellFormed })
            var statement = ReceiptStatement(
                receipt: first.number, receivedAt: first.receivedAt,
                applicant: .init(id: world.applicant.applicant.id, username: "aino"),
                application: .init(id: world.application.id, reference: first.applicationReference), request: world.request.id,
                textSHA256: ReceiptStatement.sha256("The contract.\n"),
                files: [.init(name: "contract.pdf", size: attachment.size, sha256: attachment.sha256)])
            let files = statement.files
            // The answer's time is in whole seconds; the signed one has the milliseconds.
            let signedTime = try #require(try await ReceiptKeys.verify(jws, keys: ReceiptKeySet(keys: []), text: nil, files: nil) == .unknownKey(kid: stored.first?.kid)
                ? ReceiptKeysTestPayload.receivedAt(jws) : nil)
            #expect(signedTime.hasPrefix(String(statement.receivedAt.prefix(19))))
            statement.receivedAt = signedTime
            let verdict = await ReceiptKeys.verify(jws, keys: keys, text: "The contract.\n", files: files)
            #expect(verdict == .valid(statement, kid: stored[0].kid), "\(verdict)")

            // The private key is in no answer and no log line, whatever the level.
            for key in stored {
                let secrets = [ReceiptKeys.base64URL(key.privateKey), key.privateKey.base64EncodedString()]
                for secret in secrets {
                    #expect(!published.body.contains(secret))
                    #expect(!portal.logs.entries.contains { $0.contains(secret) })
                }
            }
            #expect(!published.body.contains(#""d""#))
            #expect(portal.logs.entries.contains { $0.contains(stored[0].kid) }, "the log names the key by its kid")
        } catch {
            await portal.stop()
            portal.removeData()
            throw error
        }
        await portal.stop()
        portal.removeData()
    }
}

enum ReceiptKeysTestPayload {
    /// The `receivedAt` the JWS's payload states.
    static func receivedAt(_ jws: String) -> String? {
        let part = jws.split(separator: ".")[1]
        var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["receivedAt"] as? String
    }
}
