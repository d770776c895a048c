import Foundation
import GRDB
import PorttiModel
import ReceiptProof

/// Every record of a portal, read whole from one store to be written into another: moving a SQLite portal into
/// the PostgreSQL database several portals share. Sign-in failures are left behind (their wait is short);
/// documents move through `DocumentStorage`, by digest.
public struct PortalRecords: Sendable {
    package var applicants: [ApplicantRow] = []
    package var sessions: [SessionRow] = []
    package var applications: [ApplicationRow] = []
    package var timeline: [TimelineRow] = []
    package var requests: [RequestRow] = []
    package var attachments: [AttachmentRow] = []
    package var messages: [MessageRow] = []
    package var messageFiles: [MessageFileRow] = []
    package var authorityMessages: [AuthorityMessageRow] = []
    package var authorityMessageFiles: [AuthorityMessageFileRow] = []
    package var notifications: [NotificationRow] = []
    package var decisions: [DecisionRow] = []
    package var idempotencyKeys: [IdempotencyRow] = []
    /// The receipt signing keys, oldest first, and each signed receipt's JWS by receipt number: moved as they
    /// are, so receipts signed before the move still verify and repeats answer the same signed form.
    package var receiptKeys: [ReceiptSigningKey] = []
    package var signedReceipts: [String: String] = [:]

    /// How many of each kind of record, by the names the officer's CLI prints them under.
    public var counts: [String: Int] {
        [
            "applicants": applicants.count, "applications": applications.count, "requests": requests.count,
            "messages": messages.count, "notifications": notifications.count, "decisions": decisions.count,
            "attachments": attachments.count,
        ]
    }

    /// The digests of the documents the records refer to: attachments' and decisions'.
    public var documentDigests: Set<String> {
        Set(attachments.map(\.sha256) + decisions.compactMap(\.documentSHA256) + authorityMessageFiles.map(\.sha256))
    }
}

extension SQLitePortalStore {
    /// Every record, read in one transaction: one consistent state even while a portal is still writing.
    /// - Throws: `DatabaseError` when the file cannot be read.
    public func allRecords() async throws -> PortalRecords {
        try await database.read { db in
            var records = PortalRecords()
            records.applicants = try ApplicantRow.fetchAll(db)
            records.sessions = try SessionRow.fetchAll(db)
            records.applications = try ApplicationRow.order(Column("submittedAt"), Column("id")).fetchAll(db)
            records.timeline = try TimelineRow.order(Column("sequence")).fetchAll(db)
            records.requests = try RequestRow.fetchAll(db)
            records.attachments = try AttachmentRow.fetchAll(db)
            records.messages = try MessageRow.order(Column("sequence")).fetchAll(db)
            records.messageFiles = try MessageFileRow.fetchAll(db)
            records.authorityMessages = try AuthorityMessageRow.order(Column("sequence")).fetchAll(db)
            records.authorityMessageFiles = try AuthorityMessageFileRow.fetchAll(db)
            records.notifications = try NotificationRow.order(Column("sequence")).fetchAll(db)
            records.decisions = try DecisionRow.fetchAll(db)
            records.idempotencyKeys = try IdempotencyRow.fetchAll(db)
            records.receiptKeys = try Row.fetchAll(db, sql: "SELECT privateKey, createdAt FROM receiptKey ORDER BY sequence")
                .map { try ReceiptSigningKey(privateKey: $0["privateKey"], createdAt: $0["createdAt"]) }
            records.signedReceipts = try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT receiptNumber, jws FROM signedReceipt")
                .map { ($0["receiptNumber"] as String, $0["jws"] as String) })
            return records
        }
    }
}
