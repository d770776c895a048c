import Foundation

/// Who wrote a message of a conversation.
public enum MessageDirection: String, Sendable, Codable, Hashable, CaseIterable {
    /// The applicant wrote it (a response to a request, additional information, a message on another matter,
    /// or a reply to the authority).
    case fromApplicant = "from_applicant"
    /// The authority (a case officer) wrote it to the applicant.
    case fromAuthority = "from_authority"
}

/// A file of a message, as the portal keeps it: saved by the applicant under its `name`, never overwriting.
public struct MessageAttachment: Sendable, Codable, Hashable, Identifiable {
    /// The portal's id of the file within its message (for the download).
    public var id: String
    /// The file's name, sanitized by the portal (`FileName.sanitized`).
    public var name: String
    /// Bytes.
    public var size: Int64
    /// Lowercase hexadecimal SHA-256 of the content.
    public var sha256: String
    public var type: AttachmentType

    public init(id: String, name: String, size: Int64, sha256: String, type: AttachmentType) {
        self.id = id
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.type = type
    }
}

/// Where the applicant's own message stands with the authority.
public enum MessageState: Sendable, Hashable {
    /// The portal received it (the receipt is the proof); nobody at the authority has opened it yet.
    case received
    /// A case officer opened it, at this date.
    case readByAuthority(Date)
    /// The authority answered it; the answer is the message with this id.
    case answered(String)

    /// A stable text form for scripts (`--json`): `received`, `read_by_authority`, `answered`.
    public var code: String {
        switch self {
        case .received: "received"
        case .readByAuthority: "read_by_authority"
        case .answered: "answered"
        }
    }
}

/// One message of a conversation between the applicant and the authority, in either direction. A
/// conversation is about one application (`applicationID`), or, for a message on another matter, about a
/// `topic`; exactly one of the two is set.
public struct Message: Sendable, Hashable, Identifiable {
    /// The portal's id (`message_…`).
    public var id: String
    public var direction: MessageDirection
    /// The application the message is about; nil for a message on another matter.
    public var applicationID: String?
    /// The application's reference number (`MIG-2026-000042`); nil for a message on another matter.
    public var applicationReference: String?
    /// A topic code from the portal's list (`MessageTopic.code`, "other" among them); nil when about an application.
    public var topic: String?
    /// The request for additional information the applicant's message answers, if any.
    public var requestID: String?
    public var text: String
    public var attachments: [MessageAttachment]
    /// When the portal received it (the applicant's) or the authority sent it.
    public var sentAt: Date
    /// The message this one answers: an authority message for the applicant's reply, the applicant's message
    /// for the authority's answer.
    public var inReplyTo: String?
    /// The portal's confirmation of receipt; set for the applicant's own messages only.
    public var receipt: Receipt?
    /// When a case officer first opened the applicant's message; nil until then (and for the authority's).
    public var readByAuthorityAt: Date?
    /// The id of the authority's answer to the applicant's message; nil until answered (and for the authority's).
    public var answeredBy: String?
    /// When the applicant first opened the authority's message; nil until then (and for the applicant's own).
    public var readAt: Date?

    public init(
        id: String, direction: MessageDirection, applicationID: String?, applicationReference: String?, topic: String?,
        requestID: String? = nil, text: String, attachments: [MessageAttachment], sentAt: Date, inReplyTo: String?,
        receipt: Receipt? = nil, readByAuthorityAt: Date? = nil, answeredBy: String? = nil, readAt: Date? = nil
    ) {
        self.id = id
        self.direction = direction
        self.applicationID = applicationID
        self.applicationReference = applicationReference
        self.topic = topic
        self.requestID = requestID
        self.text = text
        self.attachments = attachments
        self.sentAt = sentAt
        self.inReplyTo = inReplyTo
        self.receipt = receipt
        self.readByAuthorityAt = readByAuthorityAt
        self.answeredBy = answeredBy
        self.readAt = readAt
    }

    /// The state of the applicant's own message (answered wins over read); nil for the authority's.
    public var state: MessageState? {
        guard direction == .fromApplicant else { return nil }
        if let answeredBy { return .answered(answeredBy) }
        if let readByAuthorityAt { return .readByAuthority(readByAuthorityAt) }
        return .received
    }

    /// Whether this is the authority's message that the applicant has not opened yet.
    public var isUnread: Bool { direction == .fromAuthority && readAt == nil }
}

extension Message: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, direction, applicationID, applicationReference, topic, requestID, text, attachments, sentAt,
            inReplyTo, receipt, readByAuthorityAt, answeredBy, readAt, state
    }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try values.decode(String.self, forKey: .id),
            direction: try values.decode(MessageDirection.self, forKey: .direction),
            applicationID: try values.decodeIfPresent(String.self, forKey: .applicationID),
            applicationReference: try values.decodeIfPresent(String.self, forKey: .applicationReference),
            topic: try values.decodeIfPresent(String.self, forKey: .topic),
            requestID: try values.decodeIfPresent(String.self, forKey: .requestID),
            text: try values.decode(String.self, forKey: .text),
            attachments: try values.decodeIfPresent([MessageAttachment].self, forKey: .attachments) ?? [],
            sentAt: try values.decode(Date.self, forKey: .sentAt),
            inReplyTo: try values.decodeIfPresent(String.self, forKey: .inReplyTo),
            receipt: try values.decodeIfPresent(Receipt.self, forKey: .receipt),
            readByAuthorityAt: try values.decodeIfPresent(Date.self, forKey: .readByAuthorityAt),
            answeredBy: try values.decodeIfPresent(String.self, forKey: .answeredBy),
            readAt: try values.decodeIfPresent(Date.self, forKey: .readAt))
    }

    /// Also writes `state` (its `code`) for the applicant's own messages, for scripts; it is derived again on reading.
    public func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(id, forKey: .id)
        try values.encode(direction, forKey: .direction)
        try values.encodeIfPresent(applicationID, forKey: .applicationID)
        try values.encodeIfPresent(applicationReference, forKey: .applicationReference)
        try values.encodeIfPresent(topic, forKey: .topic)
        try values.encodeIfPresent(requestID, forKey: .requestID)
        try values.encode(text, forKey: .text)
        try values.encode(attachments, forKey: .attachments)
        try values.encode(sentAt, forKey: .sentAt)
        try values.encodeIfPresent(inReplyTo, forKey: .inReplyTo)
        try values.encodeIfPresent(receipt, forKey: .receipt)
        try values.encodeIfPresent(readByAuthorityAt, forKey: .readByAuthorityAt)
        try values.encodeIfPresent(answeredBy, forKey: .answeredBy)
        try values.encodeIfPresent(readAt, forKey: .readAt)
        try values.encodeIfPresent(state?.code, forKey: .state)
    }
}

/// A subject the applicant may write to the authority about when the message is about no application. The
/// portal gives the list (`GET /message-topics`); "other" is always there, and last.
public struct MessageTopic: Sendable, Codable, Hashable, Identifiable {
    /// The topic's title in each of the portal's languages.
    public struct Titles: Sendable, Codable, Hashable {
        public var en: String
        public var fi: String
        public var sv: String

        public init(en: String, fi: String, sv: String) {
            self.en = en
            self.fi = fi
            self.sv = sv
        }

        /// The title in the language with this code (`en`, `fi`, `sv`); English for any other.
        public func title(language code: String) -> String {
            switch code {
            case "fi": fi
            case "sv": sv
            default: en
            }
        }
    }

    /// The code a message carries (`address_change`, …, `other`).
    public var code: String
    public var titles: Titles
    public var id: String { code }

    /// The code of the topic for anything the others do not cover.
    public static let otherCode = "other"

    public init(code: String, titles: Titles) {
        self.code = code
        self.titles = titles
    }
}
