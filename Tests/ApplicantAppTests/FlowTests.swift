@testable import ApplicantApp
import ApplicantStore
import Foundation
import PortalStore
import PortalTestSupport
import PorttiLocalization
import PorttiModel
import TerminalUI
import Testing

/// Words the applicant sees, per language, written out here so a missing translation fails a test.
struct Words {
    let applications, sendAdditional, respond, receipt, wrongType, tooLarge, decision, appeal, review: String

    static func of(_ language: Language) -> Words {
        switch language {
        case .english:
            Words(applications: "Applications", sendAdditional: "Send additional information", respond: "Respond",
                  receipt: "Confirmation of receipt", wrongType: "not a PDF", tooLarge: "too large",
                  decision: "Decision made", appeal: "Last day to appeal", review: "Review before sending")
        case .finnish:
            Words(applications: "Hakemukset", sendAdditional: "Lähetä lisätietoja", respond: "Vastaa täydennyspyyntöön",
                  receipt: "Vastaanottokuittaus", wrongType: "PDF", tooLarge: "liian suuri",
                  decision: "Päätös tehty", appeal: "Valituksen viimeinen päivä", review: "Tarkista ennen lähettämistä")
        case .swedish:
            Words(applications: "Ansökningar", sendAdditional: "Skicka tilläggsuppgifter", respond: "Svara på begäran om komplettering",
                  receipt: "Mottagningsbekräftelse", wrongType: "PDF", tooLarge: "för stor",
                  decision: "Beslut fattat", appeal: "Sista dag att överklaga", review: "Granska innan du skickar")
        }
    }
}

@Suite struct FlowTests {
    @Test(arguments: Language.allCases)
    func respondToARequest_withAnAttachment_endsWithAReceipt(_ language: Language) async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: language)
            let words = Words.of(language)
            #expect(app.screen.contains(words.applications))
            await app.press(.enter)
            await app.focus(app.work.referenceNumber)
            await app.press(.enter)
            // The application: its request with the deadline and the days left, the whole row.
            let strings = StringTable(language)
            let requestRow = "  › " + strings("request.read") + " · " + strings("request.state.open") + " · "
                + strings("request.deadline", ["date": Formats(language).date(app.request.deadline)]) + " · "
                + strings("deadline.days_left", count: 10)
            #expect(app.focusedRow == requestRow, "\(app.screen)")
            await app.press(.enter)
            #expect(app.screen.contains("We need your employment contract."))
            #expect(app.screen.contains("Signed employment contract"))
            #expect(app.screen.contains(words.respond))
            await app.press(.enter)
            await app.type("Here is my contract, åäö.")
            await app.press(.control("o"))
            #expect(app.screen.contains("fake.pdf"))
            // Refused before anything is uploaded, with the reason.
            await app.focus("fake.pdf")
            await app.press(.character(" "))
            #expect(app.screen.localizedCaseInsensitiveContains(words.wrongType), "\(app.screen)")
            await app.focus("huge.pdf")
            await app.press(.character(" "))
            #expect(app.screen.localizedCaseInsensitiveContains(words.tooLarge), "\(app.screen)")
            await app.focus("contract.pdf")
            await app.press(.enter)
            #expect(app.screen.contains("contract.pdf"))
            #expect(app.screen.contains("Here is my contract, åäö."))
            await app.press(.control("r"))
            #expect(app.screen.contains(words.review))
            await app.press(.enter)
            #expect(app.screen.contains(words.receipt), "\(app.screen)")

            let incoming = try await portal.store.incomingMessages()
            #expect(incoming.count == 1)
            let receipt = try #require(incoming.first?.receipt)
            #expect(app.screen.contains(receipt.number))
            // The receipt names the application it concerns, in the language's words.
            #expect(receipt.applicationReference == app.work.referenceNumber)
            let application = StringTable(language)("receipt.application", ["reference": app.work.referenceNumber])
            #expect(app.screen.contains(application), "\(app.screen)")
            #expect(receipt.files.map(\.name) == ["contract.pdf"])
            #expect(app.screen.contains(String(receipt.files[0].sha256.prefix(12))))
            #expect(try await portal.store.request(id: app.request.id, applicantID: nil)?.answeredAt != nil)
            // Back on the request, it shows as answered, and Send cannot be pressed again.
            await app.press(.enter)
            #expect(try await portal.store.incomingMessages().count == 1)
            await app.finish()
        }
    }

    @Test(arguments: Language.allCases)
    func sendAdditionalInformation_toAChosenApplication(_ language: Language) async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: language)
            let words = Words.of(language)
            await app.focus(words.sendAdditional)
            await app.press(.enter)
            await app.focus(app.study.referenceNumber)
            await app.press(.enter)
            await app.type("My new address: Mannerheimintie 1")
            await app.press(.control("r"), .enter)
            #expect(app.screen.contains(words.receipt))
            let incoming = try await portal.store.incomingMessages()
            #expect(incoming.map(\.text) == ["My new address: Mannerheimintie 1"])
            #expect(incoming.first?.receipt.requestID == nil)
            #expect(incoming.first?.applicationReference == app.study.referenceNumber)
            #expect(incoming.first?.receipt.applicationReference == app.study.referenceNumber)
            #expect(app.screen.contains(app.study.referenceNumber), "the receipt names the application: \(app.screen)")
            await app.finish()
        }
    }

    @Test(arguments: Language.allCases)
    func decision_isRead_andItsDocumentSaved(_ language: Language) async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: language)
            let words = Words.of(language)
            await app.focus(StringTable(language)("start.notifications"))
            await app.press(.enter)
            // The list's short words for it (the whole sentence is the status line's).
            await app.focus(words.decision)
            #expect(app.focusedRow.contains(app.study.referenceNumber), "a notification names its application")
            await app.press(.enter)
            #expect(app.screen.contains("Granted for two years."))
            #expect(app.screen.contains(words.appeal))
            let title = StringTable(language)("decision.title_reference", ["reference": app.study.referenceNumber])
            #expect(app.screen.contains(title), "the decision names its application: \(app.screen)")
            let opened = try await portal.store.openDecision(id: app.decision.id, applicantID: app.applicant.id, now: portal.clock.now + 86_400)
            #expect(opened?.decision.servedAt != nil, "reading it served it")
            await app.press(.character("s"), .enter)
            let saved = try FileManager.default.contentsOfDirectory(atPath: app.home.path).filter { $0.hasPrefix("decision-") }
            #expect(saved.count == 1)
            let content = FileManager.default.contents(atPath: app.home.appending(path: try #require(saved.first)).path)
            #expect(content == Data(Samples.pdf))
            // Reading a notification marked it read on the portal.
            let notifications = try await portal.store.notifications(applicantID: app.applicant.id, after: nil)
            #expect(notifications.first { $0.kind == .decisionReady }?.readAt != nil)
            await app.finish()
        }
    }

    /// A path that is empty or blank asks for one; a folder is named as a folder; a relative path is in the
    /// home folder, where the offered one is.
    @Test func savingADecision_toNoPath_aFolder_orARelativeName() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            await app.focus("Notifications")
            await app.press(.enter)
            await app.focus("Decision made")
            await app.press(.enter)
            await app.press(.character("s"))
            for _ in 0..<80 { await app.press(.backspace) }
            await app.type("   ")
            await app.press(.enter)
            #expect(app.screen.contains("Type a path to save to:"), "\(app.screen)")
            for _ in 0..<3 { await app.press(.backspace) }
            await app.type(app.home.path)
            await app.press(.enter)
            #expect(app.screen.contains("\(app.home.path) is a folder: give the"), "\(app.screen)")
            await app.press(.character("s"))
            for _ in 0..<200 { await app.press(.backspace) }
            await app.type("mine.pdf")
            await app.press(.enter)
            #expect(FileManager.default.contents(atPath: app.home.appending(path: "mine.pdf").path) == Data(Samples.pdf), "\(app.screen)")
            await app.finish()
        }
    }

    @Test func escapeOnTheStartPage_staysThere_andQQuits() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            await app.press(.enter)
            // Back from the list, and once too often: still the start page.
            await app.press(.escape, .escape, .escape)
            #expect(!app.driver.didQuit)
            #expect(app.screen.contains("Portti · Start page"), "\(app.screen)")
            await app.press(.character("q"))
            #expect(app.driver.didQuit)
            await app.finish()
        }
    }

    @Test func aNotification_opensAtOnce_soTheNextKeyGoesToWhatOpened() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            await app.focus("Notifications")
            await app.press(.enter)
            await app.focus("Decision made")
            // Enter and Escape before anything settles: the decision opened and closed, the list is back.
            app.driver.send(.key(.enter))
            app.driver.send(.key(.escape))
            await app.driver.settle()
            #expect(app.focusedRow.contains("Decision made"), "\(app.screen)")
            #expect(!app.screen.contains("Granted for two years."))
            let notifications = try await portal.store.notifications(applicantID: app.applicant.id, after: nil)
            let decision = try #require(notifications.first { $0.kind == .decisionReady })
            #expect(decision.readAt != nil, "it was still marked read")
            // The portal's answer to marking it read may come after the list was reloaded (and counted it read
            // already): it must not lower the count again.
            let unread = notifications.filter { $0.readAt == nil }.count
            await app.press(.escape)
            #expect(app.screen.contains("Notifications (\(unread) unread)"), "\(app.screen)")
            app.driver.send(message: .screen(.routed(Routed(NotificationsScreen.Message.markedRead(decision)))))
            await app.driver.settle()
            #expect(app.screen.contains("Notifications (\(unread) unread)"), "\(app.screen)")
            await app.finish()
        }
    }
}

@Suite struct WritingTests {
    /// Opens the request for additional information, as the flow does.
    private func request(_ app: inout AppHarness) async {
        await app.press(.enter)
        await app.focus(app.work.referenceNumber)
        await app.press(.enter, .enter)
    }

    /// Opens the response to the request, as the flow does.
    private func compose(_ app: inout AppHarness) async {
        await request(&app)
        await app.press(.enter)
    }

    /// A send killed half-way (the portal stopped, the app killed) is finished by the outbox at the next start:
    /// the receipt shown over the start page is signed and verified, as Receipts says, not "Not signed".
    @Test(arguments: Language.allCases)
    func aSendTheOutboxFinishesAtTheStart_showsItsReceiptSignedAndVerified(_ language: Language) async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: language, waiting: { work in
                Draft(target: .application(work.id), text: "Sent before the kill.", updatedAt: portal.clock.now)
            })
            let strings = StringTable(language)
            let verified = String(strings("receipt.signed_verified").prefix { $0 != "{" }).trimmingCharacters(in: .whitespaces)
            #expect(app.screen.contains(strings("receipt.sent")), "\(app.screen)")
            #expect(app.screen.contains("Sent before the kill."))
            #expect(app.screen.contains(verified), "\(app.screen)")
            #expect(!app.screen.contains(strings("receipt.unsigned")))
            // The same receipt in Receipts says the same.
            await app.press(.enter)
            #expect(app.driver.program.screen.top?.screen is StartScreen)
            await app.focus(strings("start.receipts"))
            await app.press(.enter)
            await app.press(.enter)
            #expect(app.screen.contains(verified), "\(app.screen)")
            await app.finish()
        }
    }

    @Test func anUnsentDraft_isOfferedAgain() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            await compose(&app)
            await app.type("Half-written answer")
            await app.press(.escape)
            await app.press(.enter)
            #expect(app.screen.contains("Half-written answer"))
            #expect(app.screen.contains("draft"))
            await app.finish()
        }
    }

    @Test func typingStraightAfterEnter_reachesTheWritingScreen_andOpensItOnce() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            await request(&app)
            // Enter opens the writing screen once its draft is read; what is typed before then is not lost,
            // and the second Enter is a new line in the message, not a second writing screen.
            app.driver.send(.key(.enter))
            app.driver.type("Typed at once")
            app.driver.send(.key(.enter))
            app.driver.type("and on")
            await app.driver.settle()
            #expect(app.screen.contains("Typed at once"), "\(app.screen)")
            #expect(app.screen.contains("and on"))
            await app.press(.escape)
            #expect(app.screen.contains("Signed employment contract"), "one Escape is back at the request: \(app.screen)")
            #expect(!app.screen.contains("Typed at once"))
            await app.press(.enter)
            #expect(app.screen.contains("Typed at once") && app.screen.contains("and on"), "the draft kept both lines: \(app.screen)")
            await app.finish()
        }
    }

    @Test func resizeWhileWriting_keepsEverything() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .swedish)
            await compose(&app)
            await app.type("Texten får inte försvinna")
            app.driver.send(.resize(width: 60, height: 20))
            await app.driver.settle()
            #expect(app.screen.contains("80"), "the notice names the size needed: \(app.screen)")
            #expect(!app.screen.contains("Texten"))
            app.driver.send(.resize(width: 100, height: 30))
            await app.driver.settle()
            #expect(app.screen.contains("Texten får inte försvinna"))
            await app.finish()
        }
    }

    @Test func switchingLanguage_whileWriting_losesNothing() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            await compose(&app)
            await app.type("Written in English first")
            await app.press(.function(2))
            await app.focus("Suomi")
            await app.press(.enter)
            #expect(app.screen.contains("Vastaa täydennyspyyntöön"))
            #expect(app.screen.contains("Written in English first"))
            await app.finish()
        }
    }

    @Test func switchingLanguage_whilePicking_translatesThePicker() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            await compose(&app)
            await app.press(.control("o"))
            #expect(app.screen.contains("Choose attachments"))
            await app.press(.function(2))
            await app.focus("Suomi")
            await app.press(.enter)
            #expect(app.screen.contains("Valitse liitteet"), "\(app.screen)")
            #expect(app.screen.contains("contract.pdf"))
            await app.finish()
        }
    }

    @Test func mentioningAnAttachment_withoutOne_warns() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .finnish)
            await compose(&app)
            await app.type("Liitteenä on työsopimus.")
            await app.press(.control("r"))
            #expect(app.screen.contains("mainitaan liite"))
            await app.finish()
        }
    }

    /// Ten files a message, however many picks: the eleventh is not attached, and the picker no longer opens.
    @Test func attachments_areLimitedForTheWholeMessage() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            for number in 1...12 {
                try Data(Samples.pdf).write(to: app.home.appending(path: "scan-\(number < 10 ? "0" : "")\(number).pdf"))
            }
            await compose(&app)
            func pick(_ numbers: ClosedRange<Int>) async {
                await app.press(.control("o"))
                for number in numbers {
                    await app.focus("scan-\(number < 10 ? "0" : "")\(number).pdf")
                    await app.press(.character(" "))
                }
                await app.press(.enter)
            }
            await pick(1...6)
            #expect(app.screen.contains("Attachments: 6"), "\(app.screen)")
            await pick(7...12)
            #expect(app.screen.contains("Attachments: 10"), "\(app.screen)")
            #expect(app.screen.contains("Too many attachments: at most 10 a message."))
            await app.press(.control("o"))
            #expect(!app.screen.contains("Choose attachments"))
            #expect(app.screen.contains("Too many attachments: at most 10 a message."))
            await app.finish()
        }
    }

    /// The picker opens again where the last file was picked.
    @Test func thePicker_opensWhereTheLastPickWasMade() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            let scans = app.home.appending(path: "skannatut")
            try FileManager.default.createDirectory(at: scans, withIntermediateDirectories: true)
            try Data(Samples.pdf).write(to: scans.appending(path: "passi.pdf"))
            await compose(&app)
            await app.press(.control("o"))
            await app.focus("skannatut/")
            await app.press(.enter)
            await app.focus("passi.pdf")
            await app.press(.enter)
            #expect(app.screen.contains("passi.pdf"))
            await app.press(.control("o"))
            #expect(app.screen.contains("Choose attachments"))
            #expect(app.screen.contains("/skannatut"), "\(app.screen)")
            #expect(app.screen.contains("passi.pdf"))
            await app.finish()
        }
    }

    /// A file whose name is not UTF-8 is listed, attached by its real bytes and sent; the portal gets a
    /// UTF-8 name and the file's own content.
    @Test func aFileNamedInBytesThatAreNotUTF8_isAttachedAndSent() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            let name: [UInt8] = [0x6B, 0xE4, 0x79, 0x74, 0xF6] + Array(".pdf".utf8)  // "käytö.pdf" in Latin-1
            let path = Array(app.home.path.utf8) + [UInt8(ascii: "/")] + name + [0]
            let descriptor = path.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o600) }
            #expect(descriptor >= 0)
            _ = Samples.pdf.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            await compose(&app)
            await app.type("Latin-1 name")
            await app.press(.control("o"))
            await app.focus("k\u{FFFD}yt\u{FFFD}.pdf")
            await app.press(.enter)
            #expect(app.writing?.files.count == 1, "\(app.screen)")
            #expect(!app.screen.contains("cannot be read"), "\(app.screen)")
            await app.press(.control("r"))
            await app.press(.enter)
            #expect(app.screen.contains("Confirmation of receipt number"), "\(app.screen)")
            let sent = try #require(try await portal.store.incomingMessages().last)
            #expect(sent.receipt.files.count == 1)
            #expect(sent.receipt.files.first?.name.hasSuffix(".pdf") == true)
            #expect(sent.receipt.files.first?.name.unicodeScalars.allSatisfy { $0 != "\u{FFFD}" } == true)
            await app.finish()
        }
    }

    /// The editor's file ends with a newline, so the line the editor appends is a line of its own, and
    /// the text comes back without the newline the file was given. Ctrl-Z takes the editor's work back.
    @Test func theExternalEditor_editsTheDraft() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            await compose(&app)
            await app.type("First line")
            await app.press(.control("e"))
            #expect(app.writing?.editor.text == "First line\nWritten in the editor.")
            #expect(app.screen.contains("Written in the editor."))
            await app.press(.control("z"))
            #expect(app.writing?.editor.text == "First line")
            await app.finish()
        }
    }

    /// An editor that cannot be found or fails says so, and the message stays as it was.
    @Test(arguments: [EditorRun.notFound(editor: "nosuchedit"), .failed(editor: "nosuchedit", status: 2)])
    func aFailingEditor_saysSo_andKeepsTheMessage(outcome: EditorRun) async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english) { path in
                _ = FileManager.default.createFile(atPath: path, contents: Data("half-written junk".utf8))
                return outcome
            }
            await compose(&app)
            await app.type("Keep me")
            await app.press(.control("e"))
            #expect(app.writing?.editor.text == "Keep me")
            let strings = StringTable(.english)
            let expected = switch outcome {
            case .notFound: strings("compose.editor_missing", ["editor": "nosuchedit"])
            default: strings("compose.editor_failed", ["editor": "nosuchedit", "status": "2"])
            }
            #expect(app.screen.replacingOccurrences(of: "\n", with: " ").contains(expected.prefix(30)), "\(app.screen)")
            await app.finish()
        }
    }

    @Test func aSessionEnding_whileTheWritingScreenOpens_keepsThePasswordOutOfTheMessage() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            await request(&app)
            app.driver.send(.key(.enter))  // the writing screen opens…
            // …and meanwhile another answer says the session has ended: the password prompt comes up.
            app.driver.send(message: .screen(.routed(Routed(ApplicationsScreen.Message.loaded(.failure(.sessionExpired))))))
            app.driver.type(TestPortal.password)
            await app.driver.settle()
            #expect(app.screen.contains("session has expired"), "\(app.screen)")
            #expect(!app.screen.contains(TestPortal.password))
            await app.press(.enter)
            #expect(app.screen.contains("Respond to the request"), "the writing screen is there after: \(app.screen)")
            #expect(!app.screen.contains(TestPortal.password), "the password went to the prompt, not the message")
            await app.finish()
        }
    }

    /// The key gate: under the "too small" notice the review screen is not drawn, so Enter must not send it.
    @Test func enterUnderTheTooSmallNotice_sendsNothing() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            await compose(&app)
            await app.type("Not to be sent unseen")
            await app.press(.control("r"))
            let review = app.screen
            #expect(review.contains("Review before sending"))
            app.driver.send(.resize(width: 60, height: 20))
            await app.press(.enter)
            app.driver.send(.paste("pasted"))
            await app.press(.character("e"), .escape)
            app.driver.send(.resize(width: 80, height: 24))
            await app.driver.settle()
            #expect(app.screen == review, "\(app.screen)")
            #expect(try await portal.store.incomingMessages().isEmpty)
            await app.finish()
        }
    }

    @Test func anExpiredSession_asksForThePassword_andTheSendGoesOn() async throws {
        try await withPortal { portal in
            var app = try await AppHarness.start(portal, language: .english)
            await compose(&app)
            await app.type("Sent after signing in again")
            portal.clock.advance(by: 31 * 60)
            await app.press(.control("r"), .enter)
            #expect(app.screen.contains("session has expired"), "\(app.screen)")
            await app.type(TestPortal.password)
            await app.press(.enter)
            #expect(app.screen.contains("Confirmation of receipt"), "\(app.screen)")
            #expect(try await portal.store.incomingMessages().map(\.text) == ["Sent after signing in again"])
            await app.finish()
        }
    }
}
