import GRDB

/// The portal's schema as append-only named migrations: a released migration is never edited.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: accounts, applications, requests, messages, notifications, decisions") { db in
            try db.create(table: "applicant") { t in
                t.primaryKey("id", .text)
                t.column("username", .text).notNull().unique()
                t.column("displayName", .text).notNull()
                t.column("passwordHash", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "session") { t in
                t.primaryKey("tokenHash", .text)
                t.column("applicantID", .text).notNull().indexed().references("applicant", onDelete: .cascade)
                t.column("createdAt", .datetime).notNull()
                t.column("expiresAt", .datetime).notNull()
                t.column("notAfter", .datetime).notNull()
            }
            try db.create(table: "application") { t in
                t.primaryKey("id", .text)
                t.column("applicantID", .text).notNull().indexed().references("applicant")
                t.column("type", .text).notNull()
                t.column("referenceNumber", .text).notNull().unique()
                t.column("status", .text).notNull()
                t.column("submittedAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "timelineEvent") { t in
                t.autoIncrementedPrimaryKey("sequence")
                t.column("applicationID", .text).notNull().indexed().references("application")
                t.column("at", .datetime).notNull()
                t.column("kind", .text).notNull()
                t.column("status", .text).notNull()
            }
            try db.create(table: "supplementRequest") { t in
                t.primaryKey("id", .text)
                t.column("applicationID", .text).notNull().indexed().references("application")
                t.column("text", .text).notNull()
                t.column("items", .jsonText).notNull()
                t.column("deadline", .datetime).notNull()
                t.column("sentAt", .datetime).notNull()
                t.column("answeredAt", .datetime)
            }
            try db.create(table: "attachment") { t in
                t.primaryKey("id", .text)
                t.column("applicantID", .text).notNull().indexed().references("applicant")
                t.column("fileName", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("type", .text).notNull()
                t.column("uploadedAt", .datetime).notNull()
            }
            // The sequence is the arrival order; receipt numbers are made from it.
            try db.create(table: "message") { t in
                t.autoIncrementedPrimaryKey("sequence")
                t.column("receiptNumber", .text).notNull().unique()
                t.column("applicantID", .text).notNull().indexed().references("applicant")
                t.column("applicationID", .text).notNull().indexed().references("application")
                t.column("requestID", .text).references("supplementRequest")
                t.column("text", .text).notNull()
                t.column("receivedAt", .datetime).notNull()
            }
            try db.create(table: "messageFile") { t in
                t.column("messageSequence", .integer).notNull().references("message")
                t.column("position", .integer).notNull()
                t.column("attachmentID", .text).notNull().references("attachment")
                t.column("name", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.primaryKey(["messageSequence", "position"])
            }
            try db.create(table: "notification") { t in
                t.autoIncrementedPrimaryKey("sequence")
                t.column("id", .text).notNull().unique()
                t.column("applicantID", .text).notNull().references("applicant")
                t.column("kind", .text).notNull()
                t.column("applicationID", .text).notNull()
                t.column("subjectID", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("readAt", .datetime)
            }
            try db.create(index: "notification_applicant_sequence", on: "notification", columns: ["applicantID", "sequence"])
            try db.create(table: "decision") { t in
                t.primaryKey("id", .text)
                t.column("applicationID", .text).notNull().unique().references("application")
                t.column("text", .text).notNull()
                t.column("madeAt", .datetime).notNull()
                t.column("servedAt", .datetime)
                t.column("documentSHA256", .text)
            }
            // One row per key and applicant: the unique key is what makes two concurrent copies one record.
            try db.create(table: "idempotencyKey") { t in
                t.column("applicantID", .text).notNull()
                t.column("key", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("resultID", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["applicantID", "key"])
            }
        }
        migrator.registerMigration("v2: what refers to attachments and documents, for the quota and the sweep") { db in
            try db.create(index: "messageFile_attachmentID", on: "messageFile", columns: ["attachmentID"])
            try db.create(index: "attachment_sha256", on: "attachment", columns: ["sha256"])
            try db.create(index: "decision_documentSHA256", on: "decision", columns: ["documentSHA256"])
        }
        migrator.registerMigration("v3: the sweep of expired sessions") { db in
            try db.create(index: "session_expiresAt", on: "session", columns: ["expiresAt"])
        }
        migrator.registerMigration("v4: the sign-in throttle, shared by the portal and its restarts") { db in
            try db.create(table: "signInFailure") { t in
                t.primaryKey("key", .text)
                t.column("failures", .integer).notNull()
                t.column("lastFailure", .datetime).notNull().indexed()
            }
        }
        migrator.registerMigration("v5: conversations: messages on another matter, the authority's messages, read and answered") { db in
            // A message on another matter has no application: the column may be NULL now, which SQLite changes
            // only by rebuilding the table (foreign keys are checked once the migration ends).
            try db.execute(sql: """
                CREATE TABLE message_v5 (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    receiptNumber TEXT NOT NULL UNIQUE,
                    applicantID TEXT NOT NULL REFERENCES applicant(id),
                    applicationID TEXT REFERENCES application(id),
                    requestID TEXT REFERENCES supplementRequest(id),
                    text TEXT NOT NULL,
                    receivedAt DATETIME NOT NULL,
                    topic TEXT,
                    inReplyTo TEXT,
                    readByAuthorityAt DATETIME)
                """)
            try db.execute(sql: """
                INSERT INTO message_v5 (sequence, receiptNumber, applicantID, applicationID, requestID, text, receivedAt)
                SELECT sequence, receiptNumber, applicantID, applicationID, requestID, text, receivedAt FROM message
                """)
            try db.execute(sql: "DROP TABLE message")
            try db.execute(sql: "ALTER TABLE message_v5 RENAME TO message")
            try db.create(index: "message_on_applicantID", on: "message", columns: ["applicantID"])
            try db.create(index: "message_on_applicationID", on: "message", columns: ["applicationID"])
            try db.execute(sql: """
                CREATE TABLE notification_v5 (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    applicantID TEXT NOT NULL REFERENCES applicant(id),
                    kind TEXT NOT NULL,
                    applicationID TEXT,
                    subjectID TEXT NOT NULL,
                    createdAt DATETIME NOT NULL,
                    readAt DATETIME,
                    topic TEXT)
                """)
            try db.execute(sql: """
                INSERT INTO notification_v5 (sequence, id, applicantID, kind, applicationID, subjectID, createdAt, readAt)
                SELECT sequence, id, applicantID, kind, applicationID, subjectID, createdAt, readAt FROM notification
                """)
            try db.execute(sql: "DROP TABLE notification")
            try db.execute(sql: "ALTER TABLE notification_v5 RENAME TO notification")
            try db.create(index: "notification_applicant_sequence", on: "notification", columns: ["applicantID", "sequence"])
            try db.create(table: "authorityMessage") { t in
                t.autoIncrementedPrimaryKey("sequence")
                t.column("id", .text).notNull().unique()
                t.column("applicantID", .text).notNull().indexed().references("applicant")
                t.column("applicationID", .text).references("application")
                t.column("topic", .text)
                t.column("inReplyTo", .text).indexed()
                t.column("text", .text).notNull()
                t.column("sentAt", .datetime).notNull()
                t.column("readAt", .datetime)
            }
            try db.create(table: "authorityMessageFile") { t in
                t.column("messageID", .text).notNull().references("authorityMessage", column: "id")
                t.column("position", .integer).notNull()
                t.column("id", .text).notNull().unique()
                t.column("name", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("sha256", .text).notNull().indexed()
                t.column("type", .text).notNull()
                t.primaryKey(["messageID", "position"])
            }
        }
        migrator.registerMigration("v6: signed receipts and the keys that sign them") { db in
            // The key that signs is the newest (highest sequence); older ones stay, to be published.
            try db.create(table: "receiptKey") { t in
                t.autoIncrementedPrimaryKey("sequence")
                t.column("kid", .text).notNull().unique()
                t.column("privateKey", .blob).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "signedReceipt") { t in
                t.primaryKey("receiptNumber", .text)
                t.column("jws", .text).notNull()
            }
        }
        return migrator
    }
}
