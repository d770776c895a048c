import Foundation
import Logging
import PortalStore
import PorttiModel
import ReceiptProof
import PostgresNIO
import ServiceLifecycle
import Synchronization
import _ConnectionPoolModule

/// The portal's storage in PostgreSQL, for several portals over one database: the same protocol and the same
/// semantics as `SQLitePortalStore`. What SQLite gets from its single writer comes here from the database
/// itself, so it holds across portals: unique constraints make a repeated key one record, sequences number
/// applications and messages, and row and advisory locks order what must happen one at a time.
///
/// The connection pool runs as a `Service`: put the store in the portal's `ServiceGroup` ahead of the services
/// that use it (a group stops its services in reverse order, so the pool stops last), or run `run()` in a
/// task. Calls made before it runs wait for it.
public final class PostgresPortalStore: PortalStore, Service {
    let client: PostgresClient
    let logger: Logger
    /// False from the moment the change listener loses its connection until it listens again: the database is
    /// then taken to be down, and statements answer `storageUnavailable` at once instead of queueing in the
    /// pool (which waits up to a minute for a connection before it gives up).
    private let databaseReachable = Atomic(true)

    /// A logger that drops everything: the default when the caller gives none.
    public static let silent = Logger(label: "portti.store.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    private init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Opens the store over the database that `configuration` names, after bringing its schema up to date
    /// (waiting for another portal that is migrating it at the same moment). The store's pool is not yet
    /// running: run it (see the type's description) before the first call.
    /// - Parameters:
    ///   - configuration: the server, the database and the credentials; also the pool's size and timeouts.
    ///   - logger: where the pool logs its connections, and every statement at debug level.
    /// - Throws: `PSQLError` when a migration fails; `ConnectionPoolError` when no connection could be made
    ///   (postgres-nio's pool gives up after retrying for about a minute).
    public static func open(configuration: PostgresClient.Configuration, logger: Logger = silent) async throws
        -> PostgresPortalStore
    {
        // The migrations run on a pool of their own that lives only as long as they do: the store's pool is run
        // by the caller's service group, which does not exist yet.
        let migrating = PostgresClient(configuration: configuration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await migrating.run() }
            defer { group.cancelAll() }
            let applied = try await migrating.withConnection { connection in
                try await PostgresSchema.migrate(Lease(connection: connection, logger: logger))
            }
            for name in applied { logger.info("Database migrated: \(name)") }
        }
        return PostgresPortalStore(client: PostgresClient(configuration: configuration, backgroundLogger: logger), logger: logger)
    }

    /// Runs the connection pool until the task is cancelled or the service group shuts down gracefully.
    public func run() async throws {
        await client.run()
    }

    // MARK: Changes, through LISTEN/NOTIFY

    static let changeChannel = "portti_changes"
    static let notificationChange = "notification"
    static let sessionChange = "session"

    /// Every change any portal on the database makes, heard on one pooled connection that `LISTEN`s. When
    /// that connection is lost (the database stopped or restarted), statements answer `storageUnavailable`
    /// until it listens again; it tries again after a pause growing from 100 ms to 5 seconds (the pool adds
    /// its own backoff while it cannot connect), and yields `.notification` once it listens again, as one may
    /// have been missed meanwhile. Ends when the task that reads it is cancelled.
    public func changes() -> AsyncStream<StoreChange>? {
        AsyncStream { continuation in
            let listener = Task { await self.listen(continuation) }
            continuation.onTermination = { _ in listener.cancel() }
        }
    }

    private func listen(_ continuation: AsyncStream<StoreChange>.Continuation) async {
        var pause = Duration.milliseconds(100)
        var lostSince: ContinuousClock.Instant?
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.changeChannel) { notifications in
                        if let since = lostSince {
                            self.logger.notice("listening for changes again, after \(ContinuousClock.now - since) without the database")
                            self.databaseReachable.store(true, ordering: .relaxed)
                            lostSince = nil
                            continuation.yield(.notification)
                        }
                        pause = .milliseconds(100)
                        for try await notification in notifications {
                            continuation.yield(notification.payload == Self.sessionChange ? .sessionEnded : .notification)
                        }
                    }
                }
                // The notifications ended without an error: the connection closed all the same.
                throw NotificationsEnded()
            } catch {
                if Task.isCancelled { break }
                if lostSince == nil {
                    lostSince = .now
                    databaseReachable.store(false, ordering: .relaxed)
                    logger.warning("lost the database's change notifications, listening again: \(error)")
                } else {
                    logger.debug("listening for changes failed again: \(error)")
                }
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
        continuation.finish()
    }

    // MARK: Connections and transactions

    /// Runs `body` on one pooled connection, outside a transaction: for single statements.
    /// - Throws: `PortalError(.storageUnavailable)` while the database cannot be reached, or when the
    ///   connection was lost under `body` (a transaction is then rolled back by the server); `body`'s own errors.
    func statement<Result: Sendable>(_ body: (Lease) async throws -> Result) async throws -> Result {
        guard databaseReachable.load(ordering: .relaxed) else { throw Self.unavailable("the database is not reachable") }
        do {
            return try await client.withConnection { connection in
                try await body(Lease(connection: connection, logger: logger))
            }
        } catch let error where Self.meansDatabaseLost(error) {
            throw Self.unavailable("\(error)")
        }
    }

    private struct NotificationsEnded: Error, CustomStringConvertible {
        var description: String { "the listening connection closed" }
    }

    static func unavailable(_ detail: String) -> PortalError {
        PortalError(.storageUnavailable, retryAfterSeconds: 5, detail: detail)
    }

    /// Whether `error` says the database went away (not that a statement was wrong): the connection closed
    /// or broke, the server is shutting down or starting up (SQLSTATE class 08, and 57P: not 57014, a
    /// cancelled statement), or the pool gave up connecting.
    static func meansDatabaseLost(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            switch error.code {
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown: return true
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || state.hasPrefix("57P")
            default: return false
            }
        }
        return (error as? ConnectionPoolError) == .connectionCreationCircuitBreakerTripped
    }

    /// Runs `body` in one read-only transaction that sees one snapshot throughout.
    private func read<Result: Sendable>(_ body: (Lease) async throws -> Result) async throws -> Result {
        try await statement { lease in try await lease.transaction(.snapshot) { try await body(lease) } }
    }

    /// Runs `body` in one writing transaction.
    func write<Result: Sendable>(_ body: (Lease) async throws -> Result) async throws -> Result {
        try await statement { lease in try await lease.transaction { try await body(lease) } }
    }

    // MARK: Accounts and sessions

    public func createApplicant(username: String, displayName: String, passwordHash: String, now: Date) async throws
        -> Applicant
    {
        let applicant = Applicant(id: Identifier.make("applicant"), username: username, displayName: displayName)
        do {
            try await statement { lease in
                try await lease.run("""
                    INSERT INTO applicant (id, username, display_name, password_hash, created_at)
                    VALUES (\(applicant.id), \(username), \(displayName), \(passwordHash), \(Timestamp(now)))
                    """)
            }
        } catch let error as PSQLError where error.violates("applicant_username_unique") {
            throw PortalStoreError.usernameTaken(username)
        }
        return applicant
    }

    public func applicant(username: String) async throws -> Applicant? {
        try await passwordHash(username: username)?.0
    }

    public func passwordHash(username: String) async throws -> (Applicant, String)? {
        try await statement { lease in
            guard let row = try await lease.row(
                "SELECT id, username, display_name, password_hash FROM applicant WHERE username = \(username)")
            else { return nil }
            let (id, username, displayName, hash) = try row.decode((String, String, String, String).self)
            return (Applicant(id: id, username: username, displayName: displayName), hash)
        }
    }

    public func setPasswordHash(applicantID: String, passwordHash: String) async throws {
        try await statement { lease in
            try await lease.run("UPDATE applicant SET password_hash = \(passwordHash) WHERE id = \(applicantID)")
        }
    }

    public func createSession(tokenHash: String, applicantID: String, expiresAt: Date, notAfter: Date, now: Date)
        async throws
    {
        try await statement { lease in
            try await lease.run("""
                INSERT INTO session (token_hash, applicant_id, created_at, expires_at, not_after)
                VALUES (\(tokenHash), \(applicantID), \(Timestamp(now)), \(Timestamp(min(expiresAt, notAfter))),
                        \(Timestamp(notAfter)))
                """)
        }
    }

    public func useSession(tokenHash: String, now: Date, slidingExpiry: Date, minimumSlide: TimeInterval) async throws
        -> SessionLookup
    {
        // A read first: most requests only read, and a write would take the row's lock on every request.
        let found = try await statement { lease -> (expiresAt: Date, notAfter: Date, applicant: Applicant)? in
            guard let row = try await lease.row("""
                SELECT session.expires_at, session.not_after, applicant.id, applicant.username, applicant.display_name
                FROM session JOIN applicant ON applicant.id = session.applicant_id WHERE session.token_hash = \(tokenHash)
                """)
            else { return nil }
            let (expiresAt, notAfter, id, username, displayName) = try row.decode((Date, Date, String, String, String).self)
            return (expiresAt, notAfter, Applicant(id: id, username: username, displayName: displayName))
        }
        guard let (expiresAt, notAfter, applicant) = found else { return .unknown }
        guard expiresAt > now else { return .expired }
        let slid = Timestamp(min(slidingExpiry, notAfter))
        if slid.date.timeIntervalSince(expiresAt) >= max(minimumSlide, .leastNonzeroMagnitude) {
            try await statement { lease in
                // Only ever later: another request, maybe on another portal, may have slid it further meanwhile.
                try await lease.run(
                    "UPDATE session SET expires_at = \(slid) WHERE token_hash = \(tokenHash) AND expires_at < \(slid)")
            }
        }
        return .live(applicant)
    }

    public func deleteSession(tokenHash: String) async throws {
        try await statement { lease in
            try await lease.run("DELETE FROM session WHERE token_hash = \(tokenHash)")
            try await lease.run("SELECT pg_notify(\(Self.changeChannel), \(Self.sessionChange))")
        }
    }

    public func sessionExpiry(tokenHash: String) async throws -> Date? {
        try await statement { lease in
            try await lease.row("SELECT expires_at FROM session WHERE token_hash = \(tokenHash)")?.decode(Date.self)
        }
    }

    @discardableResult
    public func removeSessions(expiredBefore date: Date) async throws -> Int {
        try await statement { lease in
            let row = try await lease.row("""
                WITH removed AS (DELETE FROM session WHERE expires_at < \(Timestamp(date)) RETURNING 1)
                SELECT count(*) FROM removed
                """)
            return Int(try row?.decode(Int64.self) ?? 0)
        }
    }

    // MARK: The sign-in throttle

    public func beginSignIn(key: String, now: Date, rule: SignInThrottleRule) async throws -> Int? {
        try await write { lease in
            // The row is made first and then locked: attempts at once, on any portal, are counted one by one.
            try await lease.run("""
                INSERT INTO sign_in_failure (key, failures, last_failure) VALUES (\(key), 0, \(Timestamp(now)))
                ON CONFLICT (key) DO NOTHING
                """)
            let row = try await lease.row("SELECT failures, last_failure FROM sign_in_failure WHERE key = \(key) FOR UPDATE")
            let (failures, lastFailure) = try row?.decode((Int32, Date).self) ?? (Int32(0), now)
            if let wait = rule.wait(failures: Int(failures), lastFailure: lastFailure, now: now) { return wait }
            try await lease.run("""
                UPDATE sign_in_failure SET failures = failures + 1, last_failure = \(Timestamp(now)) WHERE key = \(key)
                """)
            return nil
        }
    }

    public func signInSucceeded(key: String) async throws {
        try await statement { lease in try await lease.run("DELETE FROM sign_in_failure WHERE key = \(key)") }
    }

    public func removeSignInFailures(before date: Date) async throws {
        try await statement { lease in
            try await lease.run("DELETE FROM sign_in_failure WHERE last_failure < \(Timestamp(date))")
        }
    }

    // MARK: Applications

    public func createApplication(applicantID: String, type: ApplicationType, now: Date) async throws -> Application {
        let now = Timestamp(now)
        return try await write { lease in
            guard try await lease.row("SELECT 1 FROM applicant WHERE id = \(applicantID)") != nil else {
                throw PortalError.notFound
            }
            let ordinal = try await lease.row("SELECT nextval('application_reference')")?.decode(Int64.self) ?? 0
            let application = Application(
                id: Identifier.make("application"), type: type,
                referenceNumber: Application.referenceNumber(ordinal: ordinal, year: Calendar.portal.component(.year, from: now.date)),
                status: .received, submittedAt: now.date, updatedAt: now.date)
            try await lease.run("""
                INSERT INTO application (id, applicant_id, type, reference_number, status, submitted_at, updated_at)
                VALUES (\(application.id), \(applicantID), \(type.rawValue), \(application.referenceNumber),
                        \(application.status.rawValue),
                        \(now), \(now))
                """)
            try await Self.recordStep(lease, applicationID: application.id, kind: .submitted, status: .received, at: now)
            return application
        }
    }

    public func applications(applicantID: String) async throws -> [Application] {
        try await statement { lease in
            try await lease.rows("""
                SELECT \(unescaped: ApplicationRecord.columns("application")) FROM application
                WHERE applicant_id = \(applicantID) ORDER BY submitted_at DESC, id
                """).map { try ApplicationRecord.decode($0).application }
        }
    }

    public func application(id: String, applicantID: String?) async throws -> ApplicationDetail? {
        try await read { lease in
            guard let (application, _) = try await Self.application(lease, id: id, applicantID: applicantID) else {
                return nil
            }
            let timeline = try await lease.rows(
                "SELECT at, kind, status FROM timeline_event WHERE application_id = \(id) ORDER BY sequence"
            ).map { row in
                let (at, kind, status) = try row.decode((Date, String, String).self)
                return TimelineEvent(at: at, kind: try .stored(kind), status: try .stored(status))
            }
            let decisionID = try await lease.row("SELECT id FROM decision WHERE application_id = \(id)")?.decode(String.self)
            return ApplicationDetail(application: application, timeline: timeline, decisionID: decisionID)
        }
    }

    public func setStatus(applicationID: String, status: ApplicationStatus, now: Date) async throws -> Application {
        try await write { lease in
            try await Self.changeStatus(lease, applicationID: applicationID, to: status, kind: .statusChanged, now: Timestamp(now))
                .application
        }
    }

    public func applicationID(referenceNumber: String) async throws -> String? {
        try await read { lease in
            try await lease.row("SELECT id FROM application WHERE reference_number = \(referenceNumber)")?.decode(String.self)
        }
    }

    // MARK: Requests

    public func issueRequest(applicationID: String, text: String, items: [String], deadline: Date, now: Date)
        async throws -> SupplementRequest
    {
        let now = Timestamp(now)
        let deadline = Timestamp(deadline)
        return try await write { lease in
            try await lease.lock(.arrival)
            let (_, applicantID) = try await Self.changeStatus(
                lease, applicationID: applicationID, to: .waitingForInformation, kind: .requestSent, now: now)
            let request = SupplementRequest(
                id: Identifier.make("request"), applicationID: applicationID, text: text, items: items,
                deadline: deadline.date, sentAt: now.date, answeredAt: nil)
            try await lease.run("""
                INSERT INTO supplement_request (id, application_id, text, items, deadline, sent_at)
                VALUES (\(request.id), \(applicationID), \(text), \(items), \(deadline), \(now))
                """)
            try await Self.notify(lease, applicantID: applicantID, kind: .requestSent, applicationID: applicationID,
                                  subjectID: request.id, now: now)
            return request
        }
    }

    public func extendDeadline(requestID: String, deadline: Date, now: Date) async throws -> SupplementRequest {
        let deadline = Timestamp(deadline)
        return try await write { lease in
            // Locked, so that an answer arriving on another portal meanwhile is seen before the deadline moves.
            guard let row = try await lease.row("""
                SELECT \(unescaped: RequestRecord.columns("supplement_request")) FROM supplement_request
                WHERE id = \(requestID) FOR UPDATE
                """)
            else { throw PortalError.notFound }
            var request = try RequestRecord.decode(row)
            if request.answeredAt != nil { throw PortalStoreError.requestAnswered }
            if deadline <= Timestamp(request.deadline) { throw PortalStoreError.deadlineNotLater }
            request.deadline = deadline.date
            try await lease.run("UPDATE supplement_request SET deadline = \(deadline) WHERE id = \(requestID)")
            guard let status = try await lease.row(
                "SELECT status FROM application WHERE id = \(request.applicationID)")?.decode(String.self)
            else { throw PortalError.notFound }
            try await Self.recordStep(lease, applicationID: request.applicationID, kind: .deadlineExtended, status: .stored(status),
                                      at: Timestamp(now))
            return request
        }
    }

    public func requests(applicationID: String, applicantID: String) async throws -> [SupplementRequest]? {
        try await read { lease in
            guard try await Self.application(lease, id: applicationID, applicantID: applicantID) != nil else { return nil }
            return try await lease.rows("""
                SELECT \(unescaped: RequestRecord.columns("supplement_request")) FROM supplement_request
                WHERE application_id = \(applicationID) ORDER BY sent_at DESC
                """).map(RequestRecord.decode)
        }
    }

    public func request(id: String, applicantID: String?) async throws -> SupplementRequest? {
        try await statement { lease in try await Self.request(lease, id: id, applicantID: applicantID) }
    }

    // MARK: Attachments and messages

    public func recordAttachment(_ upload: NewAttachment) async throws -> Attachment {
        let now = Timestamp(upload.now)
        return try await write { lease in
            // One applicant's uploads are recorded one at a time, whichever portal receives them: the count of
            // unsent files and the insert that it allows are then one step, as under SQLite's single writer.
            // NO KEY UPDATE: inserts that refer to the applicant (sessions, messages) need not wait for it.
            try await lease.run("SELECT 1 FROM applicant WHERE id = \(upload.applicantID) FOR NO KEY UPDATE")
            let id = Identifier.make("attachment")
            if let earlier = try await Self.claim(
                lease, applicantID: upload.applicantID, key: upload.idempotencyKey, fingerprint: upload.fingerprint,
                resultID: id, at: now)
            {
                guard let attachment = try await Self.attachment(lease, id: earlier) else { throw PortalError.notFound }
                return attachment
            }
            if let limit = upload.unsentLimit,
               try await Self.unsentCount(lease, applicantID: upload.applicantID, since: now.date - NewAttachment.unsentWindow) >= limit {
                throw PortalError(.tooManyUnsentAttachments, limit: Int64(limit))
            }
            let attachment = Attachment(
                id: id, fileName: upload.fileName, size: upload.size, sha256: upload.sha256,
                type: upload.type, uploadedAt: now.date)
            try await lease.run("""
                INSERT INTO attachment (id, applicant_id, file_name, size, sha256, type, uploaded_at)
                VALUES (\(attachment.id), \(upload.applicantID), \(upload.fileName), \(upload.size), \(upload.sha256),
                        \(upload.type.rawValue), \(now))
                """)
            return attachment
        }
    }

    public func uploadAdmission(applicantID: String, idempotencyKey: String, since: Date, limit: Int) async throws
        -> UploadAdmission
    {
        try await read { lease in
            if try await lease.row(
                "SELECT 1 FROM idempotency_key WHERE applicant_id = \(applicantID) AND key = \(idempotencyKey)") != nil
            {
                return .repeatOfEarlier
            }
            return try await Self.unsentCount(lease, applicantID: applicantID, since: since) < limit ? .new : .overQuota
        }
    }

    public func earlierAttachment(_ upload: NewAttachment) async throws -> Attachment? {
        try await statement { lease in try await Self.earlierAttachment(lease, upload) }
    }

    public func forgetUnsentAttachments(uploadedBefore date: Date) async throws -> [String] {
        try await write { lease in
            // Messages attach files under this lock: holding it, "in no message" is decided on every message
            // received so far, and none can take a file that is being forgotten.
            try await lease.lock(.arrival)
            let digests = try await lease.rows("""
                WITH forgotten AS (
                    DELETE FROM attachment WHERE uploaded_at < \(Timestamp(date))
                    AND NOT EXISTS (SELECT 1 FROM message_file WHERE message_file.attachment_id = attachment.id)
                    RETURNING id, sha256),
                keys AS (DELETE FROM idempotency_key WHERE result_id IN (SELECT id FROM forgotten))
                SELECT DISTINCT sha256 FROM forgotten
                """).map { try $0.decode(String.self) }
            guard !digests.isEmpty else { return [] }
            return try await Self.unreferenced(lease, digests)
        }
    }

    public func unreferenced(_ digests: [String]) async throws -> [String] {
        try await statement { lease in try await Self.unreferenced(lease, digests) }
    }

    public func receiveMessage(_ message: NewMessage) async throws -> Receipt {
        do {
            return try await write { lease in try await Self.receive(lease, message) }
        } catch let error as PSQLError where error.violates("message_file_attachment_sent_once") {
            throw PortalError(.attachmentAlreadySent)
        }
    }

    public func receipt(number: String, applicantID: String) async throws -> Receipt? {
        try await read { lease in
            try await Self.receivedMessages(lease, applicantID: applicantID, receiptNumber: number).first?.receipt
        }
    }

    public func receipts(applicantID: String) async throws -> [Receipt] {
        try await read { lease in
            try await Self.receivedMessages(lease, applicantID: applicantID).reversed().map(\.receipt)
        }
    }

    public func incomingMessages() async throws -> [IncomingMessage] {
        try await read { lease in try await Self.receivedMessages(lease).map(\.incoming) }
    }

    // MARK: Conversations

    public func messages(applicantID: String, applicationID: String?) async throws -> [Message]? {
        try await read { lease in
            if let applicationID, try await Self.application(lease, id: applicationID, applicantID: applicantID) == nil {
                return nil
            }
            let mine = try await Self.receivedMessages(lease, applicantID: applicantID).map(\.message)
            let theirs = try await Self.authorityMessages(lease, applicantID: applicantID)
            return Conversation.inOrder((mine + theirs).filter { applicationID == nil || $0.applicationID == applicationID })
        }
    }

    public func message(id: String, applicantID: String) async throws -> Message? {
        try await read { lease in try await Self.message(lease, id: id, applicantID: applicantID) }
    }

    public func markMessageRead(id: String, applicantID: String, now: Date) async throws -> Message? {
        try await write { lease in
            guard let message = try await Self.message(lease, id: id, applicantID: applicantID) else { return nil }
            guard message.direction == .fromAuthority, message.readAt == nil else { return message }
            try await lease.run("UPDATE authority_message SET read_at = COALESCE(read_at, \(Timestamp(now))) WHERE id = \(id)")
            try await lease.run("""
                UPDATE notification SET read_at = \(Timestamp(now))
                WHERE applicant_id = \(applicantID) AND kind = \(PortalNotification.Kind.message.rawValue)
                  AND subject_id = \(id) AND read_at IS NULL
                """)
            return try await Self.message(lease, id: id, applicantID: applicantID)
        }
    }

    public func messageDocument(messageID: String, attachmentID: String, applicantID: String) async throws -> MessageAttachment? {
        try await read { lease in
            try await Self.message(lease, id: messageID, applicantID: applicantID)?.attachments.first { $0.id == attachmentID }
        }
    }

    public func sendAuthorityMessage(_ message: NewAuthorityMessage) async throws -> Message {
        try await write { lease in
            // The notification's sequence is taken below.
            try await lease.lock(.arrival)
            let id = Identifier.make("message")
            let applicantID: String
            var applicationID: String?
            var topic: String?
            var inReplyTo: String?
            switch message.target {
            case .application(let application):
                guard let found = try await Self.application(lease, id: application, applicantID: nil) else {
                    throw PortalError.notFound
                }
                (applicantID, applicationID) = (found.applicantID, application)
            case .reply(let original):
                guard let number = ApplicantMessageID.receiptNumber(in: original),
                      let found = try await Self.receivedMessages(lease, receiptNumber: number).first
                else { throw PortalError.notFound }
                (applicantID, applicationID, topic, inReplyTo) =
                    (found.applicantID, found.receipt.applicationID, found.receipt.topic, original)
            }
            try await lease.run("""
                INSERT INTO authority_message (id, applicant_id, application_id, topic, in_reply_to, text, sent_at)
                VALUES (\(id), \(applicantID), \(applicationID), \(topic), \(inReplyTo), \(message.text), \(Timestamp(message.now)))
                """)
            for (position, file) in message.files.enumerated() {
                try await lease.run("""
                    INSERT INTO authority_message_file (message_id, position, id, name, size, sha256, type)
                    VALUES (\(id), \(Int32(position)), \(Identifier.make("attachment")), \(file.name), \(file.size), \(file.sha256),
                            \(file.type.rawValue))
                    """)
            }
            try await Self.notify(lease, applicantID: applicantID, kind: .message, applicationID: applicationID, topic: topic,
                                  subjectID: id, now: Timestamp(message.now))
            guard let sent = try await Self.authorityMessages(lease, applicantID: applicantID, id: id).first else {
                throw PortalError.notFound
            }
            return sent
        }
    }

    public func markReadByAuthority(messageID: String, now: Date) async throws -> IncomingMessage? {
        try await write { lease in
            guard let number = ApplicantMessageID.receiptNumber(in: messageID) else { return nil }
            // Only the first opening changes anything, and only it is news for the applicant.
            if let first = try await lease.row("""
                UPDATE message SET read_by_authority_at = \(Timestamp(now))
                WHERE receipt_number = \(number) AND read_by_authority_at IS NULL
                RETURNING applicant_id, application_id, topic
                """) {
                let (applicantID, applicationID, topic) = try first.decode((String, String?, String?).self)
                // Already read: news for an open conversation and stream, never counted unread.
                try await Self.notify(lease, applicantID: applicantID, kind: .messageRead, applicationID: applicationID,
                                      topic: topic, subjectID: ApplicantMessageID.of(receiptNumber: number), now: Timestamp(now),
                                      readAt: Timestamp(now))
            }
            return try await Self.receivedMessages(lease, receiptNumber: number).first?.incoming
        }
    }

    // MARK: Signed receipts

    public func keepSignedReceipt(number: String, applicantID: String, signed: String) async throws -> Receipt? {
        try await write { lease in
            guard try await lease.row("""
                SELECT 1 FROM message WHERE receipt_number = \(number) AND applicant_id = \(applicantID)
                """) != nil else { return nil }
            // The first signature kept stays: a repeat of the send answers the same signed receipt.
            try await lease.run("""
                INSERT INTO signed_receipt (receipt_number, jws) VALUES (\(number), \(signed))
                ON CONFLICT (receipt_number) DO NOTHING
                """)
            return try await Self.receivedMessages(lease, applicantID: applicantID, receiptNumber: number).first?.receipt
        }
    }

    public func receiptSigningKeys() async throws -> [ReceiptSigningKey] {
        try await read { lease in
            try await lease.rows("SELECT private_key, created_at FROM receipt_key ORDER BY sequence").map { row in
                let (key, createdAt) = try row.decode((ByteBuffer, Date).self)
                return try ReceiptSigningKey(privateKey: Data(key.readableBytesView), createdAt: createdAt)
            }
        }
    }

    public func addReceiptSigningKey(_ key: ReceiptSigningKey, onlyIfNone: Bool) async throws -> ReceiptSigningKey {
        try await write { lease in
            // Portals starting together on an empty database: the lock makes one key, not one each.
            try await lease.lock(.receiptKey)
            let none = try await lease.row("SELECT NOT EXISTS (SELECT 1 FROM receipt_key)")?.decode(Bool.self) ?? true
            if !onlyIfNone || none {
                try await lease.run("""
                    INSERT INTO receipt_key (kid, private_key, created_at)
                    VALUES (\(key.kid), \(ByteBuffer(bytes: key.privateKey)), \(Timestamp(key.createdAt)))
                    """)
            }
            guard let row = try await lease.row("SELECT private_key, created_at FROM receipt_key ORDER BY sequence DESC LIMIT 1")
            else { return key }
            let (bytes, createdAt) = try row.decode((ByteBuffer, Date).self)
            return try ReceiptSigningKey(privateKey: Data(bytes.readableBytesView), createdAt: createdAt)
        }
    }

    // MARK: Notifications

    public func notifications(applicantID: String, after sequence: Int64?) async throws -> [PortalNotification] {
        try await statement { lease in
            let query: PostgresQuery
            if let sequence {
                query = """
                    SELECT \(unescaped: NotificationRecord.columns)
                    FROM notification n LEFT JOIN application a ON a.id = n.application_id
                    WHERE n.applicant_id = \(applicantID) AND n.sequence > \(sequence) ORDER BY n.sequence
                    """
            } else {
                query = """
                    SELECT \(unescaped: NotificationRecord.columns)
                    FROM notification n LEFT JOIN application a ON a.id = n.application_id
                    WHERE n.applicant_id = \(applicantID) ORDER BY n.created_at DESC, n.sequence DESC
                    """
            }
            return try await lease.rows(query).map(NotificationRecord.decode)
        }
    }

    public func latestNotificationSequence() async throws -> Int64 {
        try await statement { lease in
            try await lease.row("SELECT COALESCE(MAX(sequence), 0) FROM notification")?.decode(Int64.self) ?? 0
        }
    }

    public func markNotificationRead(id: String, applicantID: String, now: Date) async throws -> PortalNotification? {
        try await statement { lease in
            // Read once: the first time stays.
            try await lease.row("""
                WITH n AS (
                    UPDATE notification SET read_at = COALESCE(read_at, \(Timestamp(now)))
                    WHERE id = \(id) AND applicant_id = \(applicantID) RETURNING *)
                SELECT \(unescaped: NotificationRecord.columns) FROM n LEFT JOIN application a ON a.id = n.application_id
                """).map(NotificationRecord.decode)
        }
    }

    // MARK: Decisions

    public func recordDecision(applicationID: String, text: String, documentSHA256: String?, now: Date) async throws
        -> Decision
    {
        let now = Timestamp(now)
        do {
            return try await write { lease in
                try await lease.lock(.arrival)
                if try await lease.row("SELECT 1 FROM decision WHERE application_id = \(applicationID)") != nil {
                    throw PortalStoreError.decisionExists
                }
                let (_, applicantID) = try await Self.changeStatus(
                    lease, applicationID: applicationID, to: .decisionMade, kind: .decisionMade, now: now)
                let decision = Decision(
                    id: Identifier.make("decision"), applicationID: applicationID, text: text, madeAt: now.date,
                    servedAt: nil, hasDocument: documentSHA256 != nil)
                try await lease.run("""
                    INSERT INTO decision (id, application_id, text, made_at, document_sha256)
                    VALUES (\(decision.id), \(applicationID), \(text), \(now), \(documentSHA256))
                    """)
                try await Self.notify(lease, applicantID: applicantID, kind: .decisionReady, applicationID: applicationID,
                                      subjectID: decision.id, now: now)
                return decision
            }
        } catch let error as PSQLError where error.violates("decision_one_per_application") {
            throw PortalStoreError.decisionExists
        }
    }

    public func openDecision(id: String, applicantID: String, now: Date) async throws -> OpenedDecision? {
        try await statement { lease in
            // Served the first time its applicant opens it; a later opening keeps that time.
            try await lease.row("""
                UPDATE decision SET served_at = COALESCE(decision.served_at, \(Timestamp(now)))
                FROM application
                WHERE decision.id = \(id) AND application.id = decision.application_id
                  AND application.applicant_id = \(applicantID)
                RETURNING \(unescaped: DecisionRecord.columns("decision"))
                """).map { row in
                let (decision, documentSHA256) = try DecisionRecord.decode(row)
                return OpenedDecision(decision: decision, documentSHA256: documentSHA256)
            }
        }
    }
}

// MARK: Shared steps, inside one transaction

extension PostgresPortalStore {
    /// The steps of `receiveMessage`, in its transaction.
    private static func receive(_ lease: Lease, _ message: NewMessage) async throws -> Receipt {
        // First: the receipt number taken below must become visible before any taken after it.
        try await lease.lock(.arrival)
        // A repeat is answered with the first receipt before any rule is checked again: the request it answered
        // is answered now, and that must not turn a retry into an error. The receipt number the key leads to
        // is known only at the end.
        if let earlier = try await claim(
            lease, applicantID: message.applicantID, key: message.idempotencyKey, fingerprint: message.fingerprint,
            resultID: "", at: Timestamp(message.now))
        {
            guard let first = try await receivedMessages(lease, applicantID: message.applicantID, receiptNumber: earlier).first
            else { throw PortalError.notFound }
            return first.receipt
        }
        var applicationID: String?
        var topic: String?
        var inReplyTo: String?
        var answered: SupplementRequest?
        switch message.target {
        case .application(let id):
            guard try await application(lease, id: id, applicantID: message.applicantID) != nil else {
                throw PortalError.notFound
            }
            applicationID = id
        case .topic(let code):
            topic = code
        case .reply(let id):
            // Only the authority's own messages to this applicant take a reply; it joins their conversation.
            guard let original = try await authorityMessages(lease, applicantID: message.applicantID, id: id).first else {
                throw PortalError.notFound
            }
            (applicationID, topic, inReplyTo) = (original.applicationID, original.topic, original.id)
        case .request(let id):
            guard let request = try await request(lease, id: id, applicantID: message.applicantID) else {
                throw PortalError.notFound
            }
            switch request.state(at: message.now) {
            case .answered: throw PortalError(.requestAlreadyAnswered)
            case .overdue: throw PortalError(.requestOverdue)
            case .open: break
            }
            applicationID = request.applicationID
            answered = request
        }
        var attachments: [Attachment] = []
        for attachmentID in message.attachmentIDs {
            guard let row = try await lease.row("""
                SELECT \(unescaped: AttachmentRecord.columns("attachment")) FROM attachment
                WHERE id = \(attachmentID) AND applicant_id = \(message.applicantID)
                """)
            else { throw PortalError.notFound }
            // In the authority's record a file belongs to one message: a second message attaches it anew. (The
            // unique constraint on message_file says the same; this check answers before anything is written.)
            if try await lease.row("SELECT 1 FROM message_file WHERE attachment_id = \(attachmentID)") != nil {
                throw PortalError(.attachmentAlreadySent)
            }
            attachments.append(try AttachmentRecord.decode(row))
        }

        // Numbers and times rise together: a message numbered later is never received earlier.
        let latest = try await lease.row("SELECT MAX(received_at) FROM message")?.decode(Date?.self)
        let receivedAt = max(Timestamp(message.now), latest.map(Timestamp.init) ?? Timestamp(message.now))
        let sequence = try await lease.row("SELECT nextval('message_arrival')")?.decode(Int64.self) ?? 0
        let number = Receipt.number(sequence: sequence, year: Calendar.portal.component(.year, from: receivedAt.date))
        try await lease.run("""
            INSERT INTO message (sequence, receipt_number, applicant_id, application_id, request_id, text, received_at, topic,
                                 in_reply_to)
            VALUES (\(sequence), \(number), \(message.applicantID), \(applicationID), \(answered?.id), \(message.text),
                    \(receivedAt), \(topic), \(inReplyTo))
            """)
        for (position, attachment) in attachments.enumerated() {
            try await lease.run("""
                INSERT INTO message_file (message_sequence, position, attachment_id, name, size, sha256)
                VALUES (\(sequence), \(Int32(position)), \(attachment.id), \(attachment.fileName), \(attachment.size),
                        \(attachment.sha256))
                """)
        }
        var nextStatus: ApplicationStatus?
        if let answered, let applicationID {
            try await lease.run("UPDATE supplement_request SET answered_at = \(receivedAt) WHERE id = \(answered.id)")
            // Back in processing once nothing more is asked; a decided or closed application stays so.
            let row = try await lease.row("""
                SELECT status,
                    (SELECT count(*) FROM supplement_request WHERE application_id = \(applicationID)
                     AND answered_at IS NULL AND deadline >= \(receivedAt))
                FROM application WHERE id = \(applicationID)
                """)
            if let (current, stillOpen) = try row?.decode((String, Int64).self),
               current == ApplicationStatus.waitingForInformation.rawValue, stillOpen == 0 {
                nextStatus = .inProcessing
            }
        }
        // A message on another matter moves no application.
        var reference: String?
        if let applicationID {
            reference = try await changeStatus(
                lease, applicationID: applicationID, to: nextStatus, kind: .informationReceived, now: receivedAt
            ).application.referenceNumber
        }
        try await notify(lease, applicantID: message.applicantID, kind: .messageReceived, applicationID: applicationID,
                         topic: topic, subjectID: number, now: receivedAt)
        try await lease.run("""
            UPDATE idempotency_key SET result_id = \(number), created_at = \(receivedAt)
            WHERE applicant_id = \(message.applicantID) AND key = \(message.idempotencyKey)
            """)
        return Receipt(
            number: number, receivedAt: receivedAt.date, applicationID: applicationID,
            applicationReference: reference, requestID: answered?.id,
            files: attachments.map { Receipt.File(name: $0.fileName, size: $0.size, sha256: $0.sha256) },
            messageID: ApplicantMessageID.of(receiptNumber: number), topic: topic, inReplyTo: inReplyTo)
    }

    /// The application with its applicant's id; nil when there is none, or it is not `applicantID`'s (when given).
    private static func application(_ lease: Lease, id: String, applicantID: String?) async throws
        -> (application: Application, applicantID: String)?
    {
        try await lease.row("""
            SELECT \(unescaped: ApplicationRecord.columns("application")) FROM application
            WHERE id = \(id) AND (\(applicantID)::text IS NULL OR applicant_id = \(applicantID))
            """).map(ApplicationRecord.decode)
    }

    /// The request; nil when there is none, or its application is not `applicantID`'s (when given).
    private static func request(_ lease: Lease, id: String, applicantID: String?) async throws -> SupplementRequest? {
        try await lease.row("""
            SELECT \(unescaped: RequestRecord.columns("r")) FROM supplement_request r
            JOIN application a ON a.id = r.application_id
            WHERE r.id = \(id) AND (\(applicantID)::text IS NULL OR a.applicant_id = \(applicantID))
            """).map(RequestRecord.decode)
    }

    /// Moves an application to `status` (or keeps its status when nil) and records the step in its timeline.
    /// - Throws: `PortalError.notFound` when there is no such application.
    @discardableResult
    private static func changeStatus(
        _ lease: Lease, applicationID: String, to status: ApplicationStatus?, kind: TimelineEvent.Kind, now: Timestamp
    ) async throws -> (application: Application, applicantID: String) {
        guard let row = try await lease.row("""
            UPDATE application SET status = COALESCE(\(status?.rawValue), status), updated_at = \(now) WHERE id = \(applicationID)
            RETURNING \(unescaped: ApplicationRecord.columns("application"))
            """)
        else { throw PortalError.notFound }
        let changed = try ApplicationRecord.decode(row)
        try await recordStep(lease, applicationID: applicationID, kind: kind, status: changed.application.status, at: now)
        return changed
    }

    private static func recordStep(
        _ lease: Lease, applicationID: String, kind: TimelineEvent.Kind, status: ApplicationStatus, at time: Timestamp
    ) async throws {
        try await lease.run("""
            INSERT INTO timeline_event (application_id, at, kind, status)
            VALUES (\(applicationID), \(time), \(kind.rawValue), \(status.rawValue))
            """)
    }

    /// Records a notification; its sequence is taken here, so the caller holds the arrival lock.
    private static func notify(
        _ lease: Lease, applicantID: String, kind: PortalNotification.Kind, applicationID: String?, topic: String? = nil,
        subjectID: String, now: Timestamp, readAt: Timestamp? = nil
    ) async throws {
        try await lease.run("""
            INSERT INTO notification (id, applicant_id, kind, application_id, subject_id, created_at, topic, read_at)
            VALUES (\(Identifier.make("notification")), \(applicantID), \(kind.rawValue), \(applicationID), \(subjectID), \(now),
                    \(topic), \(readAt))
            """)
        // Delivered to every listening portal when this transaction commits, not before.
        try await lease.run("SELECT pg_notify(\(Self.changeChannel), \(Self.notificationChange))")
    }

    /// Claims `key` for this call, with the result it will lead to; or answers the result of the call that
    /// claimed it first.
    ///
    /// The key's row is what makes concurrent copies of one call a single record, on any portal: a copy that
    /// arrives while the first is under way waits at this insert until the first commits (then finds its
    /// result) or rolls back (then claims the key itself).
    /// - Returns: nil when this call claimed the key; otherwise the earlier call's result id.
    /// - Throws: `PortalError(.idempotencyKeyReused)` when the key was used for another body.
    private static func claim(
        _ lease: Lease, applicantID: String, key: String, fingerprint: String, resultID: String, at time: Timestamp
    ) async throws -> String? {
        while true {
            let claimed = try await lease.row("""
                INSERT INTO idempotency_key (applicant_id, key, fingerprint, result_id, created_at)
                VALUES (\(applicantID), \(key), \(fingerprint), \(resultID), \(time))
                ON CONFLICT (applicant_id, key) DO NOTHING RETURNING 1
                """) != nil
            if claimed { return nil }
            // Read in a snapshot taken after the insert, which sees the row it met; gone again only if a sweep
            // forgot it since, and then the key is free to claim.
            if let earlier = try await earlierResult(lease, applicantID: applicantID, key: key, fingerprint: fingerprint) {
                return earlier
            }
        }
    }

    /// The result of an earlier call with this key, or nil for a new key.
    /// - Throws: `PortalError(.idempotencyKeyReused)` when the key was used for another body.
    private static func earlierResult(_ lease: Lease, applicantID: String, key: String, fingerprint: String) async throws
        -> String?
    {
        guard let row = try await lease.row(
            "SELECT fingerprint, result_id FROM idempotency_key WHERE applicant_id = \(applicantID) AND key = \(key)")
        else { return nil }
        let (earlierFingerprint, resultID) = try row.decode((String, String).self)
        guard earlierFingerprint == fingerprint else { throw PortalError(.idempotencyKeyReused) }
        return resultID
    }

    /// What the earlier upload under this key recorded; nil when no upload used the key.
    /// - Throws: `PortalError(.idempotencyKeyReused)` when the key was used for another file.
    private static func earlierAttachment(_ lease: Lease, _ upload: NewAttachment) async throws -> Attachment? {
        guard let attachmentID = try await earlierResult(
            lease, applicantID: upload.applicantID, key: upload.idempotencyKey, fingerprint: upload.fingerprint)
        else { return nil }
        // Nil also when a sweep forgot the attachment (and its key) after the key was read: as if it had come first.
        return try await attachment(lease, id: attachmentID)
    }

    private static func attachment(_ lease: Lease, id: String) async throws -> Attachment? {
        try await lease.row("""
            SELECT \(unescaped: AttachmentRecord.columns("attachment")) FROM attachment WHERE id = \(id)
            """).map(AttachmentRecord.decode)
    }

    /// How many of the applicant's files uploaded since `since` are in no message.
    private static func unsentCount(_ lease: Lease, applicantID: String, since: Date) async throws -> Int {
        let row = try await lease.row("""
            SELECT count(*) FROM attachment
            WHERE applicant_id = \(applicantID) AND uploaded_at >= \(Timestamp(since))
              AND NOT EXISTS (SELECT 1 FROM message_file WHERE message_file.attachment_id = attachment.id)
            """)
        return Int(try row?.decode(Int64.self) ?? 0)
    }

    /// Of `digests`, those no attachment or decision refers to, in order (a digest given twice is answered twice).
    private static func unreferenced(_ lease: Lease, _ digests: [String]) async throws -> [String] {
        try await lease.rows("""
            SELECT digest FROM unnest(\(digests)::text[]) AS digest
            WHERE NOT EXISTS (SELECT 1 FROM attachment WHERE sha256 = digest)
              AND NOT EXISTS (SELECT 1 FROM decision WHERE document_sha256 = digest)
              AND NOT EXISTS (SELECT 1 FROM authority_message_file WHERE sha256 = digest)
            """).map { try $0.decode(String.self) }.sorted()
    }

    /// The messages received, oldest first, with their files: all of them, or the applicant's, or the one with
    /// that receipt number among the applicant's.
    private static func receivedMessages(_ lease: Lease, applicantID: String? = nil, receiptNumber: String? = nil)
        async throws -> [MessageRecord]
    {
        let files = try await lease.rows("""
            SELECT f.message_sequence, f.attachment_id, f.name, f.size, f.sha256, t.type
            FROM message_file f JOIN message m ON m.sequence = f.message_sequence JOIN attachment t ON t.id = f.attachment_id
            WHERE (\(applicantID)::text IS NULL OR m.applicant_id = \(applicantID))
              AND (\(receiptNumber)::text IS NULL OR m.receipt_number = \(receiptNumber))
            ORDER BY f.message_sequence, f.position
            """).reduce(into: [Int64: [MessageAttachment]]()) { files, row in
            let (sequence, id, name, size, sha256, type) = try row.decode((Int64, String, String, Int64, String, String).self)
            files[sequence, default: []].append(
                MessageAttachment(id: id, name: name, size: size, sha256: sha256, type: AttachmentType(rawValue: type) ?? .pdf))
        }
        let messages = try await lease.rows("""
            SELECT \(unescaped: MessageRecord.columns)
            FROM message m JOIN applicant p ON p.id = m.applicant_id LEFT JOIN application a ON a.id = m.application_id
            WHERE (\(applicantID)::text IS NULL OR m.applicant_id = \(applicantID))
              AND (\(receiptNumber)::text IS NULL OR m.receipt_number = \(receiptNumber))
            ORDER BY m.sequence
            """).map { try MessageRecord.decode($0, files: files) }
        return try await withSignatures(lease, messages, applicantID: applicantID, receiptNumber: receiptNumber)
    }

    /// `messages` with the signed form of each receipt that has one.
    private static func withSignatures(
        _ lease: Lease, _ messages: [MessageRecord], applicantID: String?, receiptNumber: String?
    ) async throws -> [MessageRecord] {
        let signed = try await lease.rows("""
            SELECT s.receipt_number, s.jws FROM signed_receipt s JOIN message m ON m.receipt_number = s.receipt_number
            WHERE (\(applicantID)::text IS NULL OR m.applicant_id = \(applicantID))
              AND (\(receiptNumber)::text IS NULL OR m.receipt_number = \(receiptNumber))
            """).reduce(into: [String: String]()) { signed, row in
            let (number, jws) = try row.decode((String, String).self)
            signed[number] = jws
        }
        return messages.map { message in
            var message = message
            message.receipt.signed = signed[message.receipt.number]
            return message
        }
    }

    /// The authority's messages to `applicantID`, oldest first: all, or the one with `id`.
    private static func authorityMessages(_ lease: Lease, applicantID: String?, id: String? = nil) async throws -> [Message] {
        let files = try await lease.rows("""
            SELECT f.message_id, f.id, f.name, f.size, f.sha256, f.type
            FROM authority_message_file f JOIN authority_message r ON r.id = f.message_id
            WHERE (\(applicantID)::text IS NULL OR r.applicant_id = \(applicantID)) AND (\(id)::text IS NULL OR r.id = \(id))
            ORDER BY f.message_id, f.position
            """).reduce(into: [String: [MessageAttachment]]()) { files, row in
            let (message, id, name, size, sha256, type) = try row.decode((String, String, String, Int64, String, String).self)
            files[message, default: []].append(
                MessageAttachment(id: id, name: name, size: size, sha256: sha256, type: AttachmentType(rawValue: type) ?? .pdf))
        }
        return try await lease.rows("""
            SELECT \(unescaped: AuthorityMessageRecord.columns)
            FROM authority_message r LEFT JOIN application a ON a.id = r.application_id
            WHERE (\(applicantID)::text IS NULL OR r.applicant_id = \(applicantID)) AND (\(id)::text IS NULL OR r.id = \(id))
            ORDER BY r.sequence
            """).map { try AuthorityMessageRecord.decode($0, files: files) }
    }

    /// One message of the applicant's conversations, either direction; nil for anybody else's.
    private static func message(_ lease: Lease, id: String, applicantID: String) async throws -> Message? {
        if let number = ApplicantMessageID.receiptNumber(in: id) {
            return try await receivedMessages(lease, applicantID: applicantID, receiptNumber: number).first?.message
        }
        return try await authorityMessages(lease, applicantID: applicantID, id: id).first
    }
}
