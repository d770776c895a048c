import Foundation
import PortalTestSupport
import PorttiLocalization
import Testing

/// The real `portti` in tmux on its embedded demo portal, with the officer's CLI acting on the same data folder:
/// the applicant reads the authority's message (it is marked read), saves its letter, replies, and sees the
/// reply move from received to read to answered as the officer reads and answers it.
@Suite(.serialized)
struct TerminalConversationTests {
    /// `key`'s words up to its first placeholder: what is on screen whatever the value.
    static func lead(_ strings: StringTable, _ key: String) -> String {
        String(strings(key).prefix { $0 != "{" }).trimmingCharacters(in: .whitespaces)
    }

    @Test(arguments: ["en", "fi", "sv"])
    func readTheAuthoritysMessage_reply_andSeeItReadThenAnswered(_ language: String) async throws {
        let home = try TerminalAppTests.Home()
        let strings = StringTable(try #require(Language(rawValue: language)))
        let app = home.launch(language: language)
        #expect(await app.waitFor("demo-portti"), "\(app.screen)")
        #expect(await app.waitFor(strings("start.messages_unread", count: 1)), "the demo's unread message is counted: \(app.screen)")

        // Start page → Messages → the conversation of MIG-2026-000004 → its newest message, the authority's.
        app.keys("Down", "Down", "Down")
        #expect(await app.waitFor("› " + strings("start.messages")), "\(app.screen)")
        app.keys("Enter")
        #expect(await app.waitFor("MIG-2026-000004"), "\(app.screen)")
        for _ in 0..<6 where !focusedLine(app).contains("MIG-2026-000004") {
            #expect(await app.keysAndWait("Down"), "\(app.screen)")
        }
        app.keys("Enter")
        #expect(await app.waitFor(strings("conversation.title", ["about": "MIG-2026-000004"])), "\(app.screen)")
        #expect(await app.waitFor(strings("conversation.from_authority")), "loaded: \(app.screen)")
        app.keys("Enter")
        #expect(await app.waitFor("appointment.pdf"), "\(app.screen)")
        #expect(await app.waitForWhole(strings("conversation.reply_hint")), "\(app.screen)")
        let store = try home.demoPortal()

        // Its letter, saved in the home folder (never over a file).
        app.keys("s")
        #expect(await app.waitFor(strings("decision.save_to")), "\(app.screen)")
        app.keys("Enter")
        #expect(await app.waitFor(Self.lead(strings, "decision.saved")), "\(app.screen)")
        let letter = try Data(contentsOf: home.folder.appending(path: "appointment.pdf"))
        #expect(letter.starts(with: Array("%PDF-".utf8)))

        // Reply: the same writing, review, send once and receipt.
        app.keys("r")
        #expect(await app.waitFor(Self.lead(strings, "compose.title_reply")), "\(app.screen)")
        app.literal("Kiitos, tulen paikalle. Åsa")
        app.keys("C-r")
        #expect(await app.waitFor(strings("compose.review_title")), "\(app.screen)")
        app.keys("Enter")
        #expect(await app.waitForWhole(strings("receipt.sent")), "\(app.screen)")
        #expect(await app.waitFor(strings("receipt.kind_reply")), "\(app.screen)")
        let reply = try #require(try await store.incomingMessages().last)
        #expect(reply.text == "Kiitos, tulen paikalle. Åsa")
        #expect(await app.waitFor(reply.receipt.number))

        // Back to the conversation: the reply is received.
        #expect(await app.keysAndWait("Escape"), "\(app.screen)")
        #expect(await app.keysAndWait("Escape"), "\(app.screen)")
        #expect(await app.waitFor("Kiitos, tulen paikalle"), "\(app.screen)")
        #expect(await app.waitFor(strings("conversation.state.received")), "\(app.screen)")

        // The officer reads it: refreshed, it is read by the authority.
        let read = try await officer(home, ["read", reply.messageID])
        #expect(read.status == 0, "\(read.errors)")
        app.keys("r")
        #expect(await app.waitFor(Self.lead(strings, "conversation.state.read_short")), "\(app.screen)")

        // The officer answers it: the news names the application, and the conversation shows it answered.
        let answered = try await officer(home, ["reply", reply.messageID, "--text", "Tervetuloa maanantaina."])
        #expect(answered.status == 0, "\(answered.errors)")
        #expect(await app.waitFor(strings("news.new_about", ["what": strings("notification.message"), "reference": "MIG-2026-000004"])),
                "live, on the status line: \(app.screen)")
        #expect(await app.waitFor(strings("conversation.state.answered")), "\(app.screen)")
        #expect(await app.waitFor("Tervetuloa maanantaina."), "\(app.screen)")
        app.keys("q")
        app.keys("q")
        app.keys("q")
    }

    private func focusedLine(_ app: TerminalSession) -> String {
        app.screen.split(separator: "\n").first { $0.contains("›") }.map(String.init) ?? ""
    }

    /// `portti officer ARGUMENTS` on the demo portal's data folder, beside the running app.
    private func officer(_ home: TerminalAppTests.Home, _ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTTI_") && !$0.key.hasPrefix("LC_") }
            .merging(["HOME": home.folder.path, "LANG": "C.UTF-8"]) { $1 }
        let folder = home.folder.appending(path: "data/portti/demo-portal").path
        let result = try await ChildProcess.run(PortalProcess.binary.path, ["officer"] + arguments + ["--data", folder], environment: environment)
        return (result.status, result.output, result.errors)
    }
}
