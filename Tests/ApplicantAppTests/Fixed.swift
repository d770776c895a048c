@testable import ApplicantApp
import ApplicantStore
import Delivery
import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel
import TerminalUI
import Testing

/// What the pure tests of `update` and `view` run in: a fixed clock, an 80x24 terminal, no portal (the client
/// is never asked: effects are listed, not run) and, where a screen needs an account, records in a temporary
/// folder.
enum Fixed {
    /// 2026-09-21 17:13:20 in Helsinki.
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    /// Never asked anything; it lives as long as the test process, so it needs no shutdown.
    static let client: PortalClient = try! PortalClient(portalURL: URL(string: "http://127.0.0.1:9")!)

    static func services(followsNotifications: Bool = true) -> AppServices {
        AppServices(
            client: client, portalURL: URL(string: "http://127.0.0.1:9")!, environment: ["HOME": "/home/aino"], portalNote: nil,
            timing: AppTiming(followsNotifications: followsNotifications), pickerFolder: "/home/aino/scans", utcOffset: 3 * 3600,
            clock: .fixed(now), runEditor: { _ in .finished })
    }

    /// The environment of a screen at 80x24 (the screen gets 22 rows: the news row and the key hints are below).
    static func environment(_ language: Language = .english, account: Account? = nil, followsNotifications: Bool = true,
                            unread: Int? = nil) -> AppEnvironment {
        AppEnvironment(services: services(followsNotifications: followsNotifications), account: account,
                       screen: Rect(column: 0, row: 0, width: 80, height: 22),
                       context: ViewContext(language: language, now: now, unread: unread), lastPickFolder: nil)
    }

    static let applicant = Applicant(id: "applicant_1", username: "aino", displayName: "Aino Virtanen")

    static let contract = AttachedFile(path: "/home/aino/scans/contract.pdf", name: "contract.pdf", size: 594, sha256: String(repeating: "a", count: 64))

    static func notification(_ id: String, _ kind: PortalNotification.Kind, sequence: Int64, read: Bool = false) -> PortalNotification {
        PortalNotification(
            id: id, sequence: sequence, kind: kind, applicationID: "application_1", applicationReference: "MIG-2026-000001",
            subjectID: "subject_\(id)", createdAt: now - 3600 * Double(sequence), readAt: read ? now - 60 : nil)
    }

    static let receipt = Receipt(
        number: "2026-00000042", receivedAt: now, applicationID: "application_1", applicationReference: "MIG-2026-000001",
        requestID: "request_1", files: [Receipt.File(name: "contract.pdf", size: 594, sha256: String(repeating: "a", count: 64))])
}

/// The applicant's records in a temporary folder, removed when the test lets go of them.
final class TemporaryAccount: Sendable {
    let folder: URL
    let account: Account

    init() {
        folder = FileManager.default.temporaryDirectory.appending(path: "portti-account-\(UUID().uuidString)")
        let store = try! ApplicantStore(path: folder.appending(path: "applicant.sqlite").path)
        account = Account(applicant: Fixed.applicant, store: store, courier: Courier(client: Fixed.client, store: store))
    }

    /// The fixed environment, signed in with these records.
    var environment: AppEnvironment { Fixed.environment(account: account) }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

/// A screen drawn as the app draws it: into its own area, 80 columns by 22 rows.
func render(_ screen: some AppScreen, _ environment: AppEnvironment = Fixed.environment()) -> [String] {
    var canvas = Canvas(width: environment.screen.width, height: environment.screen.height)
    screen.view(into: &canvas, context: environment.context)
    return canvas.lines
}

extension Array {
    /// The requests among effects (what the app is asked to do at once).
    func requests<M: AppRequesting>() -> [AppRequest] where Element == Effect<M> {
        compactMap { $0.message?.request }
    }

    /// The effects by name, a request as "send".
    func names<M>() -> [String] where Element == Effect<M> { map(\.name) }
}

extension AppRequest {
    /// A short word for what is asked, for comparing lists of requests.
    var word: String {
        switch self {
        case .back: "back"
        case .open(let destination): "open \(destination)"
        case .replace(let destination): "replace with \(destination)"
        case .quit: "quit"
        case .signOut: "sign out"
        case .setLanguage(let language): "language \(language)"
        case .sessionEnded(let resume): resume == nil ? "sign in again, then reload" : "sign in again, then resume"
        case .signedIn(_, let resuming): resuming ? "signed in again" : "signed in"
        case .notificationsListed(let fresh): "listed \(fresh.value.notifications.count), \(fresh.value.unread) unread"
        case .notificationRead: "one read"
        case .refreshUnread: "count unread"
        case .pickedIn(let folder): "picked in \(folder.displayText)"
        case .notificationArrived(let notification): "arrived \(notification.id)"
        case .delivered(let receipts): "delivered \(receipts.map(\.receipt.number))"
        case .outboxWaiting: "outbox waiting"
        }
    }
}
