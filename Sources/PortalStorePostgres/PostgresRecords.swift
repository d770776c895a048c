import Foundation
import PorttiModel
import PostgresNIO

// Rows of the PostgreSQL schema read into the domain model. Each record names its columns once, for a table
// or its alias in a join, and reads a row selected with exactly those columns in that order.

enum ApplicationRecord {
    static func columns(_ table: String) -> String {
        ["id", "applicant_id", "type", "reference_number", "status", "submitted_at", "updated_at"]
            .map { "\(table).\($0)" }.joined(separator: ", ")
    }

    static func decode(_ row: PostgresRow) throws -> (application: Application, applicantID: String) {
        let (id, applicantID, type, reference, status, submittedAt, updatedAt) =
            try row.decode((String, String, String, String, String, Date, Date).self)
        let application = Application(
            id: id, type: try .stored(type), referenceNumber: reference, status: try .stored(status),
            submittedAt: submittedAt, updatedAt: updatedAt)
        return (application, applicantID)
    }
}

enum RequestRecord {
    static func columns(_ table: String) -> String {
        ["id", "application_id", "text", "items", "deadline", "sent_at", "answered_at"]
            .map { "\(table).\($0)" }.joined(separator: ", ")
    }

    static func decode(_ row: PostgresRow) throws -> SupplementRequest {
        let (id, applicationID, text, items, deadline, sentAt, answeredAt) =
            try row.decode((String, String, String, [String], Date, Date, Date?).self)
        return SupplementRequest(
            id: id, applicationID: applicationID, text: text, items: items, deadline: deadline, sentAt: sentAt,
            answeredAt: answeredAt)
    }
}

enum AttachmentRecord {
    static func columns(_ table: String) -> String {
        ["id", "file_name", "size", "sha256", "type", "uploaded_at"].map { "\(table).\($0)" }.joined(separator: ", ")
    }

    static func decode(_ row: PostgresRow) throws -> Attachment {
        let (id, fileName, size, sha256, type, uploadedAt) =
            try row.decode((String, String, Int64, String, String, Date).self)
        return Attachment(
            id: id, fileName: fileName, size: size, sha256: sha256, type: try .stored(type), uploadedAt: uploadedAt)
    }
}

enum NotificationRecord {
    /// The notification's columns and its application's reference number, from `notification` and `application`
    /// aliased `n` and `a`.
    static let columns = "n.sequence, n.id, n.kind, n.application_id, n.subject_id, n.created_at, n.read_at, a.reference_number"

    static func decode(_ row: PostgresRow) throws -> PortalNotification {
        let (sequence, id, kind, applicationID, subjectID, createdAt, readAt, reference) =
            try row.decode((Int64, String, String, String, String, Date, Date?, String?).self)
        return PortalNotification(
            id: id, sequence: sequence, kind: try .stored(kind), applicationID: applicationID, applicationReference: reference,
            subjectID: subjectID, createdAt: createdAt, readAt: readAt)
    }
}

enum DecisionRecord {
    static func columns(_ table: String) -> String {
        ["id", "application_id", "text", "made_at", "served_at", "document_sha256"]
            .map { "\(table).\($0)" }.joined(separator: ", ")
    }

    static func decode(_ row: PostgresRow) throws -> (decision: Decision, documentSHA256: String?) {
        let (id, applicationID, text, madeAt, servedAt, documentSHA256) =
            try row.decode((String, String, String, Date, Date?, String?).self)
        let decision = Decision(
            id: id, applicationID: applicationID, text: text, madeAt: madeAt, servedAt: servedAt,
            hasDocument: documentSHA256 != nil)
        return (decision, documentSHA256)
    }
}

/// A received message as the officer's list and the receipts read it.
struct MessageRecord {
    var sequence: Int64
    var receipt: Receipt
    var applicantName: String
    var text: String

    /// The message's columns with its applicant's name and its application's reference number, from `message`,
    /// `applicant` and `application` aliased `m`, `p` and `a`.
    static let columns = """
        m.sequence, m.receipt_number, m.received_at, m.application_id, m.request_id, m.text, p.display_name, \
        a.reference_number
        """

    /// The message in `row`, with `files` (its files in order) on its receipt.
    static func decode(_ row: PostgresRow, files: [Int64: [Receipt.File]]) throws -> MessageRecord {
        let (sequence, number, receivedAt, applicationID, requestID, text, applicantName, reference) =
            try row.decode((Int64, String, Date, String, String?, String, String, String?).self)
        let receipt = Receipt(
            number: number, receivedAt: receivedAt, applicationID: applicationID, applicationReference: reference,
            requestID: requestID, files: files[sequence] ?? [])
        return MessageRecord(sequence: sequence, receipt: receipt, applicantName: applicantName, text: text)
    }
}
