import Foundation
import PortalStore
import PortalTestSupport
import PorttiModel
import Testing

/// Every applicant command that takes `--json` prints JSON with it, in each of its modes, the ones that change
/// something (sign-out, an export written, a message discarded) too; and every command whose help offers
/// `--json` is among those run here, so that a new one is not left printing text.
@Suite struct JSONAnswerTests {
    @Test func everyCommandTakingJSON_printsJSON_inEachMode() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let reference = application.referenceNumber
            _ = try await portal.store.issueRequest(
                applicationID: application.id, text: "Your passport.", items: ["Passport"],
                deadline: portal.clock.now + 10 * 86_400, now: portal.clock.now)
            let decided = try await applicant.fileApplication(.residencePermitWork)
            let vault = try DocumentVault(folder: portal.configuration.documentsFolder)
            let pdf = try applicant.file("contract.pdf", Samples.pdf)
            let document = try await vault.keep(fileAt: URL(fileURLWithPath: pdf))
            _ = try await portal.store.recordDecision(
                applicationID: decided.id, text: "Granted.", documentSHA256: document.sha256, now: portal.clock.now)
            var covered: Set<String> = []
            func json(_ arguments: [String], status: Int32 = 0, input: String? = nil) async throws -> Any {
                let result = try await applicant.run(arguments + ["--json"], input: input)
                #expect(result.status == status, "\(arguments): \(result.err)")
                covered.insert(arguments[0])
                let parsed = try? JSONSerialization.jsonObject(with: Data(result.out.utf8))
                return try #require(parsed, "\(arguments) --json printed: \(result.out)")
            }
            func object(_ arguments: [String], status: Int32 = 0, input: String? = nil) async throws -> [String: Any] {
                try #require(try await json(arguments, status: status, input: input) as? [String: Any], "\(arguments)")
            }

            _ = try await json(["applications"])
            _ = try await json(["application", reference])
            _ = try await json(["requests", reference, "--full"])
            let answer = try applicant.file("answer.txt", Array("My passport.".utf8))
            _ = try await object(["reply", "\(reference)/1", "--message-file", answer, "--attach", pdf])
            _ = try await object(["send", reference, "--message-file", try applicant.file("more.txt", Array("More.".utf8))])
            let mine = try await object(["message", "--about", reference, "--message-file",
                                         try applicant.file("question.txt", Array("A question.".utf8)), "--attach", pdf])
            let number = try #require(mine["number"] as? String)
            _ = try await object(["messages"])
            _ = try await object(["messages", reference])
            _ = try await object(["messages", "--read", number])
            let saved = applicant.home.appending(path: "saved")
            try FileManager.default.createDirectory(at: saved, withIntermediateDirectories: true)
            _ = try await object(["messages", "--save", number, "--to", saved.path])
            let notifications = try await object(["notifications"])
            let first = try #require((notifications["notifications"] as? [[String: Any]])?.first?["id"] as? String)
            _ = try await object(["notifications", "--read", first])
            _ = try await object(["decision", decided.referenceNumber])
            _ = try await object(["decision", decided.referenceNumber, "--save", applicant.home.appending(path: "decision.pdf").path])
            _ = try await json(["receipts"])
            _ = try await object(["receipts", "--export", "-"])
            let export = applicant.home.appending(path: "receipts.json").path
            let exported = try await object(["receipts", "--export", export])
            let file = try #require(exported["exported"] as? [String: Any], "\(exported)")
            #expect(file["path"] as? String == export && file["count"] as? Int == 3, "\(exported)")
            _ = try await object(["receipts", "verify", export])

            // A message the portal refuses for good (the request is answered): its draft and its outbox item,
            // each listed, shown and discarded.
            let late = try applicant.file("late.txt", Array("Late.".utf8))
            let refused = try await applicant.run(["reply", "\(reference)/1", "--message-file", late, "--again", "--json"])
            #expect(refused.status == 1 && refused.out.isEmpty, "a refusal is said on standard error: \(refused.out)")
            _ = try await json(["drafts"])
            _ = try await object(["drafts", "--show", "\(reference)/1"])
            let draftGone = try await object(["drafts", "--discard", "\(reference)/1"])
            let draftTarget = try #require((draftGone["discarded"] as? [String: Any])?["target"] as? [String: Any], "\(draftGone)")
            #expect(draftTarget["kind"] as? String == "request", "\(draftGone)")
            let outbox = try #require(try await json(["outbox"], status: 1) as? [[String: Any]])
            let item = try #require(outbox.first?["number"] as? Int, "\(outbox)")
            let itemGone = try await object(["outbox", "--discard", String(item)])
            let discarded = try #require(itemGone["discarded"] as? [String: Any], "\(itemGone)")
            #expect(discarded["number"] as? Int == item, "\(itemGone)")
            #expect((discarded["target"] as? [String: Any])?["kind"] as? String == "request", "\(itemGone)")
            #expect(try await json(["outbox", "--send"]) as? [Any] != nil)

            let signedOut = try await object(["sign-out"])
            #expect(signedOut["signedOut"] as? Bool == true, "\(signedOut)")
            _ = try await object(["sign-in", "--username", "aino"], input: TestPortal.password + "\n")

            // Every command whose help offers --json was run above.
            let help = try await applicant.run(["--help"])
            let commands = help.out.components(separatedBy: "SUBCOMMANDS:").last?.split(separator: "\n")
                .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }.compactMap { $0.split(separator: " ").first.map(String.init) } ?? []
            #expect(commands.contains("sign-out") && commands.contains("receipts") && !commands.contains("portal"), "\(commands)")
            for command in commands {
                let offered = try await applicant.run([command, "--help"])
                if offered.out.contains("--json") { #expect(covered.contains(command), "\(command) takes --json and is not run here") }
            }
        }
    }
}
