import Foundation
import PortalServer
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
            // It waits for a reason, and says which.
            #expect(outbox.out.contains("client.error.receipt_unverified"), "\(outbox.out)")
            let listed = try await applicant.run(["outbox"])
            #expect(listed.out.contains("waiting to be sent: ") && listed.out.contains("could not be verified"), "\(listed.out)")
            let kept = try await applicant.json([KeptReceipt].self, ["receipts"])
            #expect(!kept.contains { $0.receipt.number == next })
            #expect(kept.allSatisfy { $0.verifiedKey != nil })
        }
    }

    /// The keys come with the file, so a valid signature proves only that the file agrees with itself: verify
    /// shows whose key signed (its fingerprint), what the receipt states, and refuses a key that is none of those
    /// this machine took from that portal; on a machine that took none it says to compare the fingerprint.
    @Test func verify_namesTheKey_andAForgedExportIsNotThePortals() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let message = try applicant.file("message.txt", Array("My new address.".utf8))
            let pdf = try applicant.file("contract.pdf", Samples.pdf)
            #expect(try await applicant.run(["send", application.id, "--message-file", message, "--attach", pdf]).status == 0)
            let export = applicant.home.appending(path: "receipts.json").path
            #expect(try await applicant.run(["receipts", "--export", export]).status == 0)
            let document = try ReceiptExport.decode(Data(contentsOf: URL(filePath: export)))
            let kid = try #require(ReceiptKeys.kid(of: document.receipts[0].jws))
            let number = try #require(try await portal.store.incomingMessages().first?.receipt.number)

            let verified = try await applicant.run(["receipts", "verify", export])
            #expect(verified.status == 0, "\(verified.err)")
            #expect(verified.out.contains("signed by key \(kid), which the file names as the portal's key"), "\(verified.out)")
            #expect(verified.out.contains("Portal, as the file names it: \(portal.portalURL.absoluteString)"), "\(verified.out)")
            #expect(verified.out.contains("Received: ") && verified.out.contains(application.referenceNumber), "\(verified.out)")
            #expect(verified.out.contains("received this key from"), "\(verified.out)")
            #expect(!verified.out.contains("signed by the portal"), "\(verified.out)")

            // A forgery: the attacker's own key in `keys`, a statement of their own, the same portal named.
            let forger = ReceiptSigningKey.generate(now: portal.clock.now)
            let text = "I paid the fee."
            let statement = ReceiptStatement(
                receipt: "2026-99999999", receivedAt: portal.clock.now, applicant: .init(id: "x", username: "aino"),
                application: .init(id: application.id, reference: application.referenceNumber), request: nil,
                textSHA256: ReceiptStatement.sha256(text), files: [])
            let forged = ReceiptExport(
                portal: document.portal, keys: ReceiptKeySet(keys: [forger.publicJWK]),
                receipts: [.init(jws: try await forger.sign(statement), text: text, files: [])])
            let forgedPath = applicant.home.appending(path: "forged.json").path
            try forged.encoded().write(to: URL(filePath: forgedPath))
            let refused = try await applicant.run(["receipts", "verify", forgedPath])
            #expect(refused.status == 1, "\(refused.out)")
            #expect(refused.out.contains("NOT THE PORTAL'S KEY") && refused.out.contains(forger.kid), "\(refused.out)")
            let report = try await applicant.run(["receipts", "verify", forgedPath, "--json"])
            let json = try #require((try? JSONSerialization.jsonObject(with: Data(report.out.utf8))) as? [String: Any], "\(report.out) \(report.err)")
            let entry = try #require((json["receipts"] as? [[String: Any]])?.first)
            #expect(entry["verdict"] as? String == "notThePortalsKey" && entry["fingerprint"] as? String == forger.kid)
            #expect(entry["number"] as? String == "2026-99999999" && json["portalKeysKept"] as? Bool == true && json["valid"] as? Int == 0)
            // What the receipt does not state (it answers no request) is null, not left out: one shape for scripts.
            #expect(entry.keys.contains("request") && entry["request"] is NSNull, "\(report.out)")

            // A machine that never met the portal cannot tell: it shows the fingerprint to compare.
            let stranger = ["XDG_DATA_HOME": applicant.home.appending(path: "elsewhere").path]
            let unknown = try await applicant.run(["receipts", "verify", forgedPath], environment: stranger)
            #expect(unknown.status == 0)
            #expect(unknown.out.contains(forger.kid) && unknown.out.contains("compare the fingerprint"), "\(unknown.out)")

            // A failing signature is named by the number its payload states; hex in capitals is the same hash.
            var tampered = document
            tampered.receipts[0].jws = Self.payloadChanged(document.receipts[0].jws) { $0.replacingOccurrences(of: #""receivedAt":"2"#, with: #""receivedAt":"1"#) }
            let tamperedPath = applicant.home.appending(path: "tampered.json").path
            try tampered.encoded().write(to: URL(filePath: tamperedPath))
            let bad = try await applicant.run(["receipts", "verify", tamperedPath])
            #expect(bad.status == 1 && bad.out.hasPrefix("\(number)  bad signature"), "\(bad.out)")
            var capitals = document
            capitals.receipts[0].files[0].sha256 = capitals.receipts[0].files[0].sha256.uppercased()
            let capitalsPath = applicant.home.appending(path: "capitals.json").path
            try capitals.encoded().write(to: URL(filePath: capitalsPath))
            #expect(try await applicant.run(["receipts", "verify", capitalsPath]).status == 0)

            // Its language comes as every command's does (flag, config file), nothing is said of a demo portal,
            // and a language that is none of the three is refused.
            let finnish = try await applicant.run(["receipts", "verify", export, "--lang", "fi"])
            #expect(finnish.out.contains("Avaimen sormenjälki"), "\(finnish.out)")
            let config = applicant.home.appending(path: "config/portti")
            try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
            try Data(#"{"lang": "sv"}"#.utf8).write(to: config.appending(path: "config.json"))
            let swedish = try await applicant.run(["receipts", "verify", "nothing-here.json"], environment: ["PORTTI_URL": ""])
            #expect(swedish.status == 1 && swedish.err.contains("kan inte läsas"), "\(swedish.err)")
            #expect(!swedish.err.contains("demo"), "\(swedish.err)")
            let swedishOut = try await applicant.run(["receipts", "verify", export], environment: ["PORTTI_URL": ""])
            #expect(swedishOut.out.contains("Nyckelns fingeravtryck") && swedishOut.err.isEmpty, "\(swedishOut.out)\(swedishOut.err)")
            #expect(try await applicant.run(["receipts", "verify", export, "--lang", "xx"]).status == 64)
            #expect(try await applicant.run(["outbox", "--lang", "xx"]).status == 64)
        }
    }

    /// The demo portal is one portal whatever port it comes up on: its records (receipts, outbox, the duplicate
    /// check) stay when the port changes, and the kept receipts list and export with no portal running.
    @Test func theDemoPortal_keepsItsRecordsOnAnyPort_andReceiptsNeedNoPortal() async throws {
        try await withPortal { portal in
            let applicant = try Applicant(portal)
            defer { applicant.remove() }
            let demo = applicant.home.appending(path: "data/portti/demo-portal")
            try FileManager.default.createDirectory(at: demo, withIntermediateDirectories: true)
            try String(portal.portalURL.port!).write(to: demo.appending(path: "port"), atomically: true, encoding: .utf8)
            let noPortal = ["PORTTI_URL": ""]
            let hash = try await Passwords.hash(TestPortal.password, cost: 4)
            let aino = try await portal.store.createApplicant(username: "aino", displayName: "Aino", passwordHash: hash, now: portal.clock.now)
            let signedIn = try await applicant.run(["sign-in", "--username", "aino"], environment: noPortal, input: TestPortal.password + "\n")
            #expect(signedIn.status == 0, "\(signedIn.err)")
            let application = try await portal.store.createApplication(applicantID: aino.id, type: .citizenship, now: portal.clock.now)
            let message = try applicant.file("message.txt", Array("Sent to the demo.".utf8))
            let sent = try await applicant.run(["send", application.id, "--message-file", message], environment: noPortal)
            #expect(sent.status == 0, "\(sent.err)")
            let number = try #require(try await portal.store.incomingMessages().first?.receipt.number)
            #expect(FileManager.default.fileExists(atPath: applicant.home.appending(path: "data/portti/accounts/demo-portal/aino/applicant.sqlite").path))

            // The demo stopped, to come up on another port next time: nothing listens where the port file says.
            try "1".write(to: demo.appending(path: "port"), atomically: true, encoding: .utf8)
            let listed = try await applicant.run(["receipts"], environment: noPortal)
            #expect(listed.status == 0 && listed.out.contains(number), "\(listed.out)\(listed.err)")
            #expect(!listed.err.contains("demo portal"), "an offline command says nothing of the demo: \(listed.err)")
            let export = applicant.home.appending(path: "receipts.json").path
            let exported = try await applicant.run(["receipts", "--export", export], environment: noPortal)
            #expect(exported.status == 0, "\(exported.err)")
            // A folder is told as one, in the words of an export; `-` is standard output, not a file named `-`.
            let intoFolder = try await applicant.run(["receipts", "--export", applicant.home.path], environment: noPortal)
            #expect(intoFolder.status == 1 && intoFolder.err.contains("receipts.json") && !intoFolder.err.contains("decision"), "\(intoFolder.err)")
            let toOutput = try await applicant.run(["receipts", "--export", "-"], environment: noPortal)
            #expect(toOutput.status == 0 && (try? ReceiptExport.decode(Data(toOutput.out.utf8)))?.receipts.count == 1, "\(toOutput.out)")
            #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/-"))
            // --json gives each target as {"kind", "id"}, not Swift's own encoding of it.
            let json = try await applicant.run(["receipts", "--json"], environment: noPortal)
            #expect(json.out.contains(application.id) && json.out.contains("\"kind\"") && !json.out.contains("_0"), "\(json.out)")
            // And the same message, to the demo up again, is still caught as sent before.
            try String(portal.portalURL.port!).write(to: demo.appending(path: "port"), atomically: true, encoding: .utf8)
            let twice = try await applicant.run(["send", application.id, "--message-file", message], environment: noPortal)
            #expect(twice.status == 1 && twice.err.contains("was already sent") && twice.err.contains(number), "\(twice.err)")
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
