import Foundation
import GRDB
import PorttiModel

// Plain rows of the SQLite schema. They stay inside this module; the protocol speaks the domain model.

struct ApplicantRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "applicant"
    var id: String
    var username: String
    var displayName: String
    var passwordHash: String
    var createdAt: Date

    var applicant: Applicant { Applicant(id: id, username: username, displayName: displayName) }
}

struct SessionRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "session"
    var tokenHash: String
    var applicantID: String
    var createdAt: Date
    var expiresAt: Date
    var notAfter: Date
}

struct ApplicationRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "application"
    enum Columns {
        static let applicantID = Column("applicantID")
        static let submittedAt = Column("submittedAt")
    }
    var id: String
    var applicantID: String
    var type: ApplicationType
    var referenceNumber: String
    var status: ApplicationStatus
    var submittedAt: Date
    var updatedAt: Date

    var application: Application {
        Application(
            id: id, type: type, referenceNumber: referenceNumber, status: status, submittedAt: submittedAt,
            updatedAt: updatedAt)
    }
}

struct TimelineRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "timelineEvent"
    var sequence: Int64?
    var applicationID: String
    var at: Date
    var kind: TimelineEvent.Kind
    var status: ApplicationStatus

    var event: TimelineEvent { TimelineEvent(at: at, kind: kind, status: status) }
}

struct RequestRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "supplementRequest"
    var id: String
    var applicationID: String
    var text: String
    var items: [String]
    var deadline: Date
    var sentAt: Date
    var answeredAt: Date?

    var request: SupplementRequest {
        SupplementRequest(
            id: id, applicationID: applicationID, text: text, items: items, deadline: deadline, sentAt: sentAt,
            answeredAt: answeredAt)
    }
}

struct AttachmentRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "attachment"
    var id: String
    var applicantID: String
    var fileName: String
    var size: Int64
    var sha256: String
    var type: AttachmentType
    var uploadedAt: Date

    var attachment: Attachment {
        Attachment(id: id, fileName: fileName, size: size, sha256: sha256, type: type, uploadedAt: uploadedAt)
    }
}

struct MessageRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "message"

    mutating func didInsert(_ inserted: InsertionSuccess) { sequence = inserted.rowID }

    var sequence: Int64?
    var receiptNumber: String
    var applicantID: String
    var applicationID: String
    var requestID: String?
    var text: String
    var receivedAt: Date
}

struct MessageFileRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "messageFile"
    var messageSequence: Int64
    var position: Int
    var attachmentID: String
    var name: String
    var size: Int64
    var sha256: String
}

struct NotificationRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "notification"
    var sequence: Int64?
    var id: String
    var applicantID: String
    var kind: PortalNotification.Kind
    var applicationID: String
    var subjectID: String
    var createdAt: Date
    var readAt: Date?

    func notification(applicationReference: String?) -> PortalNotification {
        PortalNotification(
            id: id, sequence: sequence ?? 0, kind: kind, applicationID: applicationID,
            applicationReference: applicationReference, subjectID: subjectID, createdAt: createdAt, readAt: readAt)
    }
}

struct DecisionRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "decision"
    var id: String
    var applicationID: String
    var text: String
    var madeAt: Date
    var servedAt: Date?
    var documentSHA256: String?

    var decision: Decision {
        Decision(
            id: id, applicationID: applicationID, text: text, madeAt: madeAt, servedAt: servedAt,
            hasDocument: documentSHA256 != nil)
    }
}

struct IdempotencyRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "idempotencyKey"
    var applicantID: String
    var key: String
    var fingerprint: String
    var resultID: String
    var createdAt: Date
}

extension ApplicationType: DatabaseValueConvertible {}
extension ApplicationStatus: DatabaseValueConvertible {}
extension TimelineEvent.Kind: DatabaseValueConvertible {}
extension AttachmentType: DatabaseValueConvertible {}
extension PortalNotification.Kind: DatabaseValueConvertible {}
