import ArgumentParser
import Foundation
import PortalClient
import PorttiModel

extension Portti {
    /// The notifications: requests sent, decisions made, confirmations of receipt.
    struct Notifications: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "notifications",
            abstract: "List your notifications, mark one read (--read), or follow new ones as they come (--follow).")

        @OptionGroup var options: ApplicantOptions
        @Option(help: "Mark this notification read.") var read: String?
        @Flag(help: "Keep running and print each new notification as it arrives.") var follow = false

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                if let read {
                    let notification = try await context.client.markRead(notificationID: read)
                    if options.json { return try sayJSON(notification) }
                    return say(context.line(notification))
                }
                let list = try await context.fresh(store, key: "notifications") { client in
                    let answer = try await client.notifications()
                    return NotificationList(notifications: answer.notifications, unread: answer.unread)
                }
                if options.json && !follow { return try sayJSON(list) }
                if !options.json {
                    say("\(context.strings("cli.unread", ["count": String(list.unread)]))")
                    for notification in list.notifications { say(context.line(notification)) }
                }
                guard follow else { return }
                let newest = list.notifications.map(\.sequence).max()
                for await event in context.client.notificationEvents(after: newest) {
                    switch event {
                    case .notification(let notification):
                        if options.json { try sayJSON(notification) } else { say(context.line(notification)) }
                    case .disconnected(let error):
                        note("\(context.strings(error.messageKey, error.messageArguments))")
                        if error == .sessionExpired || error == .notSignedIn { throw error }
                    case .connected:
                        break
                    }
                }
            }
        }
    }
}

struct NotificationList: Codable, Sendable {
    var notifications: [PortalNotification]
    var unread: Int
}

extension ApplicantContext {
    func line(_ notification: PortalNotification) -> TerminalText {
        let mark = notification.readAt == nil ? "*" : " "
        // The reference is the last column: scripts reading the earlier ones by position keep working.
        let start: TerminalText = "\(mark) \(notification.id)\t\(formats.dateTime(notification.createdAt))\t"
        return start + "\(strings("notification.\(notification.kind.rawValue)"))\t\(notification.subjectID)\t"
            + "\(notification.applicationReference ?? "")"
    }
}
