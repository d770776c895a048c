import Foundation

/// The kind of permit or matter an application is about.
public enum ApplicationType: String, Sendable, Codable, CaseIterable {
    case residencePermitWork = "residence_permit_work"
    case residencePermitFamily = "residence_permit_family"
    case residencePermitStudy = "residence_permit_study"
    case permanentResidencePermit = "permanent_residence_permit"
    case citizenship = "citizenship"
}

/// Where an application stands in its processing, as the applicant is shown it.
public enum ApplicationStatus: String, Sendable, Codable, CaseIterable {
    case received = "received"
    case inProcessing = "in_processing"
    case waitingForInformation = "waiting_for_information"
    case decisionMade = "decision_made"
    case closed = "closed"
}

/// An application filed by an applicant, as listed.
public struct Application: Sendable, Codable, Hashable, Identifiable {
    public var id: String
    public var type: ApplicationType
    /// The authority's reference number, shown to the applicant (for example `MIG-2026-000042`).
    public var referenceNumber: String
    public var status: ApplicationStatus
    public var submittedAt: Date
    public var updatedAt: Date

    public init(
        id: String, type: ApplicationType, referenceNumber: String, status: ApplicationStatus,
        submittedAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.type = type
        self.referenceNumber = referenceNumber
        self.status = status
        self.submittedAt = submittedAt
        self.updatedAt = updatedAt
    }
}

/// One step of an application's processing timeline.
public struct TimelineEvent: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case submitted = "submitted"
        case statusChanged = "status_changed"
        case requestSent = "request_sent"
        case deadlineExtended = "deadline_extended"
        case informationReceived = "information_received"
        case decisionMade = "decision_made"
    }

    public var at: Date
    public var kind: Kind
    /// The status the application had after this step.
    public var status: ApplicationStatus

    public init(at: Date, kind: Kind, status: ApplicationStatus) {
        self.at = at
        self.kind = kind
        self.status = status
    }
}

/// An application with its processing timeline, as the applicant follows it.
public struct ApplicationOverview: Sendable, Hashable, Codable {
    public var application: Application
    public var timeline: [TimelineEvent]
    public var decisionID: String?

    public init(application: Application, timeline: [TimelineEvent], decisionID: String?) {
        self.application = application
        self.timeline = timeline
        self.decisionID = decisionID
    }
}
