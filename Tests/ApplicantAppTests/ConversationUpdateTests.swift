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
        #expect(rows[2] == " ›     Other matters           1 message     latest 21/09/2026, 16:13")
        #expect(rows[3] == "   NEW MIG-2026-000001         2 messages    latest 20/09/2026, 17:13")
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
        #expect(rows[2] == "   18/09/2026, 17:13 You           Answered          When will my application …")
        #expect(rows[3] == " › 20/09/2026, 17:13 Authority     NEW               Within two months.")
        #expect(screen.update(.input(.key(.enter)), environment).requests().map(\.word) == ["open message(id: \"message_2\")"])
        var read = Self.asked
        read.answeredBy = nil
        _ = screen.update(.loaded(Self.page([Self.answer, read])), environment)
        #expect(render(screen, environment)[2] == "   18/09/2026, 17:13 You           Read 19/09/2026   When will my application …")
        #expect(screen.update(.input(.key(.character("w"))), environment).requests().map(\.word)
                == ["open compose(PorttiModel.MessageTarget.application(\"application_1\"), title: ApplicantApp.ComposeTitle.additionalInformation(reference: \"MIG-2026-000001\"))"])
    }

    @Test func theOtherMatters_keepOnlyMessagesAboutNoApplication_andOfflineIsMarked_inFinnish() {
        var screen = ConversationScreen(subject: .otherMatters)
        let finnish = Fixed.environment(.finnish, account: records.account)
        _ = screen.update(.loaded(Self.page([Self.asked, Self.otherMatter], offline: Fixed.now - 600)), finnish)
        let rows = render(screen, finnish)
        #expect(rows[0] == " Portti · Viestit: Muut asiat")
        #expect(rows[2] == " › 21.9.2026 klo 16.13  Sinä          Vastaanotettu     My card was lost.")
        #expect(rows[3].trimmingCharacters(in: .whitespaces).isEmpty, "the application's message is not among them")
        let offline = StringTable(.finnish)("common.offline", ["time": Formats(.finnish).dateTime(Fixed.now - 600)])
        #expect(rows.joined(separator: " ").replacingOccurrences(of: "  ", with: " ").contains(offline.prefix(20)), "\(rows[20...])")
        #expect(screen.update(.input(.key(.character("w"))), finnish).requests().map(\.word) == ["open messageTopics"])
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
