import Foundation
import PorttiModel
import TerminalUI

/// The notifications, newest first, unread marked; opening one marks it read and goes to what it is about.
struct NotificationsScreen: AppScreen {
    var content: Loadable<[PortalNotification]> = .loading
    var list = ListSelection()

    mutating func show(_ content: Loadable<[PortalNotification]>) {
        self.content = content
        list.setVisible(Array((content.value ?? []).indices))
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
        content = .loaded(notifications, offlineSince: offline)
        list.setVisible(Array(notifications.indices))
    }

    mutating func handle(_ event: InputEvent) -> ScreenAction? {
        switch event {
        case .resize(_, let height):
            list.viewportHeight = max(height - 5, 1)
            return nil
        case .key(.escape), .key(.character("q")):
            return .back
        case .key(.character("r")):
            return .reload
        case .key(.character("/")):
            return nil  // nothing here to filter
        case .key(let key):
            guard case .activated(let index) = list.handle(key), let notification = content.value?[index] else { return nil }
            return .markRead(notificationID: notification.id)
        default:
            return nil
        }
    }

    /// Where a notification leads.
    static func destination(of notification: PortalNotification) -> Destination {
        switch notification.kind {
        case .decisionReady: .decision(id: notification.subjectID, reference: notification.applicationReference)
        case .requestSent: .request(id: notification.subjectID, applicationID: notification.applicationID)
        case .messageReceived: .application(id: notification.applicationID)
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        let layout = Layout(canvas: canvas.bounds)
        canvas.heading(strings("start.notifications"), context: context)
        switch content {
        case .loading: _ = canvas.put(strings("common.loading"), column: 2, row: 2, style: .muted)
        case .failed(let error): canvas.paragraph(context.error(error), in: layout.body, style: .error)
        case .loaded(let notifications, let offline):
            if notifications.isEmpty { _ = canvas.put(strings("notifications.none"), column: 2, row: 2, style: .muted) }
            list.draw(into: &canvas, area: Rect(column: 1, row: 2, width: canvas.width - 2, height: max(canvas.height - 4, 1))) { index in
                let notification = notifications[index]
                let unread = notification.readAt == nil
                // Unread is marked by a word as well as by weight: never by colour alone.
                let mark = unread ? strings("notifications.new") : String(repeating: " ", count: DisplayWidth.of(strings("notifications.new")))
                let text = "\(mark) \(pad(context.formats.dateTime(notification.createdAt), 22))"
                    + pad(context.clean(notification.applicationReference ?? ""), 16)
                    + strings("notification.\(notification.kind.rawValue)")
                return (text, unread ? .title : .plain)
            }
            if let offline {
                canvas.notice(strings("common.offline", ["time": context.formats.dateTime(offline)]), layout: layout, style: .muted)
            }
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        [KeyHint(context.strings("tui.keycap.enter"), context.strings("key.open")), KeyHint("r", context.strings("key.reload")),
         KeyHint(context.strings("tui.keycap.esc"), context.strings("key.back"))]
    }
}
