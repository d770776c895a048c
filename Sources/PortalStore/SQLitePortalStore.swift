import Foundation
import GRDB
import PorttiModel
import ReceiptProof

/// The portal's storage in one SQLite file (WAL), shared safely by the server and the officer's CLI.
public final class SQLitePortalStore: PortalStore {
    let database: DatabasePool

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String) throws {
        var configuration = Configuration()
        // The server and the officer's CLI may write at once; wait for the other rather than fail.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        database = try DatabasePool(path: path, configuration: configuration)
        try SQLiteSchema.migrator.migrate(database)
        // Personal data: readable by the portal's user only, whatever the umask (the documents folder is 0700).
        for file in [path, path + "-wal", path + "-shm"] { chmod(file, 0o600) }
    }

    // MARK: Accounts and sessions

    public func createApplicant(username: String, displayName: String, passwordHash: String, now: Date) async throws
        -> Applicant
    {
        let row = ApplicantRow(
            id: Identifier.make("applicant"), username: username, displayName: displayName,
            passwordHash: passwordHash, createdAt: now)
        do {
            try await database.write { db in try row.insert(db) }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw PortalStoreError.usernameTaken(username)
        }
        return row.applicant
    }

    public func applicant(username: String) async throws -> Applicant? {
        try await passwordHash(username: username)?.0
    }

    public func passwordHash(username: String) async throws -> (Applicant, String)? {
        try await database.read { db in
            try ApplicantRow.filter(Column("username") == username).fetchOne(db).map { ($0.applicant, $0.passwordHash) }
        }
    }

    public func setPasswordHash(applicantID: String, passwordHash: String) async throws {
        _ = try await database.write { db in
            try ApplicantRow.filter(key: applicantID).updateAll(db, Column("passwordHash").set(to: passwordHash))
        }
    }

    public func createSession(tokenHash: String, applicantID: String, expiresAt: Date, notAfter: Date, now: Date)
        async throws
    {
        try await database.write { db in
            try SessionRow(
                tokenHash: tokenHash, applicantID: applicantID, createdAt: now, expiresAt: min(expiresAt, notAfter),
                notAfter: notAfter
            ).insert(db)
        }
    }

    public func useSession(tokenHash: String, now: Date, slidingExpiry: Date, minimumSlide: TimeInterval) async throws -> SessionLookup {
        // A read first: readers run side by side, while every write waits for the one writer and its fsync.
        // Every authenticated request comes here: one cached statement, read by column, no Codable decoding.
        let found = try await database.read { db -> (expiresAt: Date, notAfter: Date, applicant: Applicant)? in
            let statement = try db.cachedStatement(sql: """
                SELECT session.expiresAt, session.notAfter, applicant.id, applicant.username, applicant.displayName
                FROM session JOIN applicant ON applicant.id = session.applicantID WHERE session.tokenHash = ?
                """)
            guard let row = try Row.fetchOne(statement, arguments: [tokenHash]) else { return nil }
            return (row[0], row[1], Applicant(id: row[2], username: row[3], displayName: row[4]))
        }
        guard let (expiresAt, notAfter, applicant) = found else { return .unknown }
        guard expiresAt > now else { return .expired }
        let slid = min(slidingExpiry, notAfter)
        if slid.timeIntervalSince(expiresAt) >= max(minimumSlide, .leastNonzeroMagnitude) {
            try await database.write { db in
                // Only ever later: another request may have slid it further meanwhile.
                _ = try SessionRow.filter(key: tokenHash).filter(Column("expiresAt") < slid)
                    .updateAll(db, Column("expiresAt").set(to: slid))
            }
        }
        return .live(applicant)
    }

    public func deleteSession(tokenHash: String) async throws {
        _ = try await database.write { db in try SessionRow.deleteOne(db, key: tokenHash) }
    }

    public func sessionExpiry(tokenHash: String) async throws -> Date? {
        try await database.read { db in
            try Date.fetchOne(db.cachedStatement(sql: "SELECT expiresAt FROM session WHERE tokenHash = ?"), arguments: [tokenHash])
        }
    }

    @discardableResult
    public func removeSessions(expiredBefore date: Date) async throws -> Int {
        try await database.write { db in try SessionRow.filter(Column("expiresAt") < date).deleteAll(db) }
    }

    // MARK: The sign-in throttle

    public func beginSignIn(key: String, now: Date, rule: SignInThrottleRule) async throws -> Int? {
        try await database.write { db in
            let row = try Row.fetchOne(db, sql: "SELECT failures, lastFailure FROM signInFailure WHERE key = ?", arguments: [key])
            let failures: Int = row?["failures"] ?? 0
            if let row, let wait = rule.wait(failures: failures, lastFailure: row["lastFailure"], now: now) { return wait }
            try db.execute(sql: """
                INSERT INTO signInFailure (key, failures, lastFailure) VALUES (?, 1, ?)
                ON CONFLICT (key) DO UPDATE SET failures = failures + 1, lastFailure = excluded.lastFailure
                """, arguments: [key, now])
            return nil
        }
    }

    public func signInSucceeded(key: String) async throws {
        try await database.write { db in try db.execute(sql: "DELETE FROM signInFailure WHERE key = ?", arguments: [key]) }
    }

    public func removeSignInFailures(before date: Date) async throws {
        try await database.write { db in try db.execute(sql: "DELETE FROM signInFailure WHERE lastFailure < ?", arguments: [date]) }
    }

    // MARK: Applications

    public func createApplication(applicantID: String, type: ApplicationType, now: Date) async throws -> Application {
        try await database.write { db in
            guard try ApplicantRow.exists(db, key: applicantID) else { throw PortalError.notFound }
            let count = try ApplicationRow.fetchCount(db) + 1
            let year = Calendar.portal.component(.year, from: now)
            let row = ApplicationRow(
                id: Identifier.make("application"), applicantID: applicantID, type: type,
                referenceNumber: Application.referenceNumber(ordinal: Int64(count), year: year), status: .received,
                submittedAt: now, updatedAt: now)
            try row.insert(db)
            try TimelineRow(sequence: nil, applicationID: row.id, at: now, kind: .submitted, status: .received)
                .insert(db)
            return row.application
        }
    }

    public func applications(applicantID: String) async throws -> [Application] {
        try await database.read { db in
            try ApplicationRow.filter(ApplicationRow.Columns.applicantID == applicantID)
                .order(ApplicationRow.Columns.submittedAt.desc, Column("id"))
                .fetchAll(db).map(\.application)
        }
    }

    public func application(id: String, applicantID: String?) async throws -> ApplicationDetail? {
        try await database.read { db in
            guard let row = try Self.application(db, id: id, applicantID: applicantID) else { return nil }
            let timeline = try TimelineRow.filter(Column("applicationID") == id).order(Column("sequence"))
                .fetchAll(db).map(\.event)
            let decisionID = try DecisionRow.filter(Column("applicationID") == id).fetchOne(db)?.id
            return ApplicationDetail(application: row.application, timeline: timeline, decisionID: decisionID)
        }
    }

    public func setStatus(applicationID: String, status: ApplicationStatus, now: Date) async throws -> Application {
        try await database.write { db in
            try Self.changeStatus(db, applicationID: applicationID, to: status, kind: .statusChanged, now: now)
                .application
        }
    }

    public func applicationID(referenceNumber: String) async throws -> String? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT id FROM application WHERE referenceNumber = ?", arguments: [referenceNumber])
        }
    }

    // MARK: Requests

    public func issueRequest(applicationID: String, text: String, items: [String], deadline: Date, now: Date)
        async throws -> SupplementRequest
    {
        try await database.write { db in
            let application = try Self.changeStatus(
                db, applicationID: applicationID, to: .waitingForInformation, kind: .requestSent, now: now)
            let row = RequestRow(
                id: Identifier.make("request"), applicationID: applicationID, text: text, items: items,
                deadline: deadline, sentAt: now, answeredAt: nil)
            try row.insert(db)
            try Self.notify(db, applicantID: application.applicantID, kind: .requestSent,
                            applicationID: applicationID, subjectID: row.id, now: now)
            return row.request
        }
    }

    public func extendDeadline(requestID: String, deadline: Date, now: Date) async throws -> SupplementRequest {
        try await database.write { db in
            guard var row = try RequestRow.fetchOne(db, key: requestID) else { throw PortalError.notFound }
            if row.answeredAt != nil { throw PortalStoreError.requestAnswered }
            if deadline <= row.deadline { throw PortalStoreError.deadlineNotLater }
            row.deadline = deadline
            try row.update(db)
            guard let application = try ApplicationRow.fetchOne(db, key: row.applicationID) else {
                throw PortalError.notFound
            }
            try TimelineRow(sequence: nil, applicationID: row.applicationID, at: now, kind: .deadlineExtended,
                            status: application.status).insert(db)
            return row.request
        }
    }

    public func requests(applicationID: String, applicantID: String) async throws -> [SupplementRequest]? {
        try await database.read { db in
            guard try Self.application(db, id: applicationID, applicantID: applicantID) != nil else { return nil }
            return try RequestRow.filter(Column("applicationID") == applicationID)
                .order(Column("sentAt").desc).fetchAll(db).map(\.request)
        }
    }

    public func request(id: String, applicantID: String?) async throws -> SupplementRequest? {
        try await database.read { db in try Self.request(db, id: id, applicantID: applicantID)?.request }
    }

    // MARK: Attachments and messages

    public func recordAttachment(_ upload: NewAttachment) async throws -> Attachment {
        try await database.write { db in
            if let earlier = try Self.earlierResult(db, applicantID: upload.applicantID, key: upload.idempotencyKey,
                                                    fingerprint: upload.fingerprint)
            {
                guard let row = try AttachmentRow.fetchOne(db, key: earlier) else { throw PortalError.notFound }
                return row.attachment
            }
            if let limit = upload.unsentLimit,
               try Self.unsentCount(db, applicantID: upload.applicantID, since: upload.now - NewAttachment.unsentWindow) >= limit {
                throw PortalError(.tooManyUnsentAttachments, limit: Int64(limit))
            }
            let row = AttachmentRow(
                id: Identifier.make("attachment"), applicantID: upload.applicantID, fileName: upload.fileName,
                size: upload.size, sha256: upload.sha256, type: upload.type, uploadedAt: upload.now)
            try row.insert(db)
            try IdempotencyRow(applicantID: upload.applicantID, key: upload.idempotencyKey,
                               fingerprint: upload.fingerprint, resultID: row.id, createdAt: upload.now).insert(db)
            return row.attachment
        }
    }

    public func uploadAdmission(applicantID: String, idempotencyKey: String, since: Date, limit: Int) async throws -> UploadAdmission {
        try await database.read { db in
            if try IdempotencyRow.filter(Column("applicantID") == applicantID && Column("key") == idempotencyKey)
                .fetchCount(db) > 0 { return .repeatOfEarlier }
            return try Self.unsentCount(db, applicantID: applicantID, since: since) < limit ? .new : .overQuota
        }
    }

    public func earlierAttachment(_ upload: NewAttachment) async throws -> Attachment? {
        try await database.read { db in
            guard let earlier = try Self.earlierResult(db, applicantID: upload.applicantID, key: upload.idempotencyKey,
                                                       fingerprint: upload.fingerprint)
            else { return nil }
            return try AttachmentRow.fetchOne(db, key: earlier)?.attachment
        }
    }

    private static func unsentCount(_ db: Database, applicantID: String, since: Date) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM attachment
            WHERE applicantID = ? AND uploadedAt >= ?
              AND NOT EXISTS (SELECT 1 FROM messageFile WHERE messageFile.attachmentID = attachment.id)
            """, arguments: [applicantID, since]) ?? 0
    }

    public func forgetUnsentAttachments(uploadedBefore date: Date) async throws -> [String] {
        try await database.write { db in
            // Subqueries, not lists of ids: years of unsent uploads must not exceed SQLite's bound variables.
            let unsent = """
                SELECT id FROM attachment WHERE uploadedAt < ?
                AND NOT EXISTS (SELECT 1 FROM messageFile WHERE messageFile.attachmentID = attachment.id)
                """
            let digests = try String.fetchAll(db, sql: "SELECT DISTINCT sha256 FROM attachment WHERE id IN (\(unsent))",
                                              arguments: [date])
            guard !digests.isEmpty else { return [] }
            try db.execute(sql: "DELETE FROM idempotencyKey WHERE resultID IN (\(unsent))", arguments: [date])
            try db.execute(sql: "DELETE FROM attachment WHERE id IN (\(unsent))", arguments: [date])
            return try Self.unreferenced(db, digests)
        }
    }

    public func unreferenced(_ digests: [String]) async throws -> [String] {
        try await database.read { db in try Self.unreferenced(db, digests) }
    }

    private static func unreferenced(_ db: Database, _ digests: [String]) throws -> [String] {
        let statement = try db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM attachment WHERE sha256 = ?) OR EXISTS (SELECT 1 FROM decision WHERE documentSHA256 = ?)
                OR EXISTS (SELECT 1 FROM authorityMessageFile WHERE sha256 = ?)
            """)
        return try digests.sorted().filter { digest in try Bool.fetchOne(statement, arguments: [digest, digest, digest]) == false }
    }

    public func receiveMessage(_ message: NewMessage) async throws -> Receipt {
        try await database.write { db in
            // A repeat is answered with the first receipt before any rule is checked again: the request
            // it answered is answered now, and that must not turn a retry into an error.
            if let earlier = try Self.earlierResult(db, applicantID: message.applicantID, key: message.idempotencyKey,
                                                    fingerprint: message.fingerprint)
            {
                guard let receipt = try Self.receipt(db, number: earlier, applicantID: message.applicantID) else {
                    throw PortalError.notFound
                }
                return receipt
            }
            var applicationID: String?
            var topic: String?
            var inReplyTo: String?
            var answered: RequestRow?
            switch message.target {
            case .application(let id):
                guard try Self.application(db, id: id, applicantID: message.applicantID) != nil else {
                    throw PortalError.notFound
                }
                applicationID = id
            case .topic(let code):
                topic = code
            case .reply(let id):
                // Only the authority's own messages to this applicant take a reply; it joins their conversation.
                guard let original = try AuthorityMessageRow.filter(Column("id") == id)
                    .filter(Column("applicantID") == message.applicantID).fetchOne(db)
                else { throw PortalError.notFound }
                (applicationID, topic, inReplyTo) = (original.applicationID, original.topic, original.id)
            case .request(let id):
                guard let request = try Self.request(db, id: id, applicantID: message.applicantID) else {
                    throw PortalError.notFound
                }
                switch request.request.state(at: message.now) {
                case .answered: throw PortalError(.requestAlreadyAnswered)
                case .overdue: throw PortalError(.requestOverdue)
                case .open: break
                }
                applicationID = request.applicationID
                answered = request
            }
            var files: [Receipt.File] = []
            var attachmentRows: [AttachmentRow] = []
            for attachmentID in message.attachmentIDs {
                guard let row = try AttachmentRow.filter(key: attachmentID)
                    .filter(Column("applicantID") == message.applicantID).fetchOne(db)
                else { throw PortalError.notFound }
                // In the authority's record a file belongs to one message: a second message attaches it anew.
                if try MessageFileRow.filter(Column("attachmentID") == attachmentID).fetchCount(db) > 0 {
                    throw PortalError(.attachmentAlreadySent)
                }
                attachmentRows.append(row)
                files.append(Receipt.File(name: row.fileName, size: row.size, sha256: row.sha256))
            }

            // Numbers and times rise together: a message numbered later is never received earlier.
            let latest = try Date.fetchOne(db, sql: "SELECT MAX(receivedAt) FROM message")
            let receivedAt = max(message.now, latest ?? message.now)
            // The number is made from the row's sequence, so it is inserted first with a placeholder.
            var row = MessageRow(
                sequence: nil, receiptNumber: Identifier.make("pending"), applicantID: message.applicantID,
                applicationID: applicationID, requestID: answered?.id, text: message.text, receivedAt: receivedAt,
                topic: topic, inReplyTo: inReplyTo, readByAuthorityAt: nil)
            try row.insert(db)
            let sequence = row.sequence ?? db.lastInsertedRowID  // set by didInsert
            row.receiptNumber = Receipt.number(sequence: sequence, year: Calendar.portal.component(.year, from: receivedAt))
            try row.update(db)
            for (position, attachment) in attachmentRows.enumerated() {
                try MessageFileRow(messageSequence: sequence, position: position, attachmentID: attachment.id,
                                   name: attachment.fileName, size: attachment.size, sha256: attachment.sha256)
                    .insert(db)
            }
            var nextStatus: ApplicationStatus?
            if var answered, let applicationID {
                answered.answeredAt = receivedAt
                try answered.update(db)
                // Back in processing once nothing more is asked; a decided or closed application stays so.
                let current = try ApplicationRow.fetchOne(db, key: applicationID)?.status
                let stillOpen = try RequestRow.filter(Column("applicationID") == applicationID)
                    .filter(Column("answeredAt") == nil).filter(Column("deadline") >= receivedAt).fetchCount(db)
                if current == .waitingForInformation && stillOpen == 0 { nextStatus = .inProcessing }
            }
            // A message on another matter moves no application.
            let application = try applicationID.map {
                try Self.changeStatus(db, applicationID: $0, to: nextStatus, kind: .informationReceived, now: receivedAt)
            }
            try Self.notify(db, applicantID: message.applicantID, kind: .messageReceived,
                            applicationID: applicationID, topic: topic, subjectID: row.receiptNumber, now: receivedAt)
            try IdempotencyRow(applicantID: message.applicantID, key: message.idempotencyKey,
                               fingerprint: message.fingerprint, resultID: row.receiptNumber,
                               createdAt: receivedAt).insert(db)
            return Receipt(number: row.receiptNumber, receivedAt: receivedAt, applicationID: applicationID,
                           applicationReference: application?.referenceNumber, requestID: answered?.id, files: files,
                           messageID: ApplicantMessageID.of(receiptNumber: row.receiptNumber), topic: topic,
                           inReplyTo: inReplyTo)
        }
    }

    public func receipt(number: String, applicantID: String) async throws -> Receipt? {
        try await database.read { db in try Self.receipt(db, number: number, applicantID: applicantID) }
    }

    public func receipts(applicantID: String) async throws -> [Receipt] {
        try await database.read { db in
            let rows = try MessageRow.filter(Column("applicantID") == applicantID).order(Column("sequence").desc)
                .fetchAll(db)
            let references = try Self.referenceNumbers(db, applicantID: applicantID)
            return try rows.map { try Self.receipt(db, message: $0, reference: $0.applicationID.flatMap { references[$0] }) }
        }
    }

    public func incomingMessages() async throws -> [IncomingMessage] {
        try await database.read { db in
            try MessageRow.order(Column("sequence")).fetchAll(db).map { try Self.incoming(db, $0) }
        }
    }

    // MARK: Conversations

    public func messages(applicantID: String, applicationID: String?) async throws -> [Message]? {
        try await database.read { db in
            if let applicationID, try Self.application(db, id: applicationID, applicantID: applicantID) == nil { return nil }
            var mine = MessageRow.filter(Column("applicantID") == applicantID)
            var theirs = AuthorityMessageRow.filter(Column("applicantID") == applicantID)
            if let applicationID {
                mine = mine.filter(Column("applicationID") == applicationID)
                theirs = theirs.filter(Column("applicationID") == applicationID)
            }
            let references = try Self.referenceNumbers(db, applicantID: applicantID)
            let messages = try mine.order(Column("sequence")).fetchAll(db).map {
                try Self.message(db, $0, reference: $0.applicationID.flatMap { references[$0] })
            } + theirs.order(Column("sequence")).fetchAll(db).map {
                try Self.message(db, $0, reference: $0.applicationID.flatMap { references[$0] })
            }
            return Conversation.inOrder(messages)
        }
    }

    public func message(id: String, applicantID: String) async throws -> Message? {
        try await database.read { db in try Self.message(db, id: id, applicantID: applicantID) }
    }

    public func markMessageRead(id: String, applicantID: String, now: Date) async throws -> Message? {
        try await database.write { db in
            guard let message = try Self.message(db, id: id, applicantID: applicantID) else { return nil }
            guard message.direction == .fromAuthority, message.readAt == nil else { return message }
            try db.execute(sql: "UPDATE authorityMessage SET readAt = ? WHERE id = ?", arguments: [now, id])
            try db.execute(sql: """
                UPDATE notification SET readAt = ? WHERE applicantID = ? AND kind = ? AND subjectID = ? AND readAt IS NULL
                """, arguments: [now, applicantID, PortalNotification.Kind.message, id])
            return try Self.message(db, id: id, applicantID: applicantID)
        }
    }

    public func messageDocument(messageID: String, attachmentID: String, applicantID: String) async throws -> MessageAttachment? {
        try await database.read { db in
            try Self.message(db, id: messageID, applicantID: applicantID)?.attachments.first { $0.id == attachmentID }
        }
    }

    public func sendAuthorityMessage(_ message: NewAuthorityMessage) async throws -> Message {
        try await database.write { db in
            var row = AuthorityMessageRow(
                sequence: nil, id: Identifier.make("message"), applicantID: "", applicationID: nil, topic: nil,
                inReplyTo: nil, text: message.text, sentAt: message.now, readAt: nil)
            switch message.target {
            case .application(let id):
                guard let application = try ApplicationRow.fetchOne(db, key: id) else { throw PortalError.notFound }
                (row.applicantID, row.applicationID) = (application.applicantID, id)
            case .reply(let id):
                guard let number = ApplicantMessageID.receiptNumber(in: id),
                      let original = try MessageRow.filter(Column("receiptNumber") == number).fetchOne(db)
                else { throw PortalError.notFound }
                (row.applicantID, row.applicationID, row.topic, row.inReplyTo) =
                    (original.applicantID, original.applicationID, original.topic, id)
            }
            try row.insert(db)
            for (position, file) in message.files.enumerated() {
                try AuthorityMessageFileRow(
                    messageID: row.id, position: position, id: Identifier.make("attachment"), name: file.name,
                    size: file.size, sha256: file.sha256, type: file.type
                ).insert(db)
            }
            try Self.notify(db, applicantID: row.applicantID, kind: .message, applicationID: row.applicationID,
                            topic: row.topic, subjectID: row.id, now: message.now)
            return try Self.message(db, row, reference: row.applicationID.flatMap { try? Self.referenceNumber(db, applicationID: $0) })
        }
    }

    public func markReadByAuthority(messageID: String, now: Date) async throws -> IncomingMessage? {
        try await database.write { db in
            guard let number = ApplicantMessageID.receiptNumber(in: messageID),
                  var row = try MessageRow.filter(Column("receiptNumber") == number).fetchOne(db)
            else { return nil }
            if row.readByAuthorityAt == nil {
                row.readByAuthorityAt = now
                try row.update(db)
                // News for the applicant's open conversation and stream, already read: it is not counted unread.
                try Self.notify(db, applicantID: row.applicantID, kind: .messageRead, applicationID: row.applicationID,
                                topic: row.topic, subjectID: ApplicantMessageID.of(receiptNumber: number), now: now, readAt: now)
            }
            return try Self.incoming(db, row)
        }
    }

    private static func incoming(_ db: Database, _ row: MessageRow) throws -> IncomingMessage {
        let applicant = try ApplicantRow.fetchOne(db, key: row.applicantID)
        let reference = try row.applicationID.flatMap { try referenceNumber(db, applicationID: $0) }
        let message = try message(db, row, reference: reference)
        return IncomingMessage(
            receipt: try receipt(db, message: row, reference: reference), applicantName: applicant?.displayName ?? "",
            applicationReference: reference, text: row.text, messageID: message.id, topic: row.topic,
            attachments: message.attachments, readByAuthorityAt: row.readByAuthorityAt, answeredBy: message.answeredBy,
            inReplyTo: row.inReplyTo)
    }

    private static func message(_ db: Database, id: String, applicantID: String) throws -> Message? {
        if let number = ApplicantMessageID.receiptNumber(in: id) {
            guard let row = try MessageRow.filter(Column("receiptNumber") == number)
                .filter(Column("applicantID") == applicantID).fetchOne(db)
            else { return nil }
            return try message(db, row, reference: row.applicationID.flatMap { try referenceNumber(db, applicationID: $0) })
        }
        guard let row = try AuthorityMessageRow.filter(Column("id") == id).filter(Column("applicantID") == applicantID)
            .fetchOne(db)
        else { return nil }
        return try message(db, row, reference: row.applicationID.flatMap { try referenceNumber(db, applicationID: $0) })
    }

    /// The applicant's message as the conversation shows it.
    private static func message(_ db: Database, _ row: MessageRow, reference: String?) throws -> Message {
        let id = ApplicantMessageID.of(receiptNumber: row.receiptNumber)
        let files = try Row.fetchAll(db, sql: """
            SELECT f.attachmentID, f.name, f.size, f.sha256, a.type FROM messageFile f JOIN attachment a ON a.id = f.attachmentID
            WHERE f.messageSequence = ? ORDER BY f.position
            """, arguments: [row.sequence]).map { file in
            MessageAttachment(id: file[0], name: file[1], size: file[2], sha256: file[3],
                              type: AttachmentType(rawValue: file[4]) ?? .pdf)
        }
        let answer = try String.fetchOne(db, sql: """
            SELECT id FROM authorityMessage WHERE inReplyTo = ? ORDER BY sequence LIMIT 1
            """, arguments: [id])
        return Message(
            id: id, direction: .fromApplicant, applicationID: row.applicationID, applicationReference: reference,
            topic: row.topic, requestID: row.requestID, text: row.text, attachments: files, sentAt: row.receivedAt,
            inReplyTo: row.inReplyTo, receipt: try receipt(db, message: row, reference: reference),
            readByAuthorityAt: row.readByAuthorityAt, answeredBy: answer)
    }

    /// The authority's message as the conversation shows it.
    private static func message(_ db: Database, _ row: AuthorityMessageRow, reference: String?) throws -> Message {
        let files = try AuthorityMessageFileRow.filter(Column("messageID") == row.id).order(Column("position"))
            .fetchAll(db).map(\.attachment)
        return Message(
            id: row.id, direction: .fromAuthority, applicationID: row.applicationID, applicationReference: reference,
            topic: row.topic, text: row.text, attachments: files, sentAt: row.sentAt, inReplyTo: row.inReplyTo,
            readAt: row.readAt)
    }

    // MARK: Notifications

    public func notifications(applicantID: String, after sequence: Int64?) async throws -> [PortalNotification] {
        try await database.read { db in
            var query = NotificationRow.filter(Column("applicantID") == applicantID)
            if let sequence {
                query = query.filter(Column("sequence") > sequence).order(Column("sequence"))
            } else {
                query = query.order(Column("createdAt").desc, Column("sequence").desc)
            }
            // The stream asks often and mostly finds nothing: the references are read only for rows found.
            let rows = try query.fetchAll(db)
            guard !rows.isEmpty else { return [] }
            let references = try Self.referenceNumbers(db, applicantID: applicantID)
            return rows.map { $0.notification(applicationReference: $0.applicationID.flatMap { references[$0] }) }
        }
    }

    public func latestNotificationSequence() async throws -> Int64 {
        try await database.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM notification") ?? 0
        }
    }

    public func markNotificationRead(id: String, applicantID: String, now: Date) async throws -> PortalNotification? {
        try await database.write { db in
            guard var row = try NotificationRow.filter(Column("id") == id)
                .filter(Column("applicantID") == applicantID).fetchOne(db)
            else { return nil }
            if row.readAt == nil {
                row.readAt = now
                try row.update(db)
            }
            return row.notification(applicationReference: try row.applicationID.flatMap { try Self.referenceNumber(db, applicationID: $0) })
        }
    }

    // MARK: Decisions

    public func recordDecision(applicationID: String, text: String, documentSHA256: String?, now: Date) async throws
        -> Decision
    {
        try await database.write { db in
            if try DecisionRow.filter(Column("applicationID") == applicationID).fetchCount(db) > 0 {
                throw PortalStoreError.decisionExists
            }
            let application = try Self.changeStatus(
                db, applicationID: applicationID, to: .decisionMade, kind: .decisionMade, now: now)
            let row = DecisionRow(
                id: Identifier.make("decision"), applicationID: applicationID, text: text, madeAt: now,
                servedAt: nil, documentSHA256: documentSHA256)
            try row.insert(db)
            try Self.notify(db, applicantID: application.applicantID, kind: .decisionReady,
                            applicationID: applicationID, subjectID: row.id, now: now)
            return row.decision
        }
    }

    public func openDecision(id: String, applicantID: String, now: Date) async throws -> OpenedDecision? {
        try await database.write { db in
            guard var row = try DecisionRow.fetchOne(db, key: id),
                try Self.application(db, id: row.applicationID, applicantID: applicantID) != nil
            else { return nil }
            if row.servedAt == nil {
                row.servedAt = now
                try row.update(db)
            }
            return OpenedDecision(decision: row.decision, documentSHA256: row.documentSHA256)
        }
    }

    // MARK: Shared steps, inside one transaction

    private static func application(_ db: Database, id: String, applicantID: String?) throws -> ApplicationRow? {
        var query = ApplicationRow.filter(key: id)
        if let applicantID { query = query.filter(ApplicationRow.Columns.applicantID == applicantID) }
        return try query.fetchOne(db)
    }

    private static func request(_ db: Database, id: String, applicantID: String?) throws -> RequestRow? {
        guard let row = try RequestRow.fetchOne(db, key: id) else { return nil }
        guard try application(db, id: row.applicationID, applicantID: applicantID) != nil else { return nil }
        return row
    }

    /// Moves an application to `status` (or keeps its status when nil) and records the step in its timeline.
    @discardableResult
    private static func changeStatus(
        _ db: Database, applicationID: String, to status: ApplicationStatus?, kind: TimelineEvent.Kind, now: Date
    ) throws -> ApplicationRow {
        guard var row = try ApplicationRow.fetchOne(db, key: applicationID) else { throw PortalError.notFound }
        if let status { row.status = status }
        row.updatedAt = now
        try row.update(db)
        try TimelineRow(sequence: nil, applicationID: applicationID, at: now, kind: kind, status: row.status)
            .insert(db)
        return row
    }

    private static func notify(
        _ db: Database, applicantID: String, kind: PortalNotification.Kind, applicationID: String?, topic: String? = nil,
        subjectID: String, now: Date, readAt: Date? = nil
    ) throws {
        try NotificationRow(
            sequence: nil, id: Identifier.make("notification"), applicantID: applicantID, kind: kind,
            applicationID: applicationID, subjectID: subjectID, createdAt: now, readAt: readAt, topic: topic
        ).insert(db)
    }

    /// The result of an earlier call with this key, or nil for a new key; the same key with another body throws.
    private static func earlierResult(_ db: Database, applicantID: String, key: String, fingerprint: String) throws
        -> String?
    {
        guard let row = try IdempotencyRow.fetchOne(db, key: ["applicantID": applicantID, "key": key]) else {
            return nil
        }
        guard row.fingerprint == fingerprint else { throw PortalError(.idempotencyKeyReused) }
        return row.resultID
    }

    private static func referenceNumber(_ db: Database, applicationID: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT referenceNumber FROM application WHERE id = ?", arguments: [applicationID])
    }

    /// The reference numbers of the applicant's few applications, read once for a whole list.
    private static func referenceNumbers(_ db: Database, applicantID: String) throws -> [String: String] {
        try Dictionary(uniqueKeysWithValues: Row.fetchAll(
            db, sql: "SELECT id, referenceNumber FROM application WHERE applicantID = ?", arguments: [applicantID]
        ).map { (row: Row) -> (String, String) in (row["id"], row["referenceNumber"]) })
    }

    private static func receipt(_ db: Database, number: String, applicantID: String) throws -> Receipt? {
        guard let row = try MessageRow.filter(Column("receiptNumber") == number)
            .filter(Column("applicantID") == applicantID).fetchOne(db)
        else { return nil }
        return try receipt(db, message: row)
    }

    /// The receipt of a message; `reference` when the caller has read it already (a list), or read here.
    private static func receipt(_ db: Database, message row: MessageRow, reference known: String? = nil) throws -> Receipt {
        let files = try MessageFileRow.filter(Column("messageSequence") == row.sequence).order(Column("position"))
            .fetchAll(db).map { Receipt.File(name: $0.name, size: $0.size, sha256: $0.sha256) }
        let reference = try known ?? row.applicationID.flatMap { try referenceNumber(db, applicationID: $0) }
        let signed = try String.fetchOne(db, sql: "SELECT jws FROM signedReceipt WHERE receiptNumber = ?",
                                         arguments: [row.receiptNumber])
        return Receipt(number: row.receiptNumber, receivedAt: row.receivedAt, applicationID: row.applicationID,
                       applicationReference: reference, requestID: row.requestID, files: files,
                       messageID: ApplicantMessageID.of(receiptNumber: row.receiptNumber), topic: row.topic,
                       inReplyTo: row.inReplyTo, signed: signed)
    }

    // MARK: Receipt signing

    public func keepSignedReceipt(number: String, applicantID: String, signed: String) async throws -> Receipt? {
        try await database.write { db in
            guard try MessageRow.filter(Column("receiptNumber") == number).filter(Column("applicantID") == applicantID)
                .fetchCount(db) > 0 else { return nil }
            // The first signature kept stays: a repeat of the send answers the same signed receipt.
            try db.execute(sql: "INSERT OR IGNORE INTO signedReceipt (receiptNumber, jws) VALUES (?, ?)",
                           arguments: [number, signed])
            return try Self.receipt(db, number: number, applicantID: applicantID)
        }
    }

    public func receiptSigningKeys() async throws -> [ReceiptSigningKey] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT privateKey, createdAt FROM receiptKey ORDER BY sequence").map {
                try ReceiptSigningKey(privateKey: $0["privateKey"], createdAt: $0["createdAt"])
            }
        }
    }

    public func addReceiptSigningKey(_ key: ReceiptSigningKey, onlyIfNone: Bool) async throws -> ReceiptSigningKey {
        try await database.write { db in
            let none = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM receiptKey") == 0
            if !onlyIfNone || none {
                try db.execute(sql: "INSERT INTO receiptKey (kid, privateKey, createdAt) VALUES (?, ?, ?)",
                               arguments: [key.kid, key.privateKey, key.createdAt])
            }
            let row = try Row.fetchOne(db, sql: "SELECT privateKey, createdAt FROM receiptKey ORDER BY sequence DESC LIMIT 1")
            return try ReceiptSigningKey(privateKey: row?["privateKey"] ?? key.privateKey, createdAt: row?["createdAt"] ?? key.createdAt)
        }
    }
}
