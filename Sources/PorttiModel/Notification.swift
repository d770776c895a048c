import Foundation

/// Something the applicant is told about through the account.
public struct PortalNotification: Sendable, Codable, Hashable, Identifiable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A request for additional information was sent.
        case requestSent = "request_sent"
        /// A decision has been made and is ready to read.
        case decisionReady = "decision_ready"
        /// What the applicant sent was received (the automatic confirmation).
        case messageReceived = "message_received"
        /// The authority wrote the applicant a message (`subjectID` is the message's id).
        case message = "message"
        /// The authority opened the applicant's message (`subjectID` is that message's id). Recorded already read:
        /// it is news for an open conversation and `notifications --follow`, not something the applicant must open.
        case messageRead = "message_read"
    }

    public var id: String
    /// Rises with every notification the portal creates; the event id of the notification stream.
    public var sequence: Int64
    public var kind: Kind
    /// The application it is about; nil for a message on another matter (then `topic` is set).
    public var applicationID: String?
    /// The application's reference number (`MIG-2026-000042`); nil only in lists kept from before the portal
    /// sent it.
    public var applicationReference: String?
    /// The request, decision, receipt number or message the notification is about.
    public var subjectID: String
    public var createdAt: Date
    public var readAt: Date?
    /// The topic code of a message on another matter; nil when it is about an application.
    public var topic: String?

    public init(
        id: String, sequence: Int64, kind: Kind, applicationID: String?, applicationReference: String?,
        subjectID: String, createdAt: Date, readAt: Date?, topic: String? = nil
    ) {
        self.topic = topic
        self.id = id
        self.sequence = sequence
        self.kind = kind
        self.applicationID = applicationID
        self.applicationReference = applicationReference
        self.subjectID = subjectID
        self.createdAt = createdAt
        self.readAt = readAt
    }
}

/// An applicant's account, without its secret.
public struct Applicant: Sendable, Codable, Hashable, Identifiable {
    public var id: String
    public var username: String
    public var displayName: String

    public init(id: String, username: String, displayName: String) {
        self.id = id
        self.username = username
        self.displayName = displayName
    }
}
