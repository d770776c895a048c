/// The stable error codes of the portal API. Clients translate them; they never change meaning.
public enum PortalErrorCode: String, Sendable, Codable, CaseIterable {
    case malformedRequest = "malformed_request"
    case invalidCredentials = "invalid_credentials"
    case tooManyAttempts = "too_many_attempts"
    case unauthenticated = "unauthenticated"
    case sessionExpired = "session_expired"
    case notFound = "not_found"
    case requestAlreadyAnswered = "request_already_answered"
    case requestOverdue = "request_overdue"
    case attachmentTypeRefused = "attachment_type_refused"
    case attachmentTooLarge = "attachment_too_large"
    case attachmentEmpty = "attachment_empty"
    case tooManyAttachments = "too_many_attachments"
    /// Too many files uploaded and not sent in a message within a day: the portal's disk is not a free store.
    case tooManyUnsentAttachments = "too_many_unsent_attachments"
    case messageEmpty = "message_empty"
    case messageTooLong = "message_too_long"
    case idempotencyKeyMissing = "idempotency_key_missing"
    /// An `Idempotency-Key` longer than the contract's 200 characters.
    case idempotencyKeyInvalid = "idempotency_key_invalid"
    /// A string, header or path id carries U+0000, which no stored text may hold (SQLite cut it silently).
    case nulCharacter = "nul_character"
    /// One attachment named twice in one message.
    case attachmentListedTwice = "attachment_listed_twice"
    /// An attachment already sent in a message: in the authority's record a file belongs to one message.
    case attachmentAlreadySent = "attachment_already_sent"
    /// A reply to the applicant's own message: only the authority's messages take a reply.
    case messageNotReplyable = "message_not_replyable"
    /// A method the path does not have; the answer's `Allow` names those it has.
    case methodNotAllowed = "method_not_allowed"
    /// The request's headers or body did not arrive in time, or its headers are too large.
    case requestTimeout = "request_timeout"
    case headersTooLarge = "headers_too_large"
    case idempotencyKeyReused = "idempotency_key_reused"
    /// The applicant has as many uploads waiting for their turn as the portal keeps open: try again shortly.
    case tooManyUploads = "too_many_uploads"
    /// An upload's bytes stopped coming, or came too slowly to finish: it held a place others wait for.
    case uploadTooSlow = "upload_too_slow"
    /// The portal's database cannot be reached just now (restarting, or the network to it is down): nothing
    /// was done, and the same request, with the same key, may be made again after `Retry-After`.
    case storageUnavailable = "storage_unavailable"
    case internalError = "internal_error"

    /// The HTTP status the portal answers with.
    public var httpStatus: Int {
        switch self {
        case .malformedRequest, .attachmentEmpty, .messageEmpty, .idempotencyKeyMissing, .idempotencyKeyInvalid,
            .tooManyAttachments, .nulCharacter, .attachmentListedTwice:
            return 400
        case .methodNotAllowed: return 405
        case .requestTimeout: return 408
        case .headersTooLarge: return 431
        case .attachmentAlreadySent, .messageNotReplyable: return 409
        case .invalidCredentials, .unauthenticated, .sessionExpired: return 401
        case .notFound: return 404
        case .requestAlreadyAnswered, .requestOverdue, .tooManyUnsentAttachments: return 409
        case .idempotencyKeyReused: return 422
        case .attachmentTooLarge, .messageTooLong: return 413
        case .attachmentTypeRefused: return 415
        case .uploadTooSlow: return 408
        case .tooManyAttempts, .tooManyUploads: return 429
        case .internalError: return 500
        case .storageUnavailable: return 503
        }
    }
}
