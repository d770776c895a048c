import ApplicantStore
import Foundation
import PortalStore
import PortalTestSupport
import PorttiLocalization
import PorttiModel
import Testing

/// The real `portti` in tmux, against a real portal: what a newcomer types, what the screen shows.
@Suite(.serialized)
struct TerminalAppTests {
    /// A home folder for one run: XDG folders, and files to attach in the folder Portti starts in.
    final class Home {
        let folder: URL
        init() throws {
            folder = FileManager.default.temporaryDirectory.appending(path: "portti-tui-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(Samples.pdf).write(to: folder.appending(path: "contract.pdf"))
            try Data("only text".utf8).write(to: folder.appending(path: "fake.pdf"))
        }
        deinit { try? FileManager.default.removeItem(at: folder) }

        var environment: String {
            "HOME='\(folder.path)' XDG_DATA_HOME='\(folder.path)/data' XDG_STATE_HOME='\(folder.path)/state' "
                + "XDG_CONFIG_HOME='\(folder.path)/config' TERM=xterm-256color LANG=C.UTF-8"
        }

        /// `portti` with `arguments` in tmux, started in this folder; the pane stays after it ends.
        /// `afterEnter`: the pane waits for an Enter before it starts Portti (a test sets up the pane first).
        func launch(_ arguments: String = "", language: String = "en", extra: String = "", afterEnter: Bool = false) -> TerminalSession {
            TerminalSession(command: (afterEnter ? "read go; " : "") + "cd '\(folder.path)' && env \(environment) PORTTI_LANG=\(language) \(extra) "
                + "'\(PortalProcess.binary.path)' \(arguments); echo EXIT=$?; sleep 600")
        }

        /// The embedded demo portal's store, read beside the running app (SQLite in WAL mode allows it).
        func demoPortal() throws -> SQLitePortalStore {
            try SQLitePortalStore(path: folder.appending(path: "data/portti/demo-portal/portal.sqlite").path)
        }
    }

    struct Words {
        let applications, employment, respond, receipt, wrongType, sendAdditional, review, readRequest: String
        static let all: [String: Words] = [
            "en": Words(applications: "Applications", employment: "employment", respond: "Respond to the request",
                        receipt: "Confirmation of receipt number", wrongType: "Wrong type", sendAdditional: "Send additional information",
                        review: "Review before sending", readRequest: "› Read request"),
            "fi": Words(applications: "Hakemukset", employment: "employment", respond: "Vastaa täydennyspyyntöön",
                        receipt: "Vastaanottokuittauksen numero", wrongType: "Väärä tyyppi", sendAdditional: "Lähetä lisätietoja",
                        review: "Tarkista ennen lähettämistä", readRequest: "› Lue pyyntö"),
            "sv": Words(applications: "Ansökningar", employment: "employment", respond: "Svara på begäran om komplettering",
                        receipt: "Mottagningsbekräftelsens nummer", wrongType: "Fel typ", sendAdditional: "Skicka tilläggsuppgifter",
                        review: "Granska innan du skickar", readRequest: "› Läs begäran"),
        ]
    }

    @Test(arguments: ["en", "fi", "sv"])
    func bothFlows_onTheEmbeddedDemoPortal(_ language: String) async throws {
        let home = try Home()
        let words = try #require(Words.all[language])
        // Instructions are checked whole, in the words of the table: none may be cut at 80 columns.
        let strings = StringTable(try #require(Language(rawValue: language)))
        let app = home.launch(language: language)
        #expect(await app.waitFor(words.applications), "\(app.screen)")
        #expect(await app.waitFor("demo-portti"), "the demo portal says so on screen")

        // Flow 1: Applications → the application → Read request → Respond → write → attach → review → Send.
        app.keys("Enter")
        #expect(await app.waitFor("MIG-2026-000001"))
        app.keys("Down")
        #expect(await app.waitFor("› MIG-2026-000001"))
        app.keys("Enter")
        #expect(await app.waitFor(words.readRequest), "\(app.screen)")
        app.keys("Enter")
        #expect(await app.waitFor(words.employment), "\(app.screen)")
        app.keys("Enter")
        #expect(await app.waitFor(words.respond))
        app.literal("Työsopimus liitteenä. Åsa 決定")
        app.keys("C-o")
        #expect(await app.waitFor(words.wrongType), "refused before upload: \(app.screen)")
        app.keys("/")
        app.literal("contract")
        app.keys("Enter")
        #expect(await app.waitFor("› [ ]   contract.pdf"), "\(app.screen)")
        app.keys("Enter")
        #expect(await app.waitFor("contract.pdf  594"), "\(app.screen)")
        app.keys("C-r")
        #expect(await app.waitFor(words.review))
        #expect(await app.waitForWhole(strings("compose.send_hint")), "\(app.screen)")
        app.keys("Enter")
        #expect(await app.waitFor(words.receipt), "\(app.screen)")
        #expect(await app.waitForWhole(strings("receipt.sent")), "\(app.screen)")
        #expect(await app.waitForWhole(strings("receipt.kept")), "\(app.screen)")
        let store = try home.demoPortal()
        let afterFirst = try await store.incomingMessages()
        let answer = try #require(afterFirst.last)
        #expect(answer.text == "Työsopimus liitteenä. Åsa 決定")
        #expect(answer.receipt.files.map(\.name) == ["contract.pdf"])
        #expect(await app.waitFor(answer.receipt.number))

        // Flow 2: back to the start page → Send additional information → the application → write → Send.
        for _ in 0..<4 {
            #expect(await app.keysAndWait("Escape"), "each Escape goes back one screen: \(app.screen)")
        }
        #expect(await app.waitFor("› " + words.applications), "\(app.screen)")
        app.keys("Down")
        #expect(await app.waitFor("› " + words.sendAdditional))
        app.keys("Enter")
        #expect(await app.waitFor("MIG-2026-000004"))
        // Typed straight after Enter, while the writing screen opens: nothing typed may be lost.
        app.keys("Enter")
        app.literal("Uusi osoitteeni: Mannerheimintie 1")
        app.keys("C-r")
        #expect(await app.waitFor(words.review), "\(app.screen)")
        #expect(await app.waitFor("Uusi osoitteeni"), "\(app.screen)")
        app.keys("Enter")
        #expect(await app.waitFor(words.receipt), "\(app.screen)")
        let messages = try await store.incomingMessages()
        #expect(messages.count == afterFirst.count + 1)
        #expect(messages.last?.text == "Uusi osoitteeni: Mannerheimintie 1")
        #expect(messages.last?.receipt.requestID == nil)
    }

    @Test func aDecision_isRead_andItsDocumentSaved() async throws {
        let home = try Home()
        let app = home.launch()
        #expect(await app.waitFor("Notifications"))
        app.keys("Down", "Down")
        #expect(await app.waitFor("› Notifications"))
        app.keys("Enter")
        #expect(await app.waitFor("Decision made"))
        for _ in 0..<5 where !focusedLine(app).contains("Decision made") {
            #expect(await app.keysAndWait("Down"), "\(app.screen)")
        }
        app.keys("Enter")
        #expect(await app.waitFor("Last day to appeal"), "\(app.screen)")
        #expect(await app.waitFor("residence permit for studies"))
        app.keys("s")
        #expect(await app.waitFor("Save to:"))
        app.keys("Enter")
        #expect(await app.waitFor("Saved:"), "\(app.screen)")
        let saved = try FileManager.default.contentsOfDirectory(atPath: home.folder.path).filter { $0.hasPrefix("decision-") }
        #expect(saved.count == 1)
        let document = try Data(contentsOf: home.folder.appending(path: try #require(saved.first)))
        #expect(document.starts(with: Array("%PDF-".utf8)))
    }

    private func focusedLine(_ app: TerminalSession) -> String {
        app.screen.split(separator: "\n").first { $0.contains("›") }.map(String.init) ?? ""
    }

    /// Portti on the demo portal, on the writing screen of additional information for MIG-2026-000004.
    private func writingAdditionalInformation(_ home: Home) async -> TerminalSession {
        let app = home.launch()
        #expect(await app.waitFor("Send additional information"))
        app.keys("Down")
        app.keys("Enter")
        #expect(await app.waitFor("MIG-2026-000004"))
        app.keys("Enter")
        return app
    }

    @Test func aResize_whileWriting_losesNothing() async throws {
        let home = try Home()
        let app = await writingAdditionalInformation(home)
        app.literal("Nothing of this may be lost")
        #expect(await app.waitFor("Nothing of this may be lost"))
        app.resize(width: 60, height: 18)
        #expect(await app.waitFor("80"), "\(app.screen)")
        #expect(await app.waitUntilGone("Nothing of this may be lost"))
        app.resize(width: 100, height: 30)
        #expect(await app.waitFor("Nothing of this may be lost"))
        app.literal(" — still typing")
        #expect(await app.waitFor("Nothing of this may be lost — still typing"))
    }

    /// The keys of the writing screen as tmux (TERM=xterm-256color) sends them: Home and End (ESC [1~ and
    /// ESC [4~), Ctrl-Z undoes rather than stopping the program, F1 opens help where `?` is text.
    @Test func theWritingKeys_workAsTmuxSendsThem() async throws {
        let home = try Home()
        let app = await writingAdditionalInformation(home)
        app.literal("middle")
        #expect(await app.waitFor("middle"))
        app.keys("Home")
        app.literal("start ")
        app.keys("End")
        app.literal(" end?")
        #expect(await app.waitFor("start middle end?"), "\(app.screen)")
        app.keys("C-z")
        #expect(await app.waitUntilGone("start middle end?"), "\(app.screen)")
        #expect(await app.waitFor("start middle"), "Ctrl-Z undid the last words, and Portti still runs: \(app.screen)")
        #expect(await app.waitFor(" F1 more  ^R Review"), "the hint names the key that opens help here: \(app.screen)")
        app.keys("F1")
        #expect(await app.waitFor("Esc, F1 or ? closes this help."), "\(app.screen)")
        app.keys("Escape")
        #expect(await app.waitUntilGone("Esc, F1 or ? closes this help."))
        #expect(await app.waitFor("Esc Back (draft kept)"), "the key that leaves stays on the bar: \(app.screen)")
        // Emoji sequences erased with Backspace leave nothing behind, and the text goes on where they were.
        app.literal("👍🏽👨‍👩‍👧")
        #expect(await app.waitFor("start middle👍"), "\(app.screen)")
        app.keys("BSpace")
        app.keys("BSpace")
        app.literal("ok")
        #expect(await app.waitFor("start middleok"), "\(app.screen)")
        let row = app.screen.split(separator: "\n").first { $0.contains("start middleok") }.map(String.init) ?? ""
        #expect(row == " │start middleok" + String(repeating: " ", count: 62) + "│", "no stale glyph: \(row)")
    }

    /// F2 changes every word on screen at once (the demo portal's note and the news among them) and the
    /// language chosen is there again at the next start.
    /// After `portti` started its demo portal, the applicant's commands find it with nothing configured; once
    /// it has stopped, those that need it say how to start it again and name the config file that is really read.
    @Test func theCommands_findTheDemoPortalTheTerminalUIStarted() async throws {
        let home = try Home()
        let app = home.launch()
        #expect(await app.waitFor("demo-portti"), "\(app.screen)")
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTTI_") && !$0.key.hasPrefix("LC_") }
            .merging([
                "HOME": home.folder.path, "XDG_DATA_HOME": home.folder.path + "/data", "XDG_STATE_HOME": home.folder.path + "/state",
                "XDG_CONFIG_HOME": home.folder.path + "/config", "LANG": "C.UTF-8",
            ]) { $1 }
        let binary = PortalProcess.binary.path
        let listed = try await ChildProcess.run(binary, ["applications"], environment: environment)
        #expect(listed.status == 0, "\(listed.errors)")
        #expect(listed.output.contains("MIG-2026-000001"), "signed in as the terminal UI's demo applicant: \(listed.output)")
        #expect(listed.errors.contains("using the demo portal the terminal UI started, http://127.0.0.1:"), "\(listed.errors)")

        app.keys("q")
        #expect(await app.waitFor("EXIT=0"), "\(app.screen)")
        // The receipts are kept here: they list without the portal, and nothing is said of it.
        let receipts = try await ChildProcess.run(binary, ["receipts"], environment: environment)
        #expect(receipts.status == 0 && receipts.errors.isEmpty, "\(receipts.errors)")
        let stopped = try await ChildProcess.run(binary, ["applications"], environment: environment)
        #expect(stopped.status == 64)
        let folder = home.folder.appending(path: "data/portti/demo-portal").path
        #expect(stopped.errors.contains("is not running"), "\(stopped.errors)")
        #expect(stopped.errors.contains("portti serve --demo --data \(folder) --port "), "\(stopped.errors)")
        #expect(stopped.errors.contains(home.folder.appending(path: "config/portti/config.json").path), "\(stopped.errors)")
    }

    @Test func theLanguageChosen_showsEverywhere_andIsKeptForTheNextStart() async throws {
        let home = try Home()
        // No PORTTI_LANG: the locale (C, so English) decides until the applicant chooses.
        let first = home.launch(language: "")
        #expect(await first.waitFor("Applications"), "\(first.screen)")
        #expect(await first.waitFor("Demo portal started"), "\(first.screen)")
        first.keys("F2")
        #expect(await first.waitFor("Svenska"))
        first.keys("Down")
        first.keys("Down")
        first.keys("Enter")
        #expect(await first.waitFor("Ansökningar"), "\(first.screen)")
        #expect(await first.waitFor("Demoportalen startades"), "the note follows the language: \(first.screen)")
        #expect(await first.waitUntilGone("Demo portal started"))
        let config = home.folder.appending(path: "config/portti/config.json")
        #expect(await first.waitUntil { _ in (try? String(contentsOf: config, encoding: .utf8))?.contains("\"lang\" : \"sv\"") == true })
        first.keys("q")
        #expect(await first.waitFor("EXIT=0"), "\(first.screen)")
        let again = home.launch(language: "")
        #expect(await again.waitFor("Ansökningar"), "the choice is kept: \(again.screen)")
    }

    /// Under a locale that is not UTF-8 (LANG=C) not one byte of UTF-8 reaches the terminal: letters lose
    /// their marks, arrows and bullets are ASCII, boxes are the terminal's own line drawing.
    @Test func aTerminalThatIsNotUTF8_getsOnlyASCII() async throws {
        let home = try Home()
        let output = home.folder.appending(path: "pane-output")
        let app = home.launch(language: "fi", extra: "LANG=C", afterEnter: true)
        app.tmux(["pipe-pane", "-t", app.name, "-o", "cat >> '\(output.path)'"])
        app.keys("Enter")
        #expect(await app.waitFor("Hakemukset"), "\(app.screen)")
        app.keys("Down")
        app.keys("Enter")
        #expect(await app.waitFor("MIG-2026-000004"), "\(app.screen)")
        app.keys("Enter")
        #expect(await app.waitFor("Viesti"), "the writing screen, with its box: \(app.screen)")
        app.keys("F1")
        #expect(await app.waitFor("Esc, F1 tai ? sulkee ohjeen."), "\(app.screen)")
        let bytes = try Data(contentsOf: output)
        #expect(bytes.count > 1000, "the pane's output was captured")
        let unicode = bytes.enumerated().filter { $0.element >= 0x80 }
        #expect(unicode.isEmpty, "bytes past ASCII at \(unicode.prefix(5).map(\.offset)): \(String(decoding: bytes.prefix(300), as: UTF8.self))")
    }

    /// An editor that is not there is said so in the app, and the shell's own complaint never reaches the
    /// screen the applicant returns to.
    @Test func aMissingEditor_isSaidSo_andNothingElseIsPrinted() async throws {
        let home = try Home()
        let app = home.launch(extra: "EDITOR=/no/such/editor VISUAL=")
        #expect(await app.waitFor("Send additional information"))
        app.keys("Down")
        app.keys("Enter")
        #expect(await app.waitFor("MIG-2026-000004"))
        app.keys("Enter")
        app.literal("Kept")
        #expect(await app.waitFor("Kept"))
        app.keys("C-e")
        #expect(await app.waitForWhole("Your editor \"/no/such/editor\" was not found."), "\(app.screen)")
        #expect(await app.waitFor("Kept"))
        // Back to the start page, one screen at a time, then quit.
        for _ in 0..<3 where !app.screen.contains("Portti · Start page") { await app.keysAndWait("Escape") }
        #expect(await app.waitFor("Portti · Start page"), "\(app.screen)")
        app.keys("q")
        #expect(await app.waitFor("EXIT=0"), "\(app.screen)")
        #expect(!app.screen.contains("not found"), "the shell printed on the screen: \(app.screen)")
    }

    @Test func killedDuringSend_andRestarted_endsWithOneReceiptAndOneMessage() async throws {
        let home = try Home()
        let portalData = home.folder.appending(path: "portal")
        let portal = try await offThePool { try PortalProcess(dataFolder: portalData, arguments: ["--demo"]) }
        defer { portal.kill() }
        let url = portal.url.absoluteString
        let signIn = try await ChildProcess.run(
            PortalProcess.binary.path, ["sign-in", "--username", "demo", "--portal", url],
            environment: ProcessInfo.processInfo.environment.merging([
                "HOME": home.folder.path, "XDG_DATA_HOME": home.folder.path + "/data",
                "XDG_STATE_HOME": home.folder.path + "/state", "XDG_CONFIG_HOME": home.folder.path + "/config",
            ]) { $1 },
            input: Array("demo-portti\n".utf8))
        try #require(signIn.status == 0)

        let first = home.launch("--portal \(url)")
        #expect(await first.waitFor("Send additional information"), "\(first.screen)")
        first.keys("Down")
        first.keys("Enter")
        #expect(await first.waitFor("MIG-2026-000004"))
        first.keys("Enter")
        first.literal("Sent exactly once, whatever happens.")
        first.keys("C-r")
        #expect(await first.waitFor("Review before sending"))
        // The portal freezes: the send goes out and no answer comes; then Portti is killed mid-send.
        let portalProcess = try #require(portal.processIdentifier)
        kill(portalProcess, SIGSTOP)
        first.keys("Enter")
        #expect(await first.waitFor("Sending"), "\(first.screen)")
        // Killed once the message is in the outbox (written before anything goes out): "Sending" shows at once,
        // and on a busy machine the kill could come before the outbox has it.
        let records = try ApplicantStore(path: ApplicantStore.path(
            portal: portal.url, username: "demo", environment: ["XDG_DATA_HOME": home.folder.path + "/data"]))
        try? await eventually(20, "the message in the outbox") { !((try? await records.outbox()) ?? []).isEmpty }
        #expect(try await records.outbox().count == 1)
        let app = try #require(first.programID)
        kill(app, SIGKILL)
        #expect(await first.waitFor("EXIT=137"), "killed \(app): \(first.screen)")
        kill(portalProcess, SIGCONT)

        // The next start finishes what is in the outbox, with the same key, and shows its receipt.
        let second = home.launch("--portal \(url)")
        #expect(await second.waitFor("Confirmation of receipt number"), "\(second.screen)")
        let store = try SQLitePortalStore(path: portalData.appending(path: "portal.sqlite").path)
        let messages = try await store.incomingMessages().filter { $0.text == "Sent exactly once, whatever happens." }
        #expect(messages.count == 1)
        #expect(await second.waitFor(try #require(messages.first?.receipt.number)))
    }
}
