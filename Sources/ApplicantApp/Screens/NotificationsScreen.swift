import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// The notifications, newest first, unread marked; opening one marks it read and goes to what it is about.
struct NotificationsScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        case loaded(Result<Fresh<NotificationList>, ClientError>)
        /// The portal's answer to marking one read (nil: it did not answer).
        case markedRead(PortalNotification?)
        /// A new notification from the stream.
        case arrived(PortalNotification)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }

        /// No list is left to mark it read in: the portal's own count is asked for.
        var whenUnheard: AppRequest? { if case .markedRead(.some) = self { .refreshUnread } else { nil } }
    }

    var content: Loadable<[PortalNotification]> = .loading
    var list = ListSelection()

    mutating func show(_ content: Loadable<[PortalNotification]>) {
        let focused = list.focusedID(ids)
        self.content = content
        list.setVisible(Array((content.value ?? []).indices))
        // New ones come on top: the focus stays on the notification it was on, not on its row.
        list.refocus(on: focused, ids: ids)
    }

    private var ids: [String] { (content.value ?? []).map(\.id) }

    var reloadsWhenShownAgain: Bool { true }

    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard let store = environment.account?.store else { return nil }
        let client = environment.client
        return AppEnvironment.keptThenFresh("load notifications", store, key: "notifications",
                                            fetch: { try await AppEnvironment.notificationList(client) }) { .loaded($0) }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .loaded(let result):
            show(Loadable(result).map(\.notifications))
            // The status line learns the count (and where its stream starts) from the same answer.
            let listed = (try? result.get()).map { [Message.ask(.notificationsListed($0))] } ?? []
            return listed + Effect.signInAgainIfEnded(result)
        case .markedRead(let notification):
            // The count goes down only for a notification still shown unread: a list reloaded meanwhile (going
            // back before this answer came) already counts it as read.
            guard let notification, markRead(notification.id, at: notification.readAt ?? environment.now) else { return [] }
            return [Message.ask(.notificationRead)]
        case .arrived(let notification):
            prepend(notification)
            return []
        case .input(.key(.escape)), .input(.key(.character("q"))):
            return [Message.ask(.back)]
        case .input(.key(.character("r"))):
            return [load(environment)].compactMap { $0 }
        case .input(.key(.character("/"))):
            return []  // nothing here to filter
        case .input(.key(let key)):
            guard case .activated(let index) = list.handle(key, in: Self.listArea(in: environment.screen)),
                let notification = content.value?[index]
            else { return [] }
            let open = Message.ask(.open(Self.destination(of: notification)))
            guard notification.readAt == nil else { return [open] }
            let client = environment.client
            // Reading it marks it read on the portal; opening it does not wait for that, so a key pressed next
            // goes to what was opened, and a second Enter cannot open it twice.
            return [open, .run("mark read") { .markedRead(try? await client.markRead(notificationID: notification.id)) }]
        case .input, .app:
            return []
        }
    }

    /// A notification read elsewhere (or just now) shows as read; answers whether it was shown unread.
    @discardableResult
    mutating func markRead(_ id: String, at time: Date) -> Bool {
        guard case .loaded(var notifications, let offline) = content,
            let index = notifications.firstIndex(where: { $0.id == id }), notifications[index].readAt == nil
        else { return false }
        notifications[index].readAt = time
        content = .loaded(notifications, offlineSince: offline)
        return true
    }

    /// A new notification from the stream, on top.
    mutating func prepend(_ notification: PortalNotification) {
        guard case .loaded(var notifications, let offline) = content, !notifications.contains(where: { $0.id == notification.id })
        else { return }
        notifications.insert(notification, at: 0)
        show(.loaded(notifications, offlineSince: offline))
    }

    /// Where a notification leads.
    static func destination(of notification: PortalNotification) -> Destination {
        switch notification.kind {
        case .decisionReady: .decision(id: notification.subjectID, reference: notification.applicationReference)
        case .requestSent: .request(id: notification.subjectID, applicationID: notification.applicationID ?? "")
        case .message, .messageRead: .message(id: notification.subjectID)
        // A confirmation of receipt of a message on another matter has no application: its conversation.
        case .messageReceived: notification.applicationID.map { .application(id: $0) } ?? .conversation(.otherMatters)
        }
    }

    static func listArea(in screen: Rect) -> Rect { screen.parts.body }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        canvas.heading(strings("start.notifications"), context: context)
        guard case .loaded(let notifications, let offline) = content else {
            canvas.loadingOrFailure(content, context: context)
            return
        }
        let area = Self.listArea(in: canvas.bounds)
        if notifications.isEmpty { _ = canvas.put(strings("notifications.none"), column: area.column + 1, row: area.row, style: .muted) }
        func cells(_ index: Int) -> [String] {
            let notification = notifications[index]
            // Unread is marked by a word as well as by weight: never by colour alone.
            let mark = notification.readAt == nil ? strings("notifications.new")
                : String(repeating: " ", count: DisplayWidth.of(strings("notifications.new")))
            // The table's short words: the whole sentence is what the status line and the notice say.
            return [mark, context.formats.dateTime(notification.createdAt),
                    notification.applicationReference.map(context.clean) ?? notification.topic.map(context.topicTitle) ?? "",
                    strings("notifications.short.\(notification.kind.rawValue)")]
        }
        let columns = Columns(list.itemsShown(height: area.height).map(cells))
        list.draw(into: &canvas, area: area) { index in
            (columns.line(cells(index)), notifications[index].readAt == nil ? .title : .plain)
        }
        if let offline {
            canvas.notice(strings("common.offline", ["time": context.formats.dateTime(offline)]), style: .muted)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        [KeyHint(context.strings("tui.keycap.enter"), context.strings("key.open")), KeyHint("r", context.strings("key.reload")),
         context.leaveHint(context.strings("key.back"))]
    }
}
