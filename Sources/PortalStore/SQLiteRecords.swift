import Foundation
import GRDB
import PorttiModel

// Plain rows of the SQLite schema. They stay inside this module; the protocol speaks the domain model.

package struct ApplicantRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "applicant"
    package var id: String
    package var username: String
    package var displayName: String
    package var passwordHash: String
    package var createdAt: Date

    var applicant: Applicant { Applicant(id: id, username: username, displayName: displayName) }
}

package struct SessionRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "session"
    package var tokenHash: String
    package var applicantID: String
    package var createdAt: Date
    package var expiresAt: Date
    package var notAfter: Date
}

package struct ApplicationRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "application"
    package enum Columns {
        package static let applicantID = Column("applicantID")
        package static let submittedAt = Column("submittedAt")
    }
    package var id: String
    package var applicantID: String
    package var type: ApplicationType
    package var referenceNumber: String
    package var status: ApplicationStatus
    package var submittedAt: Date
    package var updatedAt: Date

    var application: Application {
        Application(
            id: id, type: type, referenceNumber: referenceNumber, status: status, submittedAt: submittedAt,
            updatedAt: updatedAt)
    }
}

package struct TimelineRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "timelineEvent"
    package var sequence: Int64?
    package var applicationID: String
    package var at: Date
    package var kind: TimelineEvent.Kind
    package var status: ApplicationStatus

    var event: TimelineEvent { TimelineEvent(at: at, kind: kind, status: status) }
}

package struct RequestRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "supplementRequest"
    package var id: String
    package var applicationID: String
    package var text: String
    package var items: [String]
    package var deadline: Date
    package var sentAt: Date
    package var answeredAt: Date?

    var request: SupplementRequest {
        SupplementRequest(
            id: id, applicationID: applicationID, text: text, items: items, deadline: deadline, sentAt: sentAt,
            answeredAt: answeredAt)
    }
}

package struct AttachmentRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "attachment"
    package var id: String
    package var applicantID: String
    package var fileName: String
    package var size: Int64
    package var sha256: String
    package var type: AttachmentType
    package var uploadedAt: Date

    var attachment: Attachment {
        Attachment(id: id, fileName: fileName, size: size, sha256: sha256, type: type, uploadedAt: uploadedAt)
    }
}

package struct MessageRow: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    package static let databaseTableName = "message"

    package mutating func didInsert(_ inserted: InsertionSuccess) { sequence = inserted.rowID }

    package var sequence: Int64?
    package var receiptNumber: String
    package var applicantID: String
    /// Nil for a message on another matter (then `topic` is set).
    package var applicationID: String?
    package var requestID: String?
    package var text: String
    package var receivedAt: Date
    package var topic: String?
    /// The authority's message this one replies to.
    package var inReplyTo: String?
    package var readByAuthorityAt: Date?
}

package struct AuthorityMessageRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "authorityMessage"
    package var sequence: Int64?
    package var id: String
    package var applicantID: String
    package var applicationID: String?
    package var topic: String?
    /// The applicant's message this one answers.
    package var inReplyTo: String?
    package var text: String
    package var sentAt: Date
    package var readAt: Date?
}

package struct AuthorityMessageFileRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "authorityMessageFile"
    package var messageID: String
    package var position: Int
    package var id: String
    package var name: String
    package var size: Int64
    package var sha256: String
    package var type: AttachmentType

    var attachment: MessageAttachment { MessageAttachment(id: id, name: name, size: size, sha256: sha256, type: type) }
}

package struct MessageFileRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "messageFile"
    package var messageSequence: Int64
    package var position: Int
    package var attachmentID: String
    package var name: String
    package var size: Int64
    package var sha256: String
}

package struct NotificationRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "notification"
    package var sequence: Int64?
    package var id: String
    package var applicantID: String
    package var kind: PortalNotification.Kind
    package var applicationID: String?
    package var subjectID: String
    package var createdAt: Date
    package var readAt: Date?
    package var topic: String?

    func notification(applicationReference: String?) -> PortalNotification {
        PortalNotification(
            id: id, sequence: sequence ?? 0, kind: kind, applicationID: applicationID,
            applicationReference: applicationReference, subjectID: subjectID, createdAt: createdAt, readAt: readAt,
            topic: topic)
    }
}

package struct DecisionRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "decision"
    package var id: String
    package var applicationID: String
    package var text: String
    package var madeAt: Date
    package var servedAt: Date?
    package var documentSHA256: String?

    var decision: Decision {
        Decision(
            id: id, applicationID: applicationID, text: text, madeAt: madeAt, servedAt: servedAt,
            hasDocument: documentSHA256 != nil)
    }
}

package struct IdempotencyRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    package static let databaseTableName = "idempotencyKey"
    package var applicantID: String
    package var key: String
    package var fingerprint: String
    package var resultID: String
    package var createdAt: Date
}

extension ApplicationType: DatabaseValueConvertible {}
extension ApplicationStatus: DatabaseValueConvertible {}
extension TimelineEvent.Kind: DatabaseValueConvertible {}
extension AttachmentType: DatabaseValueConvertible {}
extension PortalNotification.Kind: DatabaseValueConvertible {}
