import Foundation
import PortalTestSupport
import PorttiModel
import ReceiptProof
import Testing

/// Signed receipts from the command line: every receipt is checked as it arrives, an export verifies with a
/// third party's JOSE library and offline with `portti receipts verify`, any change to it is told, and the same
/// message is not sent twice unless asked.
@Suite struct SignedReceiptCommandTests {
    @Test func export_verifiesWithJwcrypto_andOffline_andEachTamperingIsTold() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let message = try applicant.file("message.txt", Array("Here is the contract. Ä\n".utf8))
            let pdf = try applicant.file("contract.pdf", Samples.pdf)
            let sent = try await applicant.run(["send", application.id, "--message-file", message, "--attach", pdf])
            #expect(sent.status == 0, "\(sent.err)")
            // Rotated: the next receipt is signed with a new key, and the first still verifies with the old one.
            let rotated = try await applicant.run(["officer", "rotate-receipt-key", "--data", portal.configuration.dataFolder.path])
            #expect(rotated.status == 0, "\(rotated.err)")
            #expect(rotated.out.contains("2 keys"), "\(rotated.out)")
            let second = try applicant.file("second.txt", Array("And my new address.".utf8))
            #expect(try await applicant.run(["send", application.id, "--message-file", second]).status == 0)
            let listed = try await applicant.run(["receipts"])
            #expect(listed.out.contains("Signed by the portal and verified. Key fingerprint: "), "\(listed.out)")

            let export = applicant.home.appending(path: "receipts.json").path
            let exported = try await applicant.run(["receipts", "--export", export])
            #expect(exported.status == 0, "\(exported.err)")
            let document = try ReceiptExport.decode(Data(contentsOf: URL(filePath: export)))
            #expect(document.receipts.count == 2)
            #expect(Set(document.keys.keys.map(\.kid)).count == 2)
            #expect(Set(document.receipts.compactMap { ReceiptKeys.kid(of: $0.jws) }).count == 2)

            // A third party's tool: jwcrypto, with nothing of Portti's.
            let checked = try await offThePool { try ChildProcess.run("/usr/bin/env", ["python3", "-c", Self.jwcryptoCheck, export]) }
            #expect(!checked.errors.contains("No module named"), "install jwcrypto: python3 -m pip install jwcrypto (.ci/run does)")
            #expect(checked.status == 0, "\(checked.errors)")
            #expect(checked.output.split(separator: "\n").filter { $0.hasPrefix("valid ") }.count == 2, "\(checked.output)")

            let verified = try await applicant.run(["receipts", "verify", export])
            #expect(verified.status == 0, "\(verified.err)")
            #expect(verified.out.contains("Valid confirmations of receipt: 2/2."), "\(verified.out)")

            // Each change, one at a time, in a copy.
            func verdict(_ change: (inout ReceiptExport) -> Void) async throws -> String {
                var copy = document
                change(&copy)
                let path = applicant.home.appending(path: "tampered-\(UUID().uuidString).json").path
                try copy.encoded().write(to: URL(filePath: path))
                let result = try await applicant.run(["receipts", "verify", path])
                #expect(result.status == 1, "a failed verification exits 1: \(result.out)")
                return result.out
            }
            let oldest = document.receipts.firstIndex { $0.text.hasPrefix("Here is") }!
            #expect(try await verdict { $0.receipts[oldest].text = "Here is the contract. Å\n" }.contains("text changed"))
            #expect(try await verdict { $0.receipts[oldest].files[0].sha256 = String(repeating: "0", count: 64) }.contains("file changed"))
            let oldestKey = ReceiptKeys.kid(of: document.receipts[oldest].jws)
            #expect(try await verdict { $0.keys.keys.removeAll { $0.kid == oldestKey } }.contains("unknown key"))
            #expect(try await verdict { $0.receipts[oldest].jws = Self.payloadChanged($0.receipts[oldest].jws) { $0.replacingOccurrences(of: #""receivedAt":"2"#, with: #""receivedAt":"1"#) } }
                .contains("bad signature"))
            #expect(try await verdict { $0.receipts[oldest].jws = Self.payloadChanged($0.receipts[oldest].jws) { $0.replacingOccurrences(of: #""receipt":"20"#, with: #""receipt":"21"#) } }
                .contains("bad signature"))
        }
    }

    @Test func theSameMessage_isRefusedUnlessAgain_andAFailingSignatureLeavesItInTheOutbox() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let message = try applicant.file("message.txt", Array("My new e-mail: aino@example.fi".utf8))
            let first = try await applicant.run(["send", application.id, "--message-file", message])
            #expect(first.status == 0, "\(first.err)")
            let number = try #require(try await portal.store.incomingMessages().first?.receipt.number)
            let twice = try await applicant.run(["send", application.id, "--message-file", message])
            #expect(twice.status == 1)
            #expect(twice.err.contains("was already sent on") && twice.err.contains(number) && twice.err.contains("--again"), "\(twice.err)")
            #expect(try await portal.store.incomingMessages().count == 1, "nothing was sent")
            let again = try await applicant.run(["send", application.id, "--message-file", message, "--again"])
            #expect(again.status == 0, "\(again.err)")
            #expect(try await portal.store.incomingMessages().count == 2)

            // A portal whose receipt does not verify (a signature of another key, kept in advance for the next
            // number): the user is told, and the message is not taken as delivered.
            let forger = ReceiptSigningKey.generate(now: portal.clock.now)
            let next = Receipt.number(sequence: 3, year: Calendar.portal.component(.year, from: portal.clock.now))
            let forged = try await forger.sign(ReceiptStatement(
                receipt: next, receivedAt: portal.clock.now, applicant: .init(id: "x", username: "aino"), application: nil,
                request: nil, textSHA256: "", files: []))
            let inserted = try await offThePool {
                try ChildProcess.run("/usr/bin/sqlite3", [portal.configuration.databasePath,
                                     "INSERT INTO signedReceipt (receiptNumber, jws) VALUES ('\(next)', '\(forged)')"])
            }
            #expect(inserted.status == 0, "\(inserted.errors)")
            let other = try applicant.file("other.txt", Array("Another thing.".utf8))
            let refused = try await applicant.run(["send", application.id, "--message-file", other])
            #expect(refused.status == 1)
            #expect(refused.err.contains("could not be verified"), "\(refused.err)")
            let outbox = try await applicant.run(["outbox", "--json"])
            #expect(outbox.out.contains("Another thing.") && outbox.out.contains("pending"), "\(outbox.out)")
            let kept = try await applicant.json([KeptReceipt].self, ["receipts"])
            #expect(!kept.contains { $0.receipt.number == next })
            #expect(kept.allSatisfy { $0.verifiedKey != nil })
        }
    }

    /// Verifies each receipt of an export (argv[1]) with jwcrypto and the export's own JWK Set, and the text's
    /// hash; prints "valid NUMBER" for each.
    static let jwcryptoCheck = """
        import hashlib, json, sys
        from jwcrypto import jwk, jws
        doc = json.load(open(sys.argv[1], encoding="utf-8"))
        keys = jwk.JWKSet.from_json(json.dumps(doc["keys"]))
        for entry in doc["receipts"]:
            token = jws.JWS()
            token.deserialize(entry["jws"])
            key = keys.get_key(token.jose_header["kid"])
            token.verify(key, alg="EdDSA")
            payload = json.loads(token.payload)
            assert payload["textSHA256"] == hashlib.sha256(entry["text"].encode("utf-8")).hexdigest()
            assert [f["sha256"] for f in payload["files"]] == [f["sha256"] for f in entry["files"]]
            print("valid", payload["receipt"])
        """

    /// `jws` with its payload changed by `change` and its signature kept.
    static func payloadChanged(_ jws: String, _ change: (String) -> String) -> String {
        let parts = jws.split(separator: ".").map(String.init)
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let payload = change(String(decoding: Data(base64Encoded: base64)!, as: UTF8.self))
        #expect(payload != String(decoding: Data(base64Encoded: base64)!, as: UTF8.self), "the change applies")
        return [parts[0], ReceiptKeys.base64URL(Data(payload.utf8)), parts[2]].joined(separator: ".")
    }
}
