import Foundation
import PortalStore
import PorttiModel
import ReceiptProof
import Testing

/// The signed receipts and their keys, on every store (the contract suite's `withData`), and the signing and
/// checking that the portal and the client share.
@Suite struct SignedReceiptStoreTests {
    private let now = Date(timeIntervalSince1970: 1_790_000_000)

    @Test(arguments: StoreKind.allCases)
    func signedReceipt_firstKeptStays_andKeysRotateWithOldOnesKept(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let store = try await data.openInstance()
            #expect(try await store.receiptSigningKeys().isEmpty)
            let first = ReceiptSigningKey.generate(now: now)
            #expect(try await store.addReceiptSigningKey(first, onlyIfNone: true) == first)
            // Another portal starting over the same data keeps the key there.
            let other = try await data.openInstance()
            #expect(try await other.addReceiptSigningKey(.generate(now: now), onlyIfNone: true) == first)
            let rotated = ReceiptSigningKey.generate(now: now + 60)
            #expect(try await other.addReceiptSigningKey(rotated, onlyIfNone: false) == rotated)
            #expect(try await store.receiptSigningKeys().map(\.kid) == [first.kid, rotated.kid], "the old key stays, first")
            #expect(try await store.receiptSigningKeys().last?.privateKey == rotated.privateKey)

            let applicant = try await store.createApplicant(username: "aino", displayName: "Aino", passwordHash: "h", now: now)
            let application = try await store.createApplication(applicantID: applicant.id, type: .citizenship, now: now)
            let message = NewMessage(applicantID: applicant.id, idempotencyKey: "k1", target: .application(application.id),
                                     text: "Hello", attachmentIDs: [], now: now)
            let receipt = try await store.receiveMessage(message)
            #expect(receipt.signed == nil)
            let kept = try await store.keepSignedReceipt(number: receipt.number, applicantID: applicant.id, signed: "a.b.c")
            #expect(kept?.signed == "a.b.c")
            // A second signature (a repeat signed at the same moment elsewhere) does not replace the first.
            #expect(try await other.keepSignedReceipt(number: receipt.number, applicantID: applicant.id, signed: "x.y.z")?.signed == "a.b.c")
            #expect(try await store.receiveMessage(message).signed == "a.b.c", "a repeat of the send answers the signed receipt")
            #expect(try await store.receipt(number: receipt.number, applicantID: applicant.id)?.signed == "a.b.c")
            #expect(try await store.receipts(applicantID: applicant.id).map(\.signed) == ["a.b.c"])
            // Another applicant's receipt is not theirs to sign.
            let bo = try await store.createApplicant(username: "bo", displayName: "Bo", passwordHash: "h", now: now)
            #expect(try await store.keepSignedReceipt(number: receipt.number, applicantID: bo.id, signed: "q.q.q") == nil)
        }
    }

    /// A key set written by another JOSE tool may leave out `alg` and `use` (both optional, RFC 7517 §4.2, §4.4):
    /// it is read, and its keys are the same keys.
    @Test func aKeySetWithoutAlgOrUse_isRead() throws {
        let key = ReceiptSigningKey.generate(now: Date())
        let full = try JSONEncoder().encode(ReceiptKeySet(keys: [key.publicJWK]))
        var object = try #require(try JSONSerialization.jsonObject(with: full) as? [String: [[String: String]]])
        object["keys"] = object["keys"]?.map { $0.filter { $0.key != "alg" && $0.key != "use" } }
        let bare = try JSONSerialization.data(withJSONObject: object)
        let read = try JSONDecoder().decode(ReceiptKeySet.self, from: bare)
        #expect(read.keys == [key.publicJWK])
        #expect(read.key(kid: key.kid)?.isWellFormed == true)
    }

    @Test func statement_signsAndVerifies_andEachChangeIsTold() async throws {
        let key = ReceiptSigningKey.generate(now: now)
        let other = ReceiptSigningKey.generate(now: now)
        let receipt = Receipt(number: "2026-00000007", receivedAt: now, applicationID: "app_1", applicationReference: "MIG-2026-000001",
                              requestID: nil, files: [.init(name: "a.pdf", size: 10, sha256: String(repeating: "ab", count: 32))])
        let statement = ReceiptStatement(receipt, text: "Hello", applicant: .init(id: "applicant_1", username: "aino"))
        let jws = try await key.sign(statement)
        let keys = ReceiptKeySet(keys: [key.publicJWK])
        let files = [ReceiptStatement.File(name: "a.pdf", size: 10, sha256: String(repeating: "ab", count: 32))]
        #expect(await ReceiptKeys.verify(jws, keys: keys, text: "Hello", files: files) == .valid(statement, kid: key.kid))
        #expect(await ReceiptKeys.verify(jws, keys: keys, text: "Hellp", files: files) == .textChanged(statement))
        var changedFile = files
        changedFile[0].sha256 = String(repeating: "cd", count: 32)
        #expect(await ReceiptKeys.verify(jws, keys: keys, text: "Hello", files: changedFile) == .fileChanged(statement))
        #expect(await ReceiptKeys.verify(jws, keys: ReceiptKeySet(keys: [other.publicJWK]), text: "Hello", files: files)
            == .unknownKey(kid: key.kid))
        // A key passed off under another key's kid is not taken.
        var impostor = other.publicJWK
        impostor.kid = key.kid
        #expect(!impostor.isWellFormed)
        #expect(await ReceiptKeys.verify(jws, keys: ReceiptKeySet(keys: [impostor]), text: "Hello", files: files) == .unknownKey(kid: key.kid))
        #expect(await ReceiptKeys.verify("not a jws", keys: keys, text: nil, files: nil) == .badSignature)
        // The payload is sorted JSON, the time in UTC with milliseconds; the private key is in no description.
        let payload = try #require(ReceiptKeysTestSupport.payload(jws))
        #expect(payload.hasPrefix(#"{"applicant":{"id":"applicant_1","username":"aino"},"application":{"id":"app_1","reference":"MIG-2026-000001"},"files":[{"#))
        #expect(payload.contains(#""receivedAt":"2026-09-21T"#))
        #expect(!"\(key)".contains(ReceiptKeys.base64URL(key.privateKey)))
    }
}

enum ReceiptKeysTestSupport {
    /// The JWS's payload as text.
    static func payload(_ jws: String) -> String? {
        let part = jws.split(separator: ".")[1]
        var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }
    }
}
