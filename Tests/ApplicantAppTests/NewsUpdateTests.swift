@testable import ApplicantApp
import ApplicantStore
import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel
import ReceiptProof
import TerminalUI
import Testing

/// The notifications screen and the status line, by their update alone: the effects each message returns
/// and what the rows then show. The stream's and the outbox's news come in as the messages their effects post.
@Suite struct NotificationsUpdateTests {
    let records = TemporaryAccount()
    var environment: AppEnvironment { records.environment }
    let decision = Fixed.notification("n2", .decisionReady, sequence: 2)
    let request = Fixed.notification("n1", .requestSent, sequence: 1, read: true)

    func listed() -> NotificationsScreen {
        var screen = NotificationsScreen()
        let list = NotificationList(notifications: [decision, request], unread: 1)
        let effects = screen.update(.loaded(.success(Fresh(value: list, offlineSince: nil))), environment)
        #expect(effects.requests().map(\.word) == ["listed 2, 1 unread"], "the status line learns the count from the same answer")
        return screen
    }

    @Test func theList_marksUnreadByAWord() {
        let rows = render(listed(), environment)
        #expect(rows[0].hasPrefix(" Portti · Notifications"))
        #expect(rows[2] == " › NEW  21/09/2026, 15:13  MIG-2026-000001  Decision made")
        #expect(rows[3] == "        21/09/2026, 16:13  MIG-2026-000001  Request for information")
    }

    @Test func openingAnUnreadOne_opensAtOnce_andMarksItRead() {
        var screen = listed()
        let effects = screen.update(.input(.key(.enter)), environment)
        #expect(effects.requests().map(\.word) == ["open decision(id: \"subject_n2\", reference: Optional(\"MIG-2026-000001\"))"])
        #expect(effects.names() == ["send", "mark read"])
        var read = decision
        read.readAt = Fixed.now
        #expect(screen.update(.markedRead(read), environment).requests().map(\.word) == ["one read"])
        #expect(screen.update(.markedRead(read), environment).isEmpty, "counted once")
        _ = screen.update(.input(.key(.down)), environment)
        let second = screen.update(.input(.key(.enter)), environment)
        #expect(second.names() == ["send"], "read already: only opened")
    }

    @Test func anAnswerWithNoListLeft_asksThePortalForTheCount() {
        #expect(NotificationsScreen.Message.markedRead(decision).whenUnheard.map(\.word) == "count unread")
        #expect(NotificationsScreen.Message.markedRead(nil).whenUnheard == nil)
    }

    @Test func aNotificationFromTheStream_isListedFirst() {
        var screen = listed()
        let new = Fixed.notification("n3", .messageReceived, sequence: 3)
        #expect(screen.update(.arrived(new), environment).isEmpty)
        #expect(screen.update(.arrived(new), environment).isEmpty)
        let rows = render(screen, environment)
        #expect(rows[2] == "   NEW  21/09/2026, 14:13  MIG-2026-000001  Message received")
        // The focus stays on the notification it was on, not on its row.
        #expect(rows[3] == " › NEW  21/09/2026, 15:13  MIG-2026-000001  Decision made")
        #expect(rows[5].trimmingCharacters(in: .whitespaces).isEmpty, "listed once")
    }
}

@Suite struct StatusLineTests {
    let records = TemporaryAccount()
    var environment: AppEnvironment { records.environment }

    func row(_ status: StatusLine) -> String {
        var canvas = Canvas(width: 80, height: 1)
        status.view(into: &canvas, area: canvas.bounds, context: environment.context)
        return canvas.lines[0]
    }

    func listed(unread: Int, newest: Int64) -> StatusLine.Message {
        let notifications = (1...newest).map { Fixed.notification("n\($0)", .requestSent, sequence: $0, read: $0 > unread) }
        return .listed(.success(Fresh(value: NotificationList(notifications: notifications, unread: unread), offlineSince: nil)), fromCache: false)
    }

    @Test func afterASignIn_theCountComesFromTheCacheAndThePortal_andTheOutboxGoes() {
        #expect(StatusLine().start(environment).names() == ["list notifications", "deliver outbox", "list message topics"])
        #expect(StatusLine().start(Fixed.environment()).isEmpty, "no records yet")
    }

    @Test func theStream_startsOnceAfterTheNewestListed() {
        var status = StatusLine()
        let cached = StatusLine.Message.listed(
            .success(Fresh(value: NotificationList(notifications: [], unread: 4), offlineSince: Fixed.now - 60)), fromCache: true)
        #expect(status.update(cached, environment).isEmpty, "not after what the cache says")
        #expect(row(status) == " Unread notifications: 4")
        #expect(status.update(listed(unread: 2, newest: 5), environment).names() == ["follow notifications"])
        #expect(status.update(listed(unread: 2, newest: 5), environment).isEmpty, "one stream")
        #expect(status.unread == 2)
        var quiet = StatusLine()
        #expect(quiet.update(listed(unread: 2, newest: 5), Fixed.environment(account: records.account, followsNotifications: false)).isEmpty)
    }

    @Test func aNotificationFromTheStream_isNewsForAWhile_thenTheCountShows() {
        var status = StatusLine()
        _ = status.update(listed(unread: 2, newest: 5), environment)
        let effects = status.update(.event(.notification(Fixed.notification("n6", .decisionReady, sequence: 6))), environment)
        #expect(effects.requests().map(\.word) == ["arrived n6"])
        #expect(effects.names() == ["send", "clear news later"])
        #expect(row(status) == " New: A decision has been made (MIG-2026-000001)", "it names the application")
        #expect(status.unread == 3)
        // Worded when drawn: after F2 the news is in the language chosen.
        var canvas = Canvas(width: 80, height: 1)
        status.view(into: &canvas, area: canvas.bounds, context: ViewContext(language: .swedish, now: Fixed.now))
        #expect(canvas.lines[0].hasPrefix(" Nytt: "))
        #expect(canvas.lines[0].hasSuffix("(MIG-2026-000001)"))
        _ = status.update(.clearNews(1), environment)
        #expect(row(status) == " Unread notifications: 3")
    }

    @Test func newerNews_isNotClearedByTheOlderTimer() {
        var status = StatusLine()
        _ = status.update(.event(.notification(Fixed.notification("n1", .requestSent, sequence: 1))), environment)
        _ = status.update(.event(.notification(Fixed.notification("n2", .decisionReady, sequence: 2))), environment)
        _ = status.update(.clearNews(1), environment)
        #expect(row(status).hasPrefix(" New: A decision has been made (MIG-2026-000001)"))
        _ = status.update(.clearNews(2), environment)
        #expect(row(status).hasPrefix(" Unread notifications: 2"))
    }

    @Test func theOutbox_deliveredAtTheStart_isNews_andItsReceiptsAreShown() {
        var status = StatusLine()
        let item = OutboxItem(draft: Draft(target: .request("request_1"), text: "Sent after a crash", updatedAt: Fixed.now), now: Fixed.now)
        let effects = status.update(.outboxDelivered([OutboxOutcome(item: item, receipt: Fixed.receipt, error: nil)]), environment)
        #expect(effects.requests().map(\.word) == ["delivered [\"2026-00000042\"]"])
        #expect(row(status) == " Sent from the outbox: confirmation of receipt 2026-00000042")
        let refused = status.update(.outboxDelivered([OutboxOutcome(item: item, receipt: nil, error: .requestOverdue)]), environment)
        #expect(refused.requests().isEmpty)
        #expect(row(status).hasPrefix(" Not sent from the outbox, refused: The deadline of this request"))
        #expect(status.update(.outboxDelivered([]), environment).isEmpty)
    }

    /// A message the outbox delivered after a crash is as verified as one sent from the writing screen: the
    /// courier answers only a receipt it verified, and its receipt screen says signed and verified.
    @Test func aReceiptTheOutboxDelivered_showsAsSignedAndVerified() {
        var status = StatusLine()
        let item = OutboxItem(draft: Draft(target: .request("request_1"), text: "Sent after a crash", updatedAt: Fixed.now), now: Fixed.now)
        var receipt = Fixed.receipt
        let header = ReceiptKeys.base64URL(Data(#"{"alg":"EdDSA","kid":"key-of-the-portal"}"#.utf8))
        receipt.signed = "\(header).e30.c2ln"
        let effects = status.update(.outboxDelivered([OutboxOutcome(item: item, receipt: receipt, error: nil)]), environment)
        guard case .delivered(let kept)? = effects.requests().first else {
            Issue.record("no receipt shown: \(effects.requests().map(\.word))")
            return
        }
        #expect(kept.map(\.verifiedKey) == ["key-of-the-portal"])
        let context = ViewContext(language: .english, now: Fixed.now)
        let rows = ReceiptScreen(kept: kept[0], justSent: true).rows(context, width: 78).map(\.text)
        #expect(rows.contains { $0.hasPrefix("Signed by the portal and verified. Key fingerprint: key-of-the-portal") }, "\(rows)")
        #expect(!rows.contains { $0.contains("Not signed") })
        // A tab in the message is as wide as the writing screen draws it, not one space.
        let tabbed = KeptReceipt(receipt: receipt, target: item.target, message: "Name:\tAino")
        #expect(ReceiptScreen(kept: tabbed, justSent: false).rows(context, width: 78).map(\.text).contains("  Name:    Aino"))
    }

    /// A message the portal could not be reached for is tried again while the app stays open, each wait
    /// twice the last, and the status line says so until it goes.
    @Test func theOutboxWaitingForThePortal_isTriedAgain_withBackoff_andSaysSo() {
        var status = StatusLine()
        let item = OutboxItem(draft: Draft(target: .request("request_1"), text: "Written offline", updatedAt: Fixed.now), now: Fixed.now)
        let first = status.update(.outboxDelivered([OutboxOutcome(item: item, receipt: nil, error: .portalUnreachable)]), environment)
        #expect(first.names() == ["retry outbox later"])
        let time = Formats(.english).time(Fixed.now + 5)
        #expect(row(status) == " 1 message waits in the outbox; next try at \(time).")
        #expect(status.update(.retryOutbox(1), environment).names() == ["deliver outbox"])
        #expect(status.update(.outboxDelivered([OutboxOutcome(item: item, receipt: nil, error: .timeout)]), environment).names()
                == ["retry outbox later"])
        #expect(row(status).hasSuffix("next try at \(Formats(.english).time(Fixed.now + 10))."))
        #expect(status.update(.retryOutbox(1), environment).isEmpty, "an older wait no longer sends")
        #expect([5, 10, 20, 40, 80, 160, 300, 300].enumerated().allSatisfy { StatusLine.retryDelay(after: $0.offset + 1) == $0.element })
        let sent = status.update(.outboxDelivered([OutboxOutcome(item: item, receipt: Fixed.receipt, error: nil)]), environment)
        #expect(sent.requests().map(\.word) == ["delivered [\"2026-00000042\"]"])
        #expect(status.outbox == nil)
        #expect(row(status) == " Sent from the outbox: confirmation of receipt 2026-00000042")
        // A send from the writing screen that left its message in the outbox starts the tries again.
        #expect(status.update(.outboxWaiting, environment).names() == ["retry outbox later"])
    }

    @Test func theStreamEndingWithTheSession_asksForThePassword_andStartsAgainAfter() {
        var status = StatusLine()
        let ended = status.update(.event(.disconnected(.sessionExpired)), environment)
        #expect(ended.requests().map(\.word) == ["sign in again, then reload"])
        #expect(status.update(.event(.disconnected(.timeout)), environment).isEmpty, "it reconnects by itself")
        #expect(status.update(.event(.connected(after: 0)), environment).names() == ["list notifications"],
                "back after a break, the unread count is asked again")
        #expect(status.update(.event(.connected(after: 0)), environment).isEmpty)
        #expect(status.resume(environment).names() == ["follow notifications", "deliver outbox"])
        #expect(status.resume(environment).isEmpty)
    }
}
