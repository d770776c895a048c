import Foundation

/// A request for additional information that the authority sent about an application.
public struct SupplementRequest: Sendable, Codable, Hashable, Identifiable {
    /// Whether the request still waits for the applicant.
    public enum State: String, Sendable, Codable, CaseIterable {
        case open = "open"
        case answered = "answered"
        case overdue = "overdue"
    }

    public var id: String
    public var applicationID: String
    public var text: String
    /// The documents or facts the authority asks for, one per item.
    public var items: [String]
    public var deadline: Date
    public var sentAt: Date
    public var answeredAt: Date?

    public init(
        id: String, applicationID: String, text: String, items: [String], deadline: Date, sentAt: Date,
        answeredAt: Date?
    ) {
        self.id = id
        self.applicationID = applicationID
        self.text = text
        self.items = items
        self.deadline = deadline
        self.sentAt = sentAt
        self.answeredAt = answeredAt
    }

    /// The state at a moment: answered once a response arrived, overdue once the deadline passed unanswered.
    public func state(at now: Date) -> State {
        if answeredAt != nil { return .answered }
        return now > deadline ? .overdue : .open
    }
}
