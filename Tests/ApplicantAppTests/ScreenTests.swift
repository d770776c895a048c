@testable import ApplicantApp
import ApplicantStore
import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel
import TerminalUI
import Testing

/// Screens at 80x24 by their update and view alone, with a fixed clock: whole screens and whole rows.
@Suite struct ScreenTests {
    let records = TemporaryAccount()
    var environment: AppEnvironment { records.environment }

    static let work = Application(
        id: "application_1", type: .residencePermitWork, referenceNumber: "MIG-2026-000001", status: .waitingForInformation,
        submittedAt: Fixed.now - 9 * 86_400, updatedAt: Fixed.now - 86_400)

    /// Due at the end of the tenth day from now, in the portal's calendar.
    static let request = SupplementRequest(
        id: "request_1", applicationID: "application_1", text: "We need your employment contract.",
        items: ["Signed employment contract"], deadline: Calendar.portal.endOfDay(Fixed.now + 10 * 86_400),
        sentAt: Fixed.now - 86_400, answeredAt: nil)

    static func fresh<Value>(_ value: Value) -> Result<Fresh<Value>, ClientError> { .success(Fresh(value: value, offlineSince: nil)) }

    @Test func theApplication_wholeScreen() {
        var screen = ApplicationScreen(applicationID: "application_1")
        #expect(screen.load(environment)?.name == "load application")
        let overview = ApplicationOverview(application: Self.work, timeline: [
            TimelineEvent(at: Fixed.now - 9 * 86_400, kind: .submitted, status: .received),
            TimelineEvent(at: Fixed.now - 86_400, kind: .requestSent, status: .waitingForInformation),
        ], decisionID: nil)
        #expect(screen.update(.loaded(Self.fresh(ApplicationPage(overview: overview, requests: [Self.request]))), environment).isEmpty)
        #expect(render(screen, environment) == [
            " Portti · MIG-2026-000001",
            "",
            "  Residence permit for work",
            "  Status: Waiting for additional information",
            "",
            "  Processing",
            "    12/09/2026, 17:13  Application submitted",
            "    20/09/2026, 17:13  Request for additional information sent",
            "",
            "  Requests and actions",
            "  › Read request · Open · deadline 01/10/2026 · 10 days left",
            "    Send additional information",
            "    Messages",
        ] + Array(repeating: "", count: 9))
        let open = screen.update(.input(.key(.enter)), environment)
        #expect(open.requests().map(\.word) == ["open request(id: \"request_1\", applicationID: \"application_1\")"])
    }

    /// Offline with nothing kept: the screen is named as one application, and offers only what works.
    @Test func anApplicationThatCouldNotLoad_offersOnlyRefreshAndBack() {
        var screen = ApplicationScreen(applicationID: "application_1")
        _ = screen.update(.loaded(.failure(.portalUnreachable)), environment)
        #expect(render(screen, environment)[0].hasPrefix(" Portti · Application"))
        #expect(!render(screen, environment)[0].hasPrefix(" Portti · Applications"))
        #expect(screen.keyHints(environment.context).map(\.keys) == ["r", "Esc"])
    }

    /// Dates of different widths (1.9. and 12.9. in Finnish) still leave the events in one column.
    @Test func theTimeline_alignsItsEvents_inFinnish() {
        var screen = ApplicationScreen(applicationID: "application_1")
        let overview = ApplicationOverview(application: Self.work, timeline: [
            TimelineEvent(at: Fixed.now - 20 * 86_400, kind: .submitted, status: .received),
            TimelineEvent(at: Fixed.now - 9 * 86_400, kind: .requestSent, status: .waitingForInformation),
        ], decisionID: nil)
        let finnish = Fixed.environment(.finnish)
        _ = screen.update(.loaded(Self.fresh(ApplicationPage(overview: overview, requests: []))), finnish)
        let rows = render(screen, finnish)
        #expect(rows[6].hasPrefix("    1.9.2026 klo 17.13   "), "\(rows[6])")
        #expect(rows[7].hasPrefix("    12.9.2026 klo 17.13  "), "\(rows[7])")
        let starts = rows[6...7].map { row in row.distance(from: row.startIndex, to: row.firstIndex(of: "H") ?? row.firstIndex(of: "T") ?? row.endIndex) }
        #expect(Set(starts).count == 1, "the events start in one column: \(rows[6...7])")
    }

    @Test func aLoadFailingOnAnEndedSession_asksForThePassword() {
        var screen = ApplicationsScreen(purpose: .browse)
        let effects = screen.update(.loaded(.failure(.sessionExpired)), environment)
        #expect(effects.requests().map(\.word) == ["sign in again, then reload"])
        #expect(render(screen, environment)[2].hasPrefix(" Your session has expired"))
    }

    @Test func theApplications_filterAsYouType_andOpen() {
        var screen = ApplicationsScreen(purpose: .browse)
        var study = Self.work
        study.id = "application_2"
        study.type = .residencePermitStudy
        study.referenceNumber = "MIG-2026-000002"
        _ = screen.update(.loaded(Self.fresh([Self.work, study])), environment)
        for key in [Key.character("/"), .character("s"), .character("t"), .character("u")] {
            #expect(screen.update(.input(.key(key)), environment).isEmpty)
        }
        let rows = render(screen, environment)
        #expect(rows[4] == " › MIG-2026-000002   Residence permit for studies      Waiting for additional …")
        #expect(rows[5] == "")
        #expect(rows[21] == " Filter: stu")
        _ = screen.update(.input(.key(.enter)), environment)  // the filter is done
        let open = screen.update(.input(.key(.enter)), environment)
        #expect(open.requests().map(\.word) == ["open application(id: \"application_2\")"])
    }

    @Test func aRequest_isAnsweredWhileOpen_onlyByTheClockGiven() {
        var screen = RequestScreen(requestID: "request_1", applicationID: "application_1")
        _ = screen.update(.loaded(Self.fresh(Self.request), reference: "MIG-2026-000001"), environment)
        #expect(render(screen, environment) == [
            " Portti · Request for additional information: MIG-2026-000001",
            "",
            "  Sent on 20/09/2026",
            "  Open · deadline 01/10/2026 · 10 days left",  // its state, not the action that opened it
            "",
            "  We need your employment contract.",
            "",
            "  Asked for:",
            "    • Signed employment contract",
        ] + Array(repeating: "", count: 12) + [" Press Enter: Respond to the request for additional information."])
        let respond = screen.update(.input(.key(.enter)), environment)
        #expect(respond.requests().map(\.word) == ["open compose(PorttiModel.MessageTarget.request(\"request_1\"), title: ApplicantApp.ComposeTitle.response(reference: \"MIG-2026-000001\"))"])
        var late = Fixed.environment(account: records.account)
        late = AppEnvironment(services: late.services, account: late.account, screen: late.screen,
                              context: ViewContext(language: .english, now: Self.request.deadline + 1), lastPickFolder: nil)
        #expect(screen.update(.input(.key(.enter)), late).isEmpty, "overdue: nothing to respond to")
    }

    @Test func aDecisionsDocument_isNeverSavedOverAFile() {
        var screen = DecisionScreen(decisionID: "decision_1", reference: "MIG-2026-000002")
        let decision = Decision(id: "decision_1", applicationID: "application_2", text: "Granted for two years.",
                                madeAt: Fixed.now - 86_400, servedAt: Fixed.now, hasDocument: true)
        _ = screen.update(.loaded(Self.fresh(ServedDecision(decision: decision, appealDeadline: Fixed.now + 30 * 86_400)),
                                  reference: "MIG-2026-000002"), environment)
        #expect(screen.update(.input(.key(.character("s"))), environment).isEmpty)
        #expect(screen.pathField?.text == "/home/aino/decision-2026-09-20.pdf", "offered in the home folder of the environment")
        #expect(screen.capturesText)
        let save = screen.update(.input(.key(.enter)), environment)
        #expect(save.names() == ["save document"])
        #expect(render(screen, environment)[21] == " Saving the document…")
        _ = screen.update(.exists("/home/aino/decision-2026-09-20.pdf"), environment)
        #expect(screen.pathField?.text == "/home/aino/decision-2026-09-20.pdf", "the name comes back to be changed")
        #expect(render(screen, environment)[21].hasPrefix(" That file exists; another name:"))
        _ = screen.update(.input(.key(.enter)), environment)
        _ = screen.update(.saved(path: "/home/aino/decision-2026-09-20.pdf", .success(594)), environment)
        #expect(render(screen, environment)[21] == " Saved: /home/aino/decision-2026-09-20.pdf (594 B)")
        #expect(DecisionScreen.expandingTilde("~/decision.pdf", home: "/home/aino") == "/home/aino/decision.pdf")
        #expect(DecisionScreen.expandingTilde("~", home: "/home/aino") == "/home/aino")
        #expect(DecisionScreen.expandingTilde("/tmp/~x.pdf", home: "/home/aino") == "/tmp/~x.pdf")
    }
}

/// The other screens, each whole at 80x24 (its 22 rows; the news row and the key hints are the app's and the
/// shell's), in one language each.
@Suite struct ScreenSnapshotTests {
    let environment = Fixed.environment(unread: 2)

    func blank(_ count: Int) -> [String] { Array(repeating: "", count: count) }

    @Test func theStartPage_inEnglish() {
        #expect(render(StartScreen(applicantName: "Aino Virtanen", portalNote: nil), environment) == [
            " Portti · Start page",
            "",
            "  Signed in as Aino Virtanen",
            "",
            "  › Applications",
            "    Send additional information",
            "    Notifications (2 unread)",
            "    Messages",
            "    Write a message on another matter",
            "    Receipts",
            "    Language",
            "    Sign out",
            "    Quit",
        ] + blank(9))
    }

    @Test func signingIn_inFinnish() {
        let finnish = Fixed.environment(.finnish)
        #expect(render(SignInScreen(username: "aino", resuming: false, portal: "https://portti.example"), finnish) == [
            " Portti · Kirjaudu sisään",
            "",
            "  Portaali: https://portti.example",
            "",
            "  Käyttäjätunnus  aino",
            "",
            "  Salasana",
        ] + blank(15))
    }

    /// Enter with the password empty (after a session ended) says what is missing rather than nothing.
    @Test func anEmptyPassword_isAskedFor() {
        var screen = SignInScreen(username: "aino", resuming: true, portal: "https://portti.example")
        let environment = Fixed.environment(.swedish)
        #expect(screen.update(.input(.key(.enter)), environment).isEmpty, "nothing goes to the portal")
        #expect(render(screen, environment).last == " Skriv ditt lösenord och tryck på Enter.")
        _ = screen.update(.input(.key(.character("x"))), environment)
        #expect(screen.update(.input(.key(.enter)), environment).names() == ["sign in"])
    }

    @Test func aReceiptJustSent_inSwedish() {
        var signed = Fixed.receipt
        signed.signed = "header.payload.signature"
        let kept = KeptReceipt(receipt: signed, target: .request("request_1"), message: "Här är avtalet.",
                               verifiedKey: "UJ9xucz5UDo5PXtP3Ha8Fk5gqbpFsY1Ux3ea0vQTtcY")
        #expect(render(ReceiptScreen(kept: kept, justSent: true), Fixed.environment(.swedish)) == [
            " Portti · Mottagningsbekräftelse",
            "",
            "  Skickat. Portalen har tagit emot ditt meddelande.",
            "",
            "  Mottagningsbekräftelsens nummer: 2026-00000042",
            "  Mottaget: 2026-09-21 17:13",
            "  Svar på begäran om komplettering",
            "  Ansökan: MIG-2026-000001",
            "  Undertecknad av portalen och verifierad. Nyckelns fingeravtryck:",
            "  UJ9xucz5UDo5PXtP3Ha8Fk5gqbpFsY1Ux3ea0vQTtcY",
            "",
            "  Mottagna filer: 1",
            "    contract.pdf  594 B",
            "      SHA-256 " + String(repeating: "a", count: 64),
            "",
            "  Meddelandet som det skickades:",
            "    Här är avtalet.",
        ] + blank(4) + [" Mottagningsbekräftelsen sparas på den här datorn (Kvitton på ingångssidan)."])
    }

    /// A receipt kept before receipts were signed says so, in each language.
    @Test func aReceiptKeptUnsigned_saysSo_inEachLanguage() {
        let kept = KeptReceipt(receipt: Fixed.receipt, target: .request("request_1"), message: "")
        for (language, words) in [(Language.english, "  Not signed"), (.finnish, "  Ei allekirjoitettu"), (.swedish, "  Inte undertecknad")] {
            #expect(render(ReceiptScreen(kept: kept, justSent: false), Fixed.environment(language)).contains { $0.hasPrefix(words) })
        }
    }

    /// A receipt longer than the screen scrolls, and the whole message sent is there to read.
    @Test func aLongReceipt_scrolls_toTheEndOfTheMessage() {
        let message = (1...30).map { "Line \($0) of what I wrote." }.joined(separator: "\n")
        var screen = ReceiptScreen(kept: KeptReceipt(receipt: Fixed.receipt, target: .request("request_1"), message: message),
                                   justSent: false)
        #expect(render(screen, environment).suffix(2) == [
            " This confirmation of receipt is kept on this computer (Receipts on the start",
            " page). ↑↓ scrolls.",
        ], "the notice says the receipt goes on below")
        _ = screen.update(.input(.key(.end)), environment)
        let rows = render(screen, environment)
        #expect(rows.contains("    Line 30 of what I wrote."), "\(rows)")
        #expect(!rows.contains("    Line 1 of what I wrote."))
    }

    @Test func theReceipts_andTheLanguages_inEnglish() {
        var receipts = ReceiptsScreen()
        _ = receipts.update(.loaded([KeptReceipt(receipt: Fixed.receipt, target: .request("request_1"), message: "")]), environment)
        #expect(render(receipts, environment) == [
            " Portti · Receipts",
            "",
            " › 2026-00000042  21/09/2026, 17:13  MIG-2026-000001  Response",
        ] + blank(19))
        #expect(render(LanguageScreen(current: .english), environment) == [
            " Portti · Language",
            "",
            "  › English  ✓",
            "    Suomi",
            "    Svenska",
        ] + blank(17))
    }

    /// The tables at 80 columns in each language: columns as wide as what they hold, short words for the
    /// kinds, so nothing is cut ("…"), and two messages on other matters are told apart by their topics.
    @Test(arguments: Language.allCases)
    func theTables_fit80Columns_withNothingCut(_ language: Language) {
        let records = TemporaryAccount()
        let environment = Fixed.environment(language, account: records.account)
        let topics = ConversationUpdateTests.topics
            + [MessageTopic(code: "address_change", titles: .init(en: "Change of address", fi: "Osoitteenmuutos", sv: "Adressändring"))]
        let context = ViewContext(language: language, now: Fixed.now, topics: topics)
        func rows(_ screen: some AppScreen) -> [String] {
            var canvas = Canvas(width: 80, height: 22)
            screen.view(into: &canvas, context: context)
            return canvas.lines
        }
        func expectWhole(_ lines: [String], _ what: String) {
            #expect(!lines.contains { $0.contains("…") }, "\(what) in \(language): \(lines.joined(separator: "\n"))")
        }

        // Receipts: each kind, on an application and on a topic.
        var onTopic = Fixed.receipt
        onTopic.applicationID = nil
        onTopic.applicationReference = nil
        onTopic.topic = "residence_card"
        var receipts = ReceiptsScreen()
        _ = receipts.update(.loaded([
            KeptReceipt(receipt: Fixed.receipt, target: .request("request_1"), message: ""),
            KeptReceipt(receipt: Fixed.receipt, target: .application("application_1"), message: ""),
            KeptReceipt(receipt: onTopic, target: .topic("residence_card"), message: ""),
            KeptReceipt(receipt: Fixed.receipt, target: .reply("message_2"), message: ""),
        ]), environment)
        expectWhole(rows(receipts), "receipts")

        // Notifications: each kind, one about a topic.
        var notifications = NotificationsScreen()
        var aboutTopic = Fixed.notification("n4", .messageReceived, sequence: 4)
        aboutTopic.applicationReference = nil
        aboutTopic.applicationID = nil
        aboutTopic.topic = "residence_card"
        let list = [Fixed.notification("n1", .requestSent, sequence: 1), Fixed.notification("n2", .decisionReady, sequence: 2),
                    Fixed.notification("n3", .message, sequence: 3), aboutTopic]
        _ = notifications.update(.loaded(.success(Fresh(value: NotificationList(notifications: list, unread: 4), offlineSince: nil))), environment)
        expectWhole(rows(notifications), "notifications")

        // Messages: ten in a conversation.
        var many: [Message] = []
        for index in 0..<10 {
            var message = ConversationUpdateTests.answer
            message.id = "message_\(index + 10)"
            message.text = "Short."
            message.sentAt = Fixed.now - Double(index) * 86_400
            many.append(message)
        }
        var conversations = ConversationsScreen()
        _ = conversations.update(.loaded(.success(Fresh(value: ConversationPage(messages: many + [ConversationUpdateTests.otherMatter],
                                                                                topics: topics), offlineSince: nil))), environment)
        expectWhole(rows(conversations), "messages")

        // Other matters: the same text under two topics, told apart by the topic's title.
        var other = ConversationUpdateTests.otherMatter
        other.topic = "other"
        var address = other
        address.id = "message_8"
        address.topic = "address_change"
        var otherMatters = ConversationScreen(subject: .otherMatters)
        _ = otherMatters.update(.loaded(.success(Fresh(value: ConversationPage(messages: [other, address], topics: topics), offlineSince: nil))),
                                environment)
        let lines = rows(otherMatters)
        let titles = topics.map { $0.titles.title(language: language.rawValue) }
        #expect(lines[2].contains(titles[0]) && lines[3].contains(titles[2]), "\(lines)")
        expectWhole(lines, "other matters")
    }
}
