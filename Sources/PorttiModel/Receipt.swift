import Foundation

/// The portal's confirmation of receipt: the applicant's proof that a message arrived, and when.
public struct Receipt: Sendable, Codable, Hashable {
    /// One received file, as the portal stored it.
    public struct File: Sendable, Codable, Hashable {
        public var name: String
        public var size: Int64
        public var sha256: String

        public init(name: String, size: Int64, sha256: String) {
            self.name = name
            self.size = size
            self.sha256 = sha256
        }
    }

    /// Rises in the order messages arrive (for example `2026-00000042`), also when compared as text.
    public var number: String
    public var receivedAt: Date
    /// The application the message is about; nil for a message on another matter (then `topic` is set).
    public var applicationID: String?
    /// The application's reference number, as the authority writes it (`MIG-2026-000042`). Nil for a message on
    /// another matter, and in receipts kept before the portal sent it.
    public var applicationReference: String?
    /// The request this message answers; nil for additional information sent without a request.
    public var requestID: String?
    public var files: [File]
    /// The portal's signed statement of this receipt: a compact JWS (EdDSA) whose payload is a
    /// `ReceiptStatement`. Nil from a portal that did not sign it.
    public var signed: String?
    /// The message's id in the conversation (`Message.id`); nil in receipts kept before the portal sent it.
    public var messageID: String?
    /// The topic code of a message on another matter; nil when it is about an application.
    public var topic: String?
    /// The authority's message this one replies to, if any.
    public var inReplyTo: String?

    public init(
        number: String, receivedAt: Date, applicationID: String?, applicationReference: String?, requestID: String?,
        files: [File], messageID: String? = nil, topic: String? = nil, inReplyTo: String? = nil,
        signed: String? = nil
    ) {
        self.signed = signed
        self.number = number
        self.receivedAt = receivedAt
        self.applicationID = applicationID
        self.applicationReference = applicationReference
        self.requestID = requestID
        self.files = files
        self.messageID = messageID
        self.topic = topic
        self.inReplyTo = inReplyTo
    }

    /// The receipt number for the `sequence`-th message the portal received, in `year`.
    public static func number(sequence: Int64, year: Int) -> String {
        let digits = String(sequence)
        return "\(year)-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}

/// A message the applicant sent, as the case officer sees it: in the queue, in arrival order.
public struct IncomingMessage: Sendable, Codable, Hashable {
    public var receipt: Receipt
    public var applicantName: String
    /// The application's reference number; nil for a message on another matter (then `topic` is set).
    public var applicationReference: String?
    /// The text as the applicant wrote it: untrusted, sanitized before it is shown on a terminal.
    public var text: String
    /// The message's id (`Message.id`), for `officer read` and `officer reply`.
    public var messageID: String
    public var topic: String?
    public var attachments: [MessageAttachment]
    /// When a case officer first opened it; nil until then.
    public var readByAuthorityAt: Date?
    /// The id of the authority's answer; nil while it waits for one (unhandled).
    public var answeredBy: String?
    /// The authority's message this one replies to, if any.
    public var inReplyTo: String?

    public init(
        receipt: Receipt, applicantName: String, applicationReference: String?, text: String, messageID: String,
        topic: String? = nil, attachments: [MessageAttachment] = [], readByAuthorityAt: Date? = nil,
        answeredBy: String? = nil, inReplyTo: String? = nil
    ) {
        self.receipt = receipt
        self.applicantName = applicantName
        self.applicationReference = applicationReference
        self.text = text
        self.messageID = messageID
        self.topic = topic
        self.attachments = attachments
        self.readByAuthorityAt = readByAuthorityAt
        self.answeredBy = answeredBy
        self.inReplyTo = inReplyTo
    }
}
