@testable import ApplicantApp
import ApplicantStore
import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel
import TerminalUI
import Testing

/// The conversation screens by their update and view alone: the effects each message returns, the requests
/// to the app, and the screen at 80x24 (22 rows) with the fixed clock.
@Suite struct ConversationUpdateTests {
    let records = TemporaryAccount()
    var environment: AppEnvironment { records.environment }

    static let topics = [
        MessageTopic(code: "other", titles: .init(en: "Something else", fi: "Muu asia", sv: "Något annat")),
        MessageTopic(code: "residence_card", titles: .init(en: "Residence card", fi: "Oleskelulupakortti", sv: "Uppehållstillståndskort")),
    ]

    static let asked = Message(
        id: "message_1", direction: .fromApplicant, applicationID: "application_1", applicationReference: "MIG-2026-000001",
        topic: nil, text: "When will my application be decided?\nThanks.", attachments: [], sentAt: Fixed.now - 3 * 86_400, inReplyTo: nil,
        receipt: Receipt(number: "2026-00000007", receivedAt: Fixed.now - 3 * 86_400, applicationID: "application_1",
                         applicationReference: "MIG-2026-000001", requestID: nil, files: []),
        readByAuthorityAt: Fixed.now - 2 * 86_400, answeredBy: "message_2")
    static let answer = Message(
        id: "message_2", direction: .fromAuthority, applicationID: "application_1", applicationReference: "MIG-2026-000001",
        topic: nil, text: "Within two months.\u{1B}[31m", attachments: [
            MessageAttachment(id: "attachment_1", name: "letter.pdf", size: 594, sha256: String(repeating: "b", count: 64), type: .pdf),
            MessageAttachment(id: "attachment_2", name: "guide.pdf", size: 2048, sha256: String(repeating: "c", count: 64), type: .pdf),
        ], sentAt: Fixed.now - 86_400, inReplyTo: "message_1")
    static let otherMatter = Message(
        id: "message_3", direction: .fromApplicant, applicationID: nil, applicationReference: nil, topic: "residence_card",
        text: "My card was lost.", attachments: [], sentAt: Fixed.now - 3600, inReplyTo: nil,
        receipt: Receipt(number: "2026-00000008", receivedAt: Fixed.now - 3600, applicationID: nil, applicationReference: nil,
                         requestID: nil, files: []))

    static func page(_ messages: [Message], offline: Date? = nil) -> Result<Fresh<ConversationPage>, ClientError> {
        .success(Fresh(value: ConversationPage(messages: messages, topics: topics), offlineSince: offline))
    }

    // MARK: The list of conversations

    @Test func theConversations_oneForEachApplication_andTheOtherMatters_newestFirst() {
        var screen = ConversationsScreen()
        #expect(screen.load(environment)?.name == "load conversations")
        #expect(screen.update(.loaded(Self.page([Self.asked, Self.answer, Self.otherMatter])), environment).isEmpty)
        let rows = render(screen, environment)
        #expect(rows[0] == " Portti · Messages")
        #expect(rows[2] == " ›      Other matters    1 message   latest 21/09/2026, 16:13")
        #expect(rows[3] == "   NEW  MIG-2026-000001  2 messages  latest 20/09/2026, 17:13")
        #expect(rows[4] == "   Write a message on another matter")
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word) == ["open conversation(ApplicantApp.ConversationSubject.otherMatters)"])
        _ = screen.update(.input(.key(.down)), environment)
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word)
                == ["open conversation(ApplicantApp.ConversationSubject.application(id: \"application_1\", reference: \"MIG-2026-000001\"))"])
        _ = screen.update(.input(.key(.down)), environment)
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word) == ["open messageTopics"])
        #expect(screen.update(.input(.key(.escape)), environment).requests().map(\.word) == ["back"])
    }

    // MARK: One conversation

    @Test func aConversation_oldestFirst_bothDirections_withStates_inEnglish() {
        var screen = ConversationScreen(subject: .application(id: "application_1", reference: "MIG-2026-000001"))
        #expect(screen.load(environment)?.name == "load conversation")
        _ = screen.update(.loaded(Self.page([Self.answer, Self.asked])), environment)
        let rows = render(screen, environment)
        #expect(rows[0] == " Portti · Messages: MIG-2026-000001")
        #expect(rows[2] == "   18/09/2026, 17:13  You        Answered  When will my application be decided?")
        #expect(rows[3] == " › 20/09/2026, 17:13  Authority  NEW       Within two months.")
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word) == ["open message(id: \"message_2\")"])
        var read = Self.asked
        read.answeredBy = nil
        _ = screen.update(.loaded(Self.page([Self.answer, read])), environment)
        #expect(render(screen, environment)[2] == "   18/09/2026, 17:13  You        Read 19/09/2026  When will my application be …")
        #expect(screen.update(.input(.key(.character("w"))), environment).requests().map(\.word)
                == ["open compose(PorttiModel.MessageTarget.application(\"application_1\"), title: ApplicantApp.ComposeTitle.additionalInformation(reference: \"MIG-2026-000001\"))"])
    }

    /// Back from a message, the conversation loads again and the focus stays on the message it was on (by
    /// its id), not on the newest; so Down, Enter opens the one after it. A new message does not move it.
    @Test(arguments: Language.allCases)
    func shownAgain_aConversation_keepsItsFocus_onTheSameMessage(_ language: Language) {
        let environment = Fixed.environment(language, account: records.account)
        var screen = ConversationScreen(subject: .application(id: "application_1", reference: "MIG-2026-000001"))
        var third = Self.answer
        third.id = "message_4"
        third.sentAt = Fixed.now - 600
        _ = screen.update(.loaded(Self.page([Self.asked, Self.answer, third])), environment)
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word) == ["open message(id: \"message_4\")"],
                "the first time, the newest")
        _ = screen.update(.input(.key(.up)), environment)
        _ = screen.update(.input(.key(.up)), environment)
        // Back from message_1: loaded again, from the records and then the portal, with one message more.
        var fourth = third
        fourth.id = "message_5"
        fourth.sentAt = Fixed.now - 60
        _ = screen.update(.loaded(Self.page([Self.asked, Self.answer, third])), environment)
        _ = screen.update(.loaded(Self.page([Self.asked, Self.answer, third, fourth])), environment)
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word) == ["open message(id: \"message_1\")"])
        _ = screen.update(.input(.key(.down)), environment)
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word) == ["open message(id: \"message_2\")"])
    }

    /// The conversations move when one gets a new message: the focus stays on the one it was on.
    @Test func shownAgain_theConversations_keepTheirFocus_whenTheOrderChanges() {
        var screen = ConversationsScreen()
        _ = screen.update(.loaded(Self.page([Self.asked, Self.answer, Self.otherMatter])), environment)
        _ = screen.update(.input(.key(.down)), environment)  // MIG-2026-000001, second
        var newer = Self.answer
        newer.id = "message_9"
        newer.sentAt = Fixed.now
        _ = screen.update(.loaded(Self.page([Self.asked, Self.answer, newer, Self.otherMatter])), environment)
        #expect(render(screen, environment)[2].hasPrefix(" › NEW  MIG-2026-000001"), "\(render(screen, environment))")
    }

    @Test func theOtherMatters_keepOnlyMessagesAboutNoApplication_andOfflineIsMarked_inFinnish() {
        var screen = ConversationScreen(subject: .otherMatters)
        let finnish = Fixed.environment(.finnish, account: records.account)
        _ = screen.update(.loaded(Self.page([Self.asked, Self.otherMatter], offline: Fixed.now - 600)), finnish)
        let rows = render(screen, finnish)
        #expect(rows[0] == " Portti · Viestit: Muut asiat")
        #expect(rows[2] == " › 21.9.2026 klo 16.13  Sinä  Vastaanotettu  Oleskelulupakortti  My card was l…")
        #expect(rows[3].trimmingCharacters(in: .whitespaces).isEmpty, "the application's message is not among them")
        let offline = StringTable(.finnish)("common.offline", ["time": Formats(.finnish).dateTime(Fixed.now - 600)])
        #expect(rows.joined(separator: " ").replacingOccurrences(of: "  ", with: " ").contains(offline.prefix(20)), "\(rows[20...])")
        #expect(screen.update(.input(.key(.character("w"))), finnish).requests().map(\.word) == ["open messageTopics"])
    }

    /// Offline, a conversation and a message not opened before are shown from the overview the Messages list
    /// kept, marked offline: not "Loading…" for the retries' length and then an error.
    @Test func offline_aConversationNotOpenedBefore_isShownFromTheOverview_markedOffline() async throws {
        let store = records.account.store
        _ = try await readThroughCache(store, key: "conversations") {
            ConversationPage(messages: [Self.asked, Self.answer, Self.otherMatter], topics: Self.topics)
        }
        // A portal that is not there, tried once.
        var settings = ClientSettings()
        settings.retry = RetryPolicy(attempts: 1)
        let unreachable = try PortalClient(portalURL: URL(string: "http://127.0.0.1:9")!, settings: settings)
        let fixed = Fixed.services()
        let services = AppServices(client: unreachable, portalURL: fixed.portalURL, environment: fixed.environment, portalNote: nil,
                                   pickerFolder: fixed.pickerFolder, utcOffset: fixed.utcOffset, clock: fixed.clock,
                                   runEditor: { _ in .finished })
        let environment = AppEnvironment(services: services, account: records.account, screen: Fixed.environment().screen,
                                         context: Fixed.environment().context, lastPickFolder: nil)

        var screen = ConversationScreen(subject: .application(id: "application_1", reference: "MIG-2026-000001"))
        let answers = await (try #require(screen.load(environment))).perform()
        #expect(answers.count == 2, "at once from the overview, then again when the portal is out of reach")
        for answer in answers { _ = screen.update(answer, environment) }
        let rows = render(screen, environment)
        #expect(rows[2].contains("When will my application"), "\(rows)")
        #expect(rows[3].contains("Within two months."))
        #expect(!rows.joined().contains("My card was lost."), "the other matters are not this conversation's")
        #expect(rows[21].contains("Offline"), "\(rows[21])")

        var message = MessageScreen(messageID: "message_3")
        for answer in await (try #require(message.load(environment))).perform() { _ = message.update(answer, environment) }
        let shown = render(message, environment)
        #expect(shown.joined(separator: "\n").contains("My card was lost."), "\(shown)")
        #expect(shown[21].contains("Offline"), "\(shown[21])")
        await unreachable.shutdown()
    }

    // MARK: One message

    @Test func theAuthoritysMessage_isMarkedReadOnceWhenOpened_andRepliedTo() {
        var screen = MessageScreen(messageID: "message_2")
        #expect(screen.load(environment)?.name == "load message")
        #expect(screen.update(.loaded(Self.page([Self.answer], offline: Fixed.now - 60)), environment).isEmpty,
                "a copy from the cache is not marked read")
        #expect(screen.update(.loaded(Self.page([Self.answer])), environment).names() == ["mark message read"])
        #expect(screen.update(.loaded(Self.page([Self.answer])), environment).isEmpty, "asked once")
        var read = Self.answer
        read.readAt = Fixed.now
        #expect(screen.update(.markedRead(read), environment).requests().map(\.word) == ["count unread"])
        #expect(screen.message?.readAt == Fixed.now)
        let rows = render(screen, environment)
        #expect(rows[0] == " Portti · Message: MIG-2026-000001")
        #expect(rows[2] == "  From the authority, 20/09/2026, 17:13")
        #expect(rows[4] == "  Attachments: 2")
        #expect(rows[5] == "  › letter.pdf  594 B")
        #expect(rows[6] == "    guide.pdf  2.0 KiB" || rows[6].hasPrefix("    guide.pdf  2"), "\(rows[6])")
        #expect(rows[8] == "  Within two months.", "the escape sequence is dropped")
        #expect(rows[21] == " Press r to reply to this message.")
        let reply = screen.update(.input(.key(.character("r"))), environment)
        #expect(reply.requests().map(\.word)
                == ["open compose(PorttiModel.MessageTarget.reply(\"message_2\"), title: ApplicantApp.ComposeTitle.reply(about: ApplicantApp.MessageAbout.application(reference: \"MIG-2026-000001\")))"])
    }

    @Test func anAttachment_isSavedWhereTheApplicantSays_neverOverAFile() {
        var screen = MessageScreen(messageID: "message_2")
        _ = screen.update(.loaded(Self.page([Self.answer], offline: Fixed.now - 60)), environment)
        _ = screen.update(.input(.key(.tab)), environment)
        #expect(screen.update(.input(.key(.character("s"))), environment).isEmpty)
        #expect(screen.prompt.pathField?.text == "/home/aino/guide.pdf", "the focused attachment, in the home folder")
        #expect(screen.capturesText)
        #expect(screen.update(.input(.key(.enter)), environment).names() == ["save attachment"])
        #expect(render(screen, environment)[21] == " Saving the attachment…")
        _ = screen.update(.saved(path: "/home/aino/guide.pdf", .failure(.fileExists(path: "/home/aino/guide.pdf"))), environment)
        #expect(screen.prompt.pathField?.text == "/home/aino/guide.pdf", "the name comes back to be changed")
        #expect(render(screen, environment)[21].hasPrefix(" That file exists; another name:"))
        _ = screen.update(.input(.key(.enter)), environment)
        _ = screen.update(.saved(path: "/home/aino/guide.pdf", .success(2048)), environment)
        #expect(render(screen, environment)[21].hasPrefix(" Saved: /home/aino/guide.pdf"))
    }

    @Test func theApplicantsOwn_showsItsReceiptAndState_andOpensTheAnswer_inSwedish() {
        var screen = MessageScreen(messageID: "message_1")
        let swedish = Fixed.environment(.swedish, account: records.account)
        #expect(screen.update(.loaded(Self.page([Self.asked])), swedish).isEmpty, "the applicant's own is not marked read")
        var rows = render(screen, swedish)
        #expect(rows[0] == " Portti · Meddelande: MIG-2026-000001")
        #expect(rows[3].contains("2026-00000007"))
        #expect(rows[4] == "  Läge: Besvarat (a öppnar svaret)")
        #expect(rows[6] == "  When will my application be decided?")
        #expect(screen.update(.input(.key(.character("r"))), swedish).isEmpty, "no reply to one's own message")
        #expect(screen.update(.input(.key(.character("a"))), swedish).requests().map(\.word) == ["open message(id: \"message_2\")"])
        var received = Self.asked
        (received.readByAuthorityAt, received.answeredBy) = (nil, nil)
        _ = screen.update(.loaded(Self.page([received])), swedish)
        rows = render(screen, swedish)
        #expect(rows[4] == "  Läge: Mottaget; myndigheten har inte läst det ännu")
        #expect(screen.update(.input(.key(.character("a"))), swedish).isEmpty)
    }

    // MARK: Topics, the start page, notifications, news

    @Test func aTopic_isChosen_otherLast_inTheLanguageShown() {
        var screen = MessageTopicsScreen()
        #expect(screen.load(environment)?.name == "load message topics")
        _ = screen.update(.loaded(.success(Fresh(value: Self.topics, offlineSince: nil))), environment)
        let rows = render(screen, environment)
        #expect(rows[0] == " Portti · Write a message on another matter")
        #expect(rows[2] == "  What is your message about?")
        #expect(rows[4] == " › Residence card")
        #expect(rows[5] == "   Something else")
        let fi = render(screen, Fixed.environment(.finnish))
        #expect(fi[4] == " › Oleskelulupakortti")
        _ = screen.update(.input(.key(.down)), environment)
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word)
                == ["open compose(PorttiModel.MessageTarget.topic(\"other\"), title: ApplicantApp.ComposeTitle.otherMatter(ApplicantApp.MessageAbout.topic(code: \"other\", titles: Optional(PorttiModel.MessageTopic.Titles(en: \"Something else\", fi: \"Muu asia\", sv: \"Något annat\")))))"])
    }

    @Test func theStartPage_countsTheAuthoritysUnreadMessages() {
        var screen = StartScreen(applicantName: "Aino Virtanen", portalNote: nil)
        #expect(screen.load(environment)?.name == "count messages")
        #expect(screen.update(.conversations(Self.page([Self.asked, Self.answer])), environment).requests().map(\.word) == ["count unread"])
        let rows = render(screen, environment)
        #expect(rows[7] == "    Messages (1 unread)")
        #expect(rows[8] == "    Write a message on another matter")
        for _ in 0..<3 { _ = screen.update(.input(.key(.down)), environment) }
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word) == ["open conversations"])
        _ = screen.update(.input(.key(.down)), environment)
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word) == ["open messageTopics"])
    }

    @Test func aMessageNotification_opensTheMessage_andItsNewsNamesTheTopic() {
        let notification = PortalNotification(id: "n9", sequence: 9, kind: .message, applicationID: nil, applicationReference: nil,
                                              subjectID: "message_9", createdAt: Fixed.now, readAt: nil, topic: "residence_card")
        #expect(NotificationsScreen.destination(of: notification) == .message(id: "message_9"))
        var status = StatusLine()
        _ = status.update(.topicsListed(Self.topics), environment)
        _ = status.update(.event(.notification(notification)), environment)
        var canvas = Canvas(width: 80, height: 1)
        let context = ViewContext(language: .english, now: Fixed.now, topics: status.topics)
        status.view(into: &canvas, area: canvas.bounds, context: context)
        #expect(canvas.lines[0] == " New: A new message from the authority (Residence card)")
        #expect(status.unread == 1)
        // Narrower than the news: cut with "…", as Swedish news was cut mid-word at 80 columns.
        var narrow = Canvas(width: 40, height: 1)
        status.view(into: &narrow, area: narrow.bounds, context: context)
        #expect(narrow.lines[0].hasPrefix(" New: A new message from the") && narrow.lines[0].hasSuffix("…")
                && narrow.lines[0].count == 40, "\(narrow.lines[0])")
    }

    /// The authority's reading arrives already read: news on the status line (an open conversation or message
    /// reloads on any arrival), the unread count unchanged, and it leads to the applicant's message.
    @Test func aMessageReadNotification_isNews_notUnread_andOpensTheApplicantsMessage() {
        let notification = Fixed.notification("n10", .messageRead, sequence: 10, read: true)
        #expect(NotificationsScreen.destination(of: notification) == .message(id: notification.subjectID))
        var status = StatusLine()
        _ = status.update(.listed(.success(Fresh(value: NotificationList(notifications: [], unread: 2), offlineSince: nil)),
                                  fromCache: false), environment)
        let effects = status.update(.event(.notification(notification)), environment)
        #expect(effects.requests().map(\.word) == ["arrived n10"])
        var canvas = Canvas(width: 80, height: 1)
        status.view(into: &canvas, area: canvas.bounds, context: ViewContext(language: .english, now: Fixed.now))
        #expect(canvas.lines[0] == " New: The authority read your message (MIG-2026-000001)")
        #expect(status.unread == 2)
    }

    @Test func theApplication_opensItsConversation() {
        var screen = ApplicationScreen(applicationID: "application_1")
        let overview = ApplicationOverview(application: ScreenTests.work, timeline: [], decisionID: nil)
        _ = screen.update(.loaded(.success(Fresh(value: ApplicationPage(overview: overview, requests: []), offlineSince: nil))), environment)
        let open = "open conversation(ApplicantApp.ConversationSubject.application(id: \"application_1\", reference: \"MIG-2026-000001\"))"
        #expect(screen.update(.input(.key(.character("m"))), environment).requests().map(\.word) == [open])
        _ = screen.update(.input(.key(.down)), environment)
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word) == [open])
    }
}
