import Foundation
import PortalStore
import PorttiModel
import PostgresNIO

extension PostgresPortalStore {
    /// Whether the database holds no portal's records yet (documents do not count: they are kept by digest,
    /// and an interrupted move may have copied some).
    public func holdsNoRecords() async throws -> Bool {
        try await statement { lease in try await Self.holdsNoRecords(lease) }
    }

    private static func holdsNoRecords(_ lease: Lease) async throws -> Bool {
        try await lease.row("""
            SELECT NOT (EXISTS (SELECT 1 FROM applicant) OR EXISTS (SELECT 1 FROM application)
                        OR EXISTS (SELECT 1 FROM message) OR EXISTS (SELECT 1 FROM notification))
            """)?.decode(Bool.self) ?? false
    }

    /// Writes every record of another portal into this empty database, in one transaction: ids, receipt and
    /// reference numbers and notification sequences as they were, and the database's sequences set to go on
    /// after the highest, so the next message's receipt number follows the last one moved.
    /// - Throws: `PortalStoreError.targetNotEmpty` when the database holds records (nothing is written);
    ///   `PSQLError` when a statement fails (nothing is written either).
    public func importRecords(_ records: PortalRecords) async throws {
        try await write { lease in
            // Two moves at once: the second waits, then finds the records of the first.
            try await lease.lock(.migration)
            guard try await Self.holdsNoRecords(lease) else { throw PortalStoreError.targetNotEmpty }
            for row in records.applicants {
                try await lease.run("""
                    INSERT INTO applicant (id, username, display_name, password_hash, created_at)
                    VALUES (\(row.id), \(row.username), \(row.displayName), \(row.passwordHash), \(Timestamp(row.createdAt)))
                    """)
            }
            for row in records.sessions {
                try await lease.run("""
                    INSERT INTO session (token_hash, applicant_id, created_at, expires_at, not_after)
                    VALUES (\(row.tokenHash), \(row.applicantID), \(Timestamp(row.createdAt)), \(Timestamp(row.expiresAt)),
                            \(Timestamp(row.notAfter)))
                    """)
            }
            for row in records.applications {
                try await lease.run("""
                    INSERT INTO application (id, applicant_id, type, reference_number, status, submitted_at, updated_at)
                    VALUES (\(row.id), \(row.applicantID), \(row.type.rawValue), \(row.referenceNumber), \(row.status.rawValue),
                            \(Timestamp(row.submittedAt)), \(Timestamp(row.updatedAt)))
                    """)
            }
            for row in records.timeline {
                try await lease.run("""
                    INSERT INTO timeline_event (sequence, application_id, at, kind, status) OVERRIDING SYSTEM VALUE
                    VALUES (\(row.sequence), \(row.applicationID), \(Timestamp(row.at)), \(row.kind.rawValue), \(row.status.rawValue))
                    """)
            }
            for row in records.requests {
                try await lease.run("""
                    INSERT INTO supplement_request (id, application_id, text, items, deadline, sent_at, answered_at)
                    VALUES (\(row.id), \(row.applicationID), \(row.text), \(row.items), \(Timestamp(row.deadline)),
                            \(Timestamp(row.sentAt)), \(row.answeredAt.map(Timestamp.init)))
                    """)
            }
            for row in records.attachments {
                try await lease.run("""
                    INSERT INTO attachment (id, applicant_id, file_name, size, sha256, type, uploaded_at)
                    VALUES (\(row.id), \(row.applicantID), \(row.fileName), \(row.size), \(row.sha256), \(row.type.rawValue),
                            \(Timestamp(row.uploadedAt)))
                    """)
            }
            for row in records.messages {
                try await lease.run("""
                    INSERT INTO message (sequence, receipt_number, applicant_id, application_id, request_id, text, received_at,
                                         topic, in_reply_to, read_by_authority_at)
                    VALUES (\(row.sequence), \(row.receiptNumber), \(row.applicantID), \(row.applicationID), \(row.requestID),
                            \(row.text), \(Timestamp(row.receivedAt)), \(row.topic), \(row.inReplyTo),
                            \(row.readByAuthorityAt.map(Timestamp.init)))
                    """)
            }
            for row in records.messageFiles {
                try await lease.run("""
                    INSERT INTO message_file (message_sequence, position, attachment_id, name, size, sha256)
                    VALUES (\(row.messageSequence), \(Int32(row.position)), \(row.attachmentID), \(row.name), \(row.size), \(row.sha256))
                    """)
            }
            for row in records.notifications {
                try await lease.run("""
                    INSERT INTO notification (sequence, id, applicant_id, kind, application_id, subject_id, created_at, read_at, topic)
                    OVERRIDING SYSTEM VALUE
                    VALUES (\(row.sequence), \(row.id), \(row.applicantID), \(row.kind.rawValue), \(row.applicationID),
                            \(row.subjectID), \(Timestamp(row.createdAt)), \(row.readAt.map(Timestamp.init)), \(row.topic))
                    """)
            }
            for row in records.authorityMessages {
                try await lease.run("""
                    INSERT INTO authority_message (id, applicant_id, application_id, topic, in_reply_to, text, sent_at, read_at)
                    VALUES (\(row.id), \(row.applicantID), \(row.applicationID), \(row.topic), \(row.inReplyTo), \(row.text),
                            \(Timestamp(row.sentAt)), \(row.readAt.map(Timestamp.init)))
                    """)
            }
            for row in records.authorityMessageFiles {
                try await lease.run("""
                    INSERT INTO authority_message_file (message_id, position, id, name, size, sha256, type)
                    VALUES (\(row.messageID), \(Int32(row.position)), \(row.id), \(row.name), \(row.size), \(row.sha256),
                            \(row.type.rawValue))
                    """)
            }
            for row in records.decisions {
                try await lease.run("""
                    INSERT INTO decision (id, application_id, text, made_at, served_at, document_sha256)
                    VALUES (\(row.id), \(row.applicationID), \(row.text), \(Timestamp(row.madeAt)),
                            \(row.servedAt.map(Timestamp.init)), \(row.documentSHA256))
                    """)
            }
            for row in records.idempotencyKeys {
                try await lease.run("""
                    INSERT INTO idempotency_key (applicant_id, key, fingerprint, result_id, created_at)
                    VALUES (\(row.applicantID), \(row.key), \(row.fingerprint), \(row.resultID), \(Timestamp(row.createdAt)))
                    """)
            }
            for key in records.receiptKeys {
                try await lease.run("""
                    INSERT INTO receipt_key (kid, private_key, created_at)
                    VALUES (\(key.kid), \(ByteBuffer(bytes: key.privateKey)), \(Timestamp(key.createdAt)))
                    """)
            }
            for (number, jws) in records.signedReceipts {
                try await lease.run("INSERT INTO signed_receipt (receipt_number, jws) VALUES (\(number), \(jws))")
            }
            // The numbers go on after the highest moved (a sequence set to n hands out n + 1 next).
            let references = records.applications.compactMap { Int64($0.referenceNumber.split(separator: "-").last ?? "") }
            let sequences: [(String, Int64?)] = [
                ("application_reference", max(Int64(records.applications.count), references.max() ?? 0)),
                ("message_arrival", records.messages.compactMap(\.sequence).max()),
            ]
            for case let (sequence, highest?) in sequences where highest > 0 {
                try await lease.run("SELECT setval(\(sequence)::regclass, \(highest))")
            }
            // The identity columns' own sequences, by the names the database gave them.
            let identities: [(String, Int64?)] = [
                ("timeline_event", records.timeline.compactMap(\.sequence).max()),
                ("notification", records.notifications.compactMap(\.sequence).max()),
            ]
            for case let (table, highest?) in identities where highest > 0 {
                try await lease.run("SELECT setval(pg_get_serial_sequence(\(table), 'sequence'), \(highest))")
            }
        }
    }
}
