import Foundation
import PorttiModel

/// Rows for the list benchmarks: made up here, so the app's library carries no test data.
enum Fixtures {
    /// Applications numbered 0..<count, as a list screen would hold them.
    static func applications(_ count: Int) -> [Application] {
        let date = Date(timeIntervalSince1970: 1_790_000_000)
        return (0..<count).map { index in
            Application(
                id: "application_\(index)", type: ApplicationType.allCases[index % ApplicationType.allCases.count],
                referenceNumber: "MIG-2026-" + String(format: "%06d", index), status: ApplicationStatus.allCases[index % 5],
                submittedAt: date, updatedAt: date)
        }
    }

    /// Notifications numbered 0..<count, newest first, every third unread.
    static func notifications(_ count: Int) -> [PortalNotification] {
        let date = Date(timeIntervalSince1970: 1_790_000_000)
        return (0..<count).map { index in
            let createdAt: Date = date.addingTimeInterval(-3_600 * Double(index))
            let readAt: Date? = index % 3 == 0 ? nil : date
            return PortalNotification(
                id: "notification_\(index)", sequence: Int64(count - index), kind: PortalNotification.Kind.allCases[index % 3],
                applicationID: "application_\(index % 7)", applicationReference: "MIG-2026-\(100_000 + index % 7)",
                subjectID: "request_\(index)", createdAt: createdAt, readAt: readAt)
        }
    }
}
