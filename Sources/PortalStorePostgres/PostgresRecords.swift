import Foundation
import PortalStore
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
    static let columns = "n.sequence, n.id, n.kind, n.application_id, n.subject_id, n.created_at, n.read_at, a.reference_number, n.topic"

    static func decode(_ row: PostgresRow) throws -> PortalNotification {
        let (sequence, id, kind, applicationID, subjectID, createdAt, readAt, reference, topic) =
            try row.decode((Int64, String, String, String?, String, Date, Date?, String?, String?).self)
        return PortalNotification(
            id: id, sequence: sequence, kind: try .stored(kind), applicationID: applicationID, applicationReference: reference,
            subjectID: subjectID, createdAt: createdAt, readAt: readAt, topic: topic)
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

/// A received message as the officer's list, the receipts and the conversations read it.
struct MessageRecord {
    var sequence: Int64
    var receipt: Receipt
    var applicantID: String
    var applicantName: String
    var text: String
    var readByAuthorityAt: Date?
    var answeredBy: String?
    var attachments: [MessageAttachment]

    /// The message's columns with its applicant's name, its application's reference number and the id of the
    /// authority's first answer, from `message`, `applicant` and `application` aliased `m`, `p` and `a`.
    static let columns = """
        m.sequence, m.receipt_number, m.received_at, m.application_id, m.request_id, m.text, p.display_name, \
        a.reference_number, m.topic, m.in_reply_to, m.read_by_authority_at, m.applicant_id, \
        (SELECT r.id FROM authority_message r WHERE r.in_reply_to = 'message_' || m.receipt_number ORDER BY r.sequence LIMIT 1)
        """

    /// The message in `row`, with `files` (its files in order, by sequence) on its receipt.
    static func decode(_ row: PostgresRow, files: [Int64: [MessageAttachment]]) throws -> MessageRecord {
        let (sequence, number, receivedAt, applicationID, requestID, text, applicantName, reference, topic, inReplyTo,
             readByAuthorityAt, applicantID, answeredBy) =
            try row.decode((Int64, String, Date, String?, String?, String, String, String?, String?, String?, Date?, String,
                            String?).self)
        let attachments = files[sequence] ?? []
        let receipt = Receipt(
            number: number, receivedAt: receivedAt, applicationID: applicationID, applicationReference: reference,
            requestID: requestID, files: attachments.map { Receipt.File(name: $0.name, size: $0.size, sha256: $0.sha256) },
            messageID: ApplicantMessageID.of(receiptNumber: number), topic: topic, inReplyTo: inReplyTo)
        return MessageRecord(
            sequence: sequence, receipt: receipt, applicantID: applicantID, applicantName: applicantName, text: text,
            readByAuthorityAt: readByAuthorityAt, answeredBy: answeredBy, attachments: attachments)
    }

    var message: Message {
        Message(
            id: ApplicantMessageID.of(receiptNumber: receipt.number), direction: .fromApplicant,
            applicationID: receipt.applicationID, applicationReference: receipt.applicationReference, topic: receipt.topic,
            requestID: receipt.requestID, text: text, attachments: attachments, sentAt: receipt.receivedAt,
            inReplyTo: receipt.inReplyTo, receipt: receipt, readByAuthorityAt: readByAuthorityAt, answeredBy: answeredBy)
    }

    var incoming: IncomingMessage {
        IncomingMessage(
            receipt: receipt, applicantName: applicantName, applicationReference: receipt.applicationReference, text: text,
            messageID: message.id, topic: receipt.topic, attachments: attachments, readByAuthorityAt: readByAuthorityAt,
            answeredBy: answeredBy, inReplyTo: receipt.inReplyTo)
    }
}

/// The authority's message to an applicant, from `authority_message` and `application` aliased `r` and `a`.
enum AuthorityMessageRecord {
    static let columns = """
        r.id, r.application_id, a.reference_number, r.topic, r.in_reply_to, r.text, r.sent_at, r.read_at
        """

    static func decode(_ row: PostgresRow, files: [String: [MessageAttachment]]) throws -> Message {
        let (id, applicationID, reference, topic, inReplyTo, text, sentAt, readAt) =
            try row.decode((String, String?, String?, String?, String?, String, Date, Date?).self)
        return Message(
            id: id, direction: .fromAuthority, applicationID: applicationID, applicationReference: reference, topic: topic,
            text: text, attachments: files[id] ?? [], sentAt: sentAt, inReplyTo: inReplyTo, readAt: readAt)
    }
}
