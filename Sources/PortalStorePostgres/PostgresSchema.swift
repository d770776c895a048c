import PostgresNIO

/// The portal's PostgreSQL schema as append-only named migrations, applied in order when a store opens:
/// a released migration is never edited; a change is a new migration at the end of the list.
enum PostgresSchema {
    struct Migration: Sendable {
        var name: String
        /// One statement each: the extended query protocol that binds values runs one statement at a time.
        var statements: [PostgresQuery]
    }

    static let migrations: [Migration] = [
        Migration(name: "v1: accounts, applications, requests, messages, notifications, decisions", statements: [
            """
            CREATE TABLE applicant (
                id text PRIMARY KEY,
                username text NOT NULL CONSTRAINT applicant_username_unique UNIQUE,
                display_name text NOT NULL,
                password_hash text NOT NULL,
                created_at timestamptz NOT NULL)
            """,
            """
            CREATE TABLE session (
                token_hash text PRIMARY KEY,
                applicant_id text NOT NULL REFERENCES applicant ON DELETE CASCADE,
                created_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL,
                not_after timestamptz NOT NULL)
            """,
            "CREATE INDEX session_applicant_id ON session (applicant_id)",
            "CREATE INDEX session_expires_at ON session (expires_at)",
            // Reference numbers count applications; a sequence hands out each number once across portals.
            "CREATE SEQUENCE application_reference",
            """
            CREATE TABLE application (
                id text PRIMARY KEY,
                applicant_id text NOT NULL REFERENCES applicant,
                type text NOT NULL,
                reference_number text NOT NULL UNIQUE,
                status text NOT NULL,
                submitted_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL)
            """,
            "CREATE INDEX application_applicant_id ON application (applicant_id)",
            """
            CREATE TABLE timeline_event (
                sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                application_id text NOT NULL REFERENCES application,
                at timestamptz NOT NULL,
                kind text NOT NULL,
                status text NOT NULL)
            """,
            "CREATE INDEX timeline_event_application_id ON timeline_event (application_id)",
            """
            CREATE TABLE supplement_request (
                id text PRIMARY KEY,
                application_id text NOT NULL REFERENCES application,
                text text NOT NULL,
                items text[] NOT NULL,
                deadline timestamptz NOT NULL,
                sent_at timestamptz NOT NULL,
                answered_at timestamptz)
            """,
            "CREATE INDEX supplement_request_application_id ON supplement_request (application_id)",
            """
            CREATE TABLE attachment (
                id text PRIMARY KEY,
                applicant_id text NOT NULL REFERENCES applicant,
                file_name text NOT NULL,
                size bigint NOT NULL,
                sha256 text NOT NULL,
                type text NOT NULL,
                uploaded_at timestamptz NOT NULL)
            """,
            "CREATE INDEX attachment_applicant_uploaded ON attachment (applicant_id, uploaded_at)",
            "CREATE INDEX attachment_sha256 ON attachment (sha256)",
            // The arrival order: taken just before a message is inserted, and its receipt number made from it.
            "CREATE SEQUENCE message_arrival",
            """
            CREATE TABLE message (
                sequence bigint PRIMARY KEY,
                receipt_number text NOT NULL UNIQUE,
                applicant_id text NOT NULL REFERENCES applicant,
                application_id text NOT NULL REFERENCES application,
                request_id text REFERENCES supplement_request,
                text text NOT NULL,
                received_at timestamptz NOT NULL)
            """,
            "CREATE INDEX message_applicant_id ON message (applicant_id)",
            "CREATE INDEX message_application_id ON message (application_id)",
            // In the authority's record a file belongs to one message, whichever portal received it.
            """
            CREATE TABLE message_file (
                message_sequence bigint NOT NULL REFERENCES message,
                position integer NOT NULL,
                attachment_id text NOT NULL REFERENCES attachment
                    CONSTRAINT message_file_attachment_sent_once UNIQUE,
                name text NOT NULL,
                size bigint NOT NULL,
                sha256 text NOT NULL,
                PRIMARY KEY (message_sequence, position))
            """,
            """
            CREATE TABLE notification (
                sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id text NOT NULL UNIQUE,
                applicant_id text NOT NULL REFERENCES applicant,
                kind text NOT NULL,
                application_id text NOT NULL,
                subject_id text NOT NULL,
                created_at timestamptz NOT NULL,
                read_at timestamptz)
            """,
            "CREATE INDEX notification_applicant_sequence ON notification (applicant_id, sequence)",
            """
            CREATE TABLE decision (
                id text PRIMARY KEY,
                application_id text NOT NULL REFERENCES application
                    CONSTRAINT decision_one_per_application UNIQUE,
                text text NOT NULL,
                made_at timestamptz NOT NULL,
                served_at timestamptz,
                document_sha256 text)
            """,
            "CREATE INDEX decision_document_sha256 ON decision (document_sha256)",
            // One row per key and applicant: the key is what makes two concurrent copies one record.
            """
            CREATE TABLE idempotency_key (
                applicant_id text NOT NULL,
                key text NOT NULL,
                fingerprint text NOT NULL,
                result_id text NOT NULL,
                created_at timestamptz NOT NULL,
                CONSTRAINT idempotency_key_used_once PRIMARY KEY (applicant_id, key))
            """,
            "CREATE INDEX idempotency_key_result_id ON idempotency_key (result_id)",
        ]),
        Migration(name: "v2: the sign-in throttle, shared by every portal", statements: [
            """
            CREATE TABLE sign_in_failure (
                key text PRIMARY KEY,
                failures integer NOT NULL,
                last_failure timestamptz NOT NULL)
            """,
            "CREATE INDEX sign_in_failure_last_failure ON sign_in_failure (last_failure)",
        ]),
        Migration(name: "v3: attachments and decision documents, shared by every portal", statements: [
            // The bytes of one upload, written chunk by chunk as they arrive (before the digest is known);
            // `touched_at` moves with each chunk, so content nobody touches is a crash's leftover.
            """
            CREATE TABLE document_content (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                touched_at timestamptz NOT NULL)
            """,
            "CREATE INDEX document_content_touched_at ON document_content (touched_at)",
            """
            CREATE TABLE document_chunk (
                content_id bigint NOT NULL REFERENCES document_content ON DELETE CASCADE,
                position integer NOT NULL,
                bytes bytea NOT NULL,
                PRIMARY KEY (content_id, position))
            """,
            // A document is seen only once this row is committed, with its content whole; the digest is the key,
            // so the same content received twice at once is one document.
            """
            CREATE TABLE document (
                sha256 text PRIMARY KEY,
                content_id bigint NOT NULL UNIQUE REFERENCES document_content,
                size bigint NOT NULL,
                type text NOT NULL,
                written_at timestamptz NOT NULL)
            """,
            "CREATE INDEX document_written_at ON document (written_at)",
        ]),
        Migration(name: "v4: conversations: messages on another matter, the authority's messages, read and answered", statements: [
            "ALTER TABLE message ALTER COLUMN application_id DROP NOT NULL",
            "ALTER TABLE message ADD COLUMN topic text",
            "ALTER TABLE message ADD COLUMN in_reply_to text",
            "ALTER TABLE message ADD COLUMN read_by_authority_at timestamptz",
            "ALTER TABLE notification ALTER COLUMN application_id DROP NOT NULL",
            "ALTER TABLE notification ADD COLUMN topic text",
            """
            CREATE TABLE authority_message (
                sequence bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                id text PRIMARY KEY,
                applicant_id text NOT NULL REFERENCES applicant,
                application_id text REFERENCES application,
                topic text,
                in_reply_to text,
                text text NOT NULL,
                sent_at timestamptz NOT NULL,
                read_at timestamptz)
            """,
            "CREATE INDEX authority_message_applicant_id ON authority_message (applicant_id)",
            "CREATE INDEX authority_message_in_reply_to ON authority_message (in_reply_to)",
            """
            CREATE TABLE authority_message_file (
                message_id text NOT NULL REFERENCES authority_message,
                position integer NOT NULL,
                id text NOT NULL UNIQUE,
                name text NOT NULL,
                size bigint NOT NULL,
                sha256 text NOT NULL,
                type text NOT NULL,
                PRIMARY KEY (message_id, position))
            """,
            "CREATE INDEX authority_message_file_sha256 ON authority_message_file (sha256)",
        ]),
        Migration(name: "v5: signed receipts and the keys that sign them", statements: [
            // The key that signs is the newest (highest sequence); older ones stay, to be published.
            """
            CREATE TABLE receipt_key (
                sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                kid text NOT NULL UNIQUE,
                private_key bytea NOT NULL,
                created_at timestamptz NOT NULL)
            """,
            """
            CREATE TABLE signed_receipt (
                receipt_number text PRIMARY KEY REFERENCES message (receipt_number),
                jws text NOT NULL)
            """,
        ]),
    ]

    /// Applies the migrations this database has not recorded, in order, in one transaction under an advisory
    /// lock: a second portal opening at the same moment waits for the first and then finds them recorded.
    /// Migrations recorded that this list does not know (a newer portal's) are left alone, as they are
    /// additive: older portals keep running during an upgrade.
    /// - Returns: the names of the migrations applied now, in order.
    /// - Throws: `PSQLError` when a statement fails; nothing of the failed transaction remains.
    static func migrate(_ lease: Lease) async throws -> [String] {
        try await lease.transaction {
            try await lease.lock(.migration)
            try await lease.run("""
                CREATE TABLE IF NOT EXISTS schema_migration (
                    name text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """)
            let recorded = Set(try await lease.rows("SELECT name FROM schema_migration").map { try $0.decode(String.self) })
            var applied: [String] = []
            for migration in migrations where !recorded.contains(migration.name) {
                for statement in migration.statements { try await lease.run(statement) }
                try await lease.run("INSERT INTO schema_migration (name) VALUES (\(migration.name))")
                applied.append(migration.name)
            }
            return applied
        }
    }
}
