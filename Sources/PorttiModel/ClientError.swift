/// What can go wrong talking to the portal (or keeping its answers), in terms the applicant can act on. Each case has a string table
/// key (`messageKey`) and the values for its placeholders.
public enum ClientError: Error, Sendable, Equatable {
    /// No connection to the portal (down, wrong address, no network).
    case portalUnreachable
    /// The portal did not answer in time.
    case timeout
    /// The session ended; sign in again (what was written is kept).
    case sessionExpired
    /// Not signed in, or the portal does not know this session.
    case notSignedIn
    case invalidCredentials
    case tooManyAttempts(retryAfterSeconds: Int)
    /// The portal refused an attachment: its type, size or emptiness, too many in one message, or too many
    /// uploaded and not sent within a day.
    case attachmentRefused(PortalErrorCode, limit: Int64?)
    case requestAlreadyAnswered
    case requestOverdue
    /// The object does not exist, or is not the applicant's.
    case notFound
    /// Another refusal by the portal, with its code.
    case refused(PortalErrorCode, limit: Int64?)
    /// The portal failed on its side.
    case serverError
    /// The portal's answer could not be understood (not the contract's JSON, or far too large).
    case malformedReply
    /// A file changed or vanished between being attached and being sent.
    case fileChanged(path: String)
    /// A file could not be read.
    case fileUnreadable(path: String)
    /// A file to be written exists already: Portti never overwrites one.
    case fileExists(path: String)
    /// A file was to be written where a folder is.
    case folderGiven(path: String)
    /// The folder a file was to be written into does not exist.
    case folderMissing(path: String)
    /// A file could not be written (permissions, a full disk).
    case fileUnwritable(path: String)
    /// The portal's certificate is not trusted (not by the system, nor by the CA file named).
    case untrustedPortal
    /// The applicant's own records on this machine could not be read or written (disk full, permissions).
    case localStorageFailed
    /// The portal's confirmation of receipt is not signed by a key of the portal's, or does not cover what was
    /// sent: it proves nothing, so the message is not taken as delivered. `reasonKey` is the string table key
    /// of what failed (`receipt.verdict.*`).
    case receiptUnverified(number: String, reasonKey: String)

    /// The string table key that explains this error.
    public var messageKey: String {
        switch self {
        case .portalUnreachable: "client.error.unreachable"
        case .timeout: "client.error.timeout"
        case .sessionExpired: "error.session_expired"
        case .notSignedIn: "client.error.not_signed_in"
        case .invalidCredentials: "error.invalid_credentials"
        case .tooManyAttempts: "error.too_many_attempts"
        case .attachmentRefused(let code, _), .refused(let code, _): "error.\(code.rawValue)"
        case .requestAlreadyAnswered: "error.request_already_answered"
        case .requestOverdue: "error.request_overdue"
        case .notFound: "error.not_found"
        case .serverError: "error.internal_error"
        case .malformedReply: "client.error.malformed_reply"
        case .fileChanged: "client.error.file_changed"
        case .fileUnreadable: "client.error.file_unreadable"
        case .fileExists: "client.error.file_exists"
        case .folderMissing: "client.error.folder_missing"
        case .folderGiven: "client.error.folder_given"
        case .fileUnwritable: "client.error.file_unwritable"
        case .untrustedPortal: "client.error.untrusted"
        case .localStorageFailed: "client.error.local_storage"
        case .receiptUnverified: "client.error.receipt_unverified"
        }
    }

    /// Values for the placeholders of `messageKey`; sizes are left to the caller to format (`limitBytes`).
    public var messageArguments: [String: String] {
        switch self {
        case .tooManyAttempts(let seconds): ["count": String(seconds)]
        case .receiptUnverified(let number, _): ["number": number]
        case .attachmentRefused(_, let limit?), .refused(_, let limit?): ["limit": String(limit)]
        case .fileChanged(let path), .fileUnreadable(let path), .fileExists(let path), .folderMissing(let path), .folderGiven(let path),
            .fileUnwritable(let path):
            ["path": path]
        default: [:]
        }
    }

    /// Whether the portal definitely did not take what was sent: a send failing so may be changed and sent
    /// anew. Any other failure leaves the outcome unknown, and only a repeat with the same key is safe.
    public var isDefiniteRefusal: Bool {
        switch self {
        case .attachmentRefused, .requestAlreadyAnswered, .requestOverdue, .notFound, .refused, .fileChanged,
            .fileUnreadable, .fileExists, .folderMissing, .folderGiven, .fileUnwritable, .invalidCredentials:
            true
        default: false
        }
    }

    /// Whether trying again later, unchanged, may succeed.
    public var isTransient: Bool {
        switch self {
        case .portalUnreachable, .timeout, .serverError: true
        default: false
        }
    }

    /// The error for a portal refusal with `code`.
    public init(code: PortalErrorCode, limit: Int64? = nil, retryAfterSeconds: Int? = nil) {
        switch code {
        case .invalidCredentials: self = .invalidCredentials
        case .tooManyAttempts: self = .tooManyAttempts(retryAfterSeconds: retryAfterSeconds ?? 60)
        case .unauthenticated: self = .notSignedIn
        case .sessionExpired: self = .sessionExpired
        case .notFound: self = .notFound
        case .requestAlreadyAnswered: self = .requestAlreadyAnswered
        case .requestOverdue: self = .requestOverdue
        case .attachmentTypeRefused, .attachmentTooLarge, .attachmentEmpty, .tooManyAttachments, .tooManyUnsentAttachments:
            self = .attachmentRefused(code, limit: limit)
        // Both are the portal's side, and both may pass: "try again later" is all the applicant can do.
        case .internalError, .storageUnavailable: self = .serverError
        // The link was too slow for the portal to wait: as a timeout, tried again later with the same key.
        // Too many of this applicant's uploads wait at the portal: like a timeout, tried again later.
        case .uploadTooSlow, .requestTimeout, .tooManyUploads: self = .timeout
        case .malformedRequest, .messageEmpty, .messageTooLong, .idempotencyKeyMissing, .idempotencyKeyReused,
            .idempotencyKeyInvalid, .nulCharacter, .attachmentListedTwice, .attachmentAlreadySent, .methodNotAllowed,
            .headersTooLarge, .messageNotReplyable:
            self = .refused(code, limit: limit)
        }
    }
}
