import ApplicantStore
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
        @Option(help: "Mark this notification read (its number, the first column).") var read: String?
        @Flag(help: "Keep running and print each new notification as it arrives.") var follow = false

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                if let read {
                    let id = try await context.notificationID(named: read)
                    let notification = try await context.client.markRead(notificationID: id)
                    if options.json { return try sayJSON(notification) }
                    return say(context.line(notification, await context.references(store)))
                }
                let list = try await context.fresh(store, key: "notifications") { client in
                    let answer = try await client.notifications()
                    return NotificationList(notifications: answer.notifications, unread: answer.unread)
                }
                if options.json && !follow { return try sayJSON(list) }
                var references = options.json ? References.none : await context.references(store)
                if !options.json {
                    say("\(context.strings("cli.unread", ["count": String(list.unread)]))")
                    for notification in list.notifications { say(context.line(notification, references)) }
                }
                guard follow else { return }
                let newest = list.notifications.map(\.sequence).max()
                for await event in context.client.notificationEvents(after: newest) {
                    switch event {
                    case .notification(let notification):
                        if options.json { try sayJSON(notification) } else {
                            // A request sent since the list was read gets its number from a fresh look.
                            if notification.kind == .requestSent, references.handle(ofRequest: notification.subjectID) == nil {
                                references = await context.references(store)
                            }
                            say(context.line(notification, references))
                        }
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
    /// A notification on one line: its number (what `--read` takes), when, what, what it is about by the name a
    /// person types (the request's `MIG-2026-000001/1`, the decision's application, the receipt's number), and
    /// its application's reference last.
    func line(_ notification: PortalNotification, _ references: References) -> TerminalText {
        let mark = notification.readAt == nil ? "*" : " "
        let subject = switch notification.kind {
        case .requestSent: references.handle(ofRequest: notification.subjectID) ?? ""
        case .decisionReady: notification.applicationReference ?? ""
        case .messageReceived, .message: notification.subjectID
        // The applicant's own message, by its receipt number as `messages` shows it and the commands take it.
        case .messageRead: String(notification.subjectID.trimmingPrefix("message_"))
        }
        let start: TerminalText = "\(mark) \(notification.sequence)\t\(formats.dateTime(notification.createdAt))\t"
        return start + "\(strings("notification.\(notification.kind.rawValue)"))\t\(subject)\t"
            + "\(notification.applicationReference ?? notification.topic.map { references.topicTitle($0, language: settings.language.rawValue) } ?? "")"
    }

    /// The id of the notification `name` names: its number (as listed) or its id, taken as given.
    func notificationID(named name: String) async throws -> String {
        guard let number = Int64(name) else { return name }
        guard let found = try await client.notifications().notifications.first(where: { $0.sequence == number }) else {
            throw failure(.notFound)
        }
        return found.id
    }
}
