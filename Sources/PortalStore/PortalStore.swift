import Foundation
import PorttiModel
import ReceiptProof

/// Everything the portal keeps, behind one protocol: the server and the officer's CLI use only this, and
/// no SQL lives outside an implementation. Methods taking an `applicantID` see only that applicant's
/// objects and answer nil (or `PortalError.notFound`) for anybody else's, exactly as for ids that do not exist.
public protocol PortalStore: Sendable {
    // MARK: Accounts and sessions
    func createApplicant(username: String, displayName: String, passwordHash: String, now: Date) async throws
        -> Applicant
    func applicant(username: String) async throws -> Applicant?
    func passwordHash(username: String) async throws -> (Applicant, String)?
    /// Replaces an applicant's password hash (the same password at another cost).
    func setPasswordHash(applicantID: String, passwordHash: String) async throws
    /// A session that expires at `expiresAt` unless used, and at `notAfter` however much it is used.
    func createSession(tokenHash: String, applicantID: String, expiresAt: Date, notAfter: Date, now: Date) async throws
    /// The session's applicant if it is live at `now`. A live session's expiry slides to `slidingExpiry` (never
    /// past its `notAfter`) when that moves it by `minimumSlide` seconds or more: with a minute, most requests
    /// only read, and a session may end up to a minute before its idle timeout.
    func useSession(tokenHash: String, now: Date, slidingExpiry: Date, minimumSlide: TimeInterval) async throws -> SessionLookup
    func deleteSession(tokenHash: String) async throws
    /// When the session ends if nobody uses it (never later than its `notAfter`); nil for an unknown token.
    func sessionExpiry(tokenHash: String) async throws -> Date?
    /// Removes the sessions that ended before `date`; answers how many.
    @discardableResult
    func removeSessions(expiredBefore date: Date) async throws -> Int

    // MARK: The sign-in throttle, shared by every portal on the store
    /// Starts a sign-in attempt under `key` (the user name as stored, lower-cased): answers the seconds it
    /// must wait (see `SignInThrottleRule`), or nil, counting it as a failure until `signInSucceeded`. One
    /// transaction, so attempts at once on several portals all count.
    func beginSignIn(key: String, now: Date, rule: SignInThrottleRule) async throws -> Int?
    func signInSucceeded(key: String) async throws
    /// Forgets failures older than `date` (the longest delay): their wait is over.
    func removeSignInFailures(before date: Date) async throws

    // MARK: Applications
    func createApplication(applicantID: String, type: ApplicationType, now: Date) async throws -> Application
    func applications(applicantID: String) async throws -> [Application]
    func application(id: String, applicantID: String?) async throws -> ApplicationDetail?
    func setStatus(applicationID: String, status: ApplicationStatus, now: Date) async throws -> Application
    /// The id of the application with this reference number (`MIG-2026-000042`), for the officer's CLI; nil when none.
    func applicationID(referenceNumber: String) async throws -> String?

    // MARK: Requests for additional information
    func issueRequest(applicationID: String, text: String, items: [String], deadline: Date, now: Date) async throws
        -> SupplementRequest
    func extendDeadline(requestID: String, deadline: Date, now: Date) async throws -> SupplementRequest
    /// Nil when the application is not the applicant's.
    func requests(applicationID: String, applicantID: String) async throws -> [SupplementRequest]?
    func request(id: String, applicantID: String?) async throws -> SupplementRequest?

    // MARK: Attachments and messages
    /// Records an uploaded file; a repeat with the same key and content returns the first record.
    func recordAttachment(_ upload: NewAttachment) async throws -> Attachment
    /// What an upload under this key is, decided before a byte of it is read: a repeat of an earlier one (the
    /// same key) always may go on; a new one only while fewer than `limit` files uploaded since `since` are in
    /// no message.
    func uploadAdmission(applicantID: String, idempotencyKey: String, since: Date, limit: Int) async throws -> UploadAdmission
    /// What the earlier upload under this key recorded, when `upload` repeats it; throws
    /// `idempotencyKeyReused` when its content differs, and answers nil when no upload used the key.
    func earlierAttachment(_ upload: NewAttachment) async throws -> Attachment?
    /// Forgets the attachments uploaded before `date` that are in no message, with their idempotency keys;
    /// answers the digests that no attachment or decision refers to any more, whose files may go.
    func forgetUnsentAttachments(uploadedBefore date: Date) async throws -> [String]
    /// Of `digests`, those no attachment or decision refers to.
    func unreferenced(_ digests: [String]) async throws -> [String]
    /// Receives a message and returns its receipt; a repeat with the same key and content returns the first.
    func receiveMessage(_ message: NewMessage) async throws -> Receipt
    func receipt(number: String, applicantID: String) async throws -> Receipt?
    func receipts(applicantID: String) async throws -> [Receipt]
    /// Every message received, oldest first: the order the authority handles them in.
    func incomingMessages() async throws -> [IncomingMessage]

    // MARK: Signed receipts
    /// Keeps `signed` (a JWS of the receipt's statement) as the signed form of the applicant's receipt `number`
    /// unless one is kept already; answers the receipt with the signed form it keeps (the first), nil when the
    /// receipt is not the applicant's.
    func keepSignedReceipt(number: String, applicantID: String, signed: String) async throws -> Receipt?
    /// Every receipt signing key, oldest first; the newest signs, all are published.
    func receiptSigningKeys() async throws -> [ReceiptSigningKey]
    /// Adds `key` (the one that signs from now on), or, with `onlyIfNone`, only when the store has no key;
    /// answers the key that signs after it.
    func addReceiptSigningKey(_ key: ReceiptSigningKey, onlyIfNone: Bool) async throws -> ReceiptSigningKey

    // MARK: Conversations
    /// The applicant's messages, both directions, oldest first: all of them, or one application's. Nil when
    /// `applicationID` is not the applicant's.
    func messages(applicantID: String, applicationID: String?) async throws -> [Message]?
    /// One message of the applicant's conversations; nil for anybody else's.
    func message(id: String, applicantID: String) async throws -> Message?
    /// Records that the applicant opened the authority's message at `now` (the first time only) and reads its
    /// notification; the applicant's own message is answered as it is. Nil for anybody else's.
    func markMessageRead(id: String, applicantID: String, now: Date) async throws -> Message?
    /// The document behind a file of one of the applicant's messages; nil for anybody else's.
    func messageDocument(messageID: String, attachmentID: String, applicantID: String) async throws -> MessageAttachment?
    /// Records the authority's message to an applicant and notifies them. Replying marks the applicant's
    /// message answered. Throws `PortalError.notFound` for an unknown application or message.
    func sendAuthorityMessage(_ message: NewAuthorityMessage) async throws -> Message
    /// Records that a case officer opened the applicant's message (the first time only); nil when there is none.
    func markReadByAuthority(messageID: String, now: Date) async throws -> IncomingMessage?

    // MARK: Notifications
    /// What the store tells every portal on it as it happens, when it can (PostgreSQL's `LISTEN`/`NOTIFY`);
    /// nil when it cannot, and the portal polls instead (SQLite, written by another process: the officer's CLI).
    func changes() -> AsyncStream<StoreChange>?
    func notifications(applicantID: String, after sequence: Int64?) async throws -> [PortalNotification]
    func latestNotificationSequence() async throws -> Int64
    func markNotificationRead(id: String, applicantID: String, now: Date) async throws -> PortalNotification?

    // MARK: Decisions
    func recordDecision(applicationID: String, text: String, documentSHA256: String?, now: Date) async throws
        -> Decision
    /// The decision, served at `now` if this is the first time the applicant opens it.
    func openDecision(id: String, applicantID: String, now: Date) async throws -> OpenedDecision?
}

/// Something another portal (or the officer's CLI) did that open notification streams must hear at once.
public enum StoreChange: Sendable, Hashable {
    /// A notification was recorded.
    case notification
    /// A session ended (sign-out); each stream looks at its own.
    case sessionEnded
}

extension PortalStore {
    public func changes() -> AsyncStream<StoreChange>? { nil }
}

/// After `freeAttempts` failed sign-ins under one name, each further attempt must wait twice as long after the
/// last failure as the one before, from 1 second up to `maxDelay` seconds.
public struct SignInThrottleRule: Sendable, Hashable {
    public var freeAttempts: Int
    public var maxDelay: TimeInterval

    public init(freeAttempts: Int, maxDelay: TimeInterval) {
        self.freeAttempts = freeAttempts
        self.maxDelay = maxDelay
    }

    /// Seconds still to wait after `failures` failures, the last at `lastFailure`; nil when none.
    public func wait(failures: Int, lastFailure: Date, now: Date) -> Int? {
        guard failures >= freeAttempts else { return nil }
        let delay = min(maxDelay, pow(2, Double(failures - freeAttempts)))
        let remaining = lastFailure.addingTimeInterval(delay).timeIntervalSince(now)
        return remaining > 0 ? Int(remaining.rounded(.up)) : nil
    }
}

/// Refusals of the officer's side that the applicant's API never meets.
public enum PortalStoreError: Error, Equatable {
    case usernameTaken(String)
    /// A deadline can only move later, and only while the request is unanswered.
    case deadlineNotLater
    case requestAnswered
    /// An application gets one decision.
    case decisionExists
    /// Records are moved only into a database that holds none.
    case targetNotEmpty
}

public enum SessionLookup: Sendable, Equatable {
    case live(Applicant)
    case expired
    case unknown
}

public struct ApplicationDetail: Sendable, Hashable {
    public var application: Application
    public var timeline: [TimelineEvent]
    public var decisionID: String?

    package init(application: Application, timeline: [TimelineEvent], decisionID: String?) {
        self.application = application
        self.timeline = timeline
        self.decisionID = decisionID
    }
}

public struct OpenedDecision: Sendable, Hashable {
    public var decision: Decision
    public var documentSHA256: String?

    package init(decision: Decision, documentSHA256: String?) {
        self.decision = decision
        self.documentSHA256 = documentSHA256
    }
}

public enum UploadAdmission: Sendable, Hashable {
    case repeatOfEarlier, new, overQuota
}

public struct NewAttachment: Sendable, Hashable {
    public var applicantID: String
    public var idempotencyKey: String
    public var fileName: String
    public var size: Int64
    public var sha256: String
    public var type: AttachmentType
    public var now: Date
    /// At most this many files uploaded in the `unsentWindow` before `now` and in no message (checked in the
    /// same transaction as the insert; a repeat is answered regardless). Nil: no limit.
    public var unsentLimit: Int?
    /// The span the unsent files are counted over: a day.
    public static let unsentWindow: TimeInterval = 86_400

    public init(
        applicantID: String, idempotencyKey: String, fileName: String, size: Int64, sha256: String,
        type: AttachmentType, now: Date, unsentLimit: Int? = nil
    ) {
        self.unsentLimit = unsentLimit
        self.applicantID = applicantID
        self.idempotencyKey = idempotencyKey
        self.fileName = fileName
        self.size = size
        self.sha256 = sha256
        self.type = type
        self.now = now
    }
}

public struct NewMessage: Sendable, Hashable {
    /// What the message is about: an application directly, or a request (whose application it is).
    public enum Target: Sendable, Hashable {
        case application(String)
        case request(String)
        /// About no application, on this topic (its code; checked by the portal against its list).
        case topic(String)
        /// A reply to the authority's message with this id.
        case reply(String)
    }

    public var applicantID: String
    public var idempotencyKey: String
    public var target: Target
    public var text: String
    public var attachmentIDs: [String]
    public var now: Date

    public init(
        applicantID: String, idempotencyKey: String, target: Target, text: String, attachmentIDs: [String], now: Date
    ) {
        self.applicantID = applicantID
        self.idempotencyKey = idempotencyKey
        self.target = target
        self.text = text
        self.attachmentIDs = attachmentIDs
        self.now = now
    }

    /// What makes two sends "the same body" for the idempotency check, in every store.
    package var fingerprint: String {
        let targetText: String
        switch target {
        case .application(let id): targetText = "application:\(id)"
        case .request(let id): targetText = "request:\(id)"
        case .topic(let code): targetText = "topic:\(code)"
        case .reply(let id): targetText = "reply:\(id)"
        }
        return Fingerprint.of([targetText, text] + attachmentIDs)
    }
}

/// The authority's message to an applicant, as the officer's CLI records it.
public struct NewAuthorityMessage: Sendable, Hashable {
    public enum Target: Sendable, Hashable {
        /// A new message about this application.
        case application(String)
        /// An answer to the applicant's message with this id (the same application or topic).
        case reply(String)
    }

    /// A document already kept in the portal's `DocumentStorage`.
    public struct File: Sendable, Hashable {
        public var name: String
        public var size: Int64
        public var sha256: String
        public var type: AttachmentType

        public init(name: String, size: Int64, sha256: String, type: AttachmentType) {
            self.name = name
            self.size = size
            self.sha256 = sha256
            self.type = type
        }
    }

    public var target: Target
    public var text: String
    public var files: [File]
    public var now: Date

    public init(target: Target, text: String, files: [File], now: Date) {
        self.target = target
        self.text = text
        self.files = files
        self.now = now
    }
}

extension NewAttachment {
    /// What makes two uploads under one key "the same file" for the idempotency check, in every store.
    package var fingerprint: String { Fingerprint.of(["attachment", fileName, sha256]) }
}

extension Application {
    /// The reference number of the `ordinal`-th application the portal received (from 1), in `year`:
    /// `MIG-2026-000042`. Both stores number applications this way.
    package static func referenceNumber(ordinal: Int64, year: Int) -> String {
        "MIG-\(year)-" + String(format: "%06lld", ordinal)
    }
}
