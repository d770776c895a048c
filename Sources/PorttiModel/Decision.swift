import Foundation

/// The authority's decision on an application.
public struct Decision: Sendable, Codable, Hashable, Identifiable {
    public var id: String
    public var applicationID: String
    public var text: String
    public var madeAt: Date
    /// When the applicant first opened the decision: the date it was served.
    public var servedAt: Date?
    /// Whether a signed document (PDF) can be downloaded.
    public var hasDocument: Bool

    public init(id: String, applicationID: String, text: String, madeAt: Date, servedAt: Date?, hasDocument: Bool) {
        self.id = id
        self.applicationID = applicationID
        self.text = text
        self.madeAt = madeAt
        self.servedAt = servedAt
        self.hasDocument = hasDocument
    }

    /// The last day to appeal, `appealDays` after the decision was served, to its end; nil until it is served.
    public func appealDeadline(appealDays: Int, calendar: Calendar = .portal) -> Date? {
        guard let servedAt, let day = calendar.date(byAdding: .day, value: appealDays, to: servedAt) else { return nil }
        return calendar.endOfDay(day)
    }
}

/// A decision as served to the applicant, with the last day to appeal.
public struct ServedDecision: Sendable, Hashable, Codable {
    public var decision: Decision
    public var appealDeadline: Date?

    public init(decision: Decision, appealDeadline: Date?) {
        self.decision = decision
        self.appealDeadline = appealDeadline
    }
}

extension Calendar {
    /// The authority's calendar: Gregorian in Finnish time, where deadlines end.
    public static var portal: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Helsinki") ?? .gmt
        return calendar
    }

    /// The last moment of the day that `date` falls on: a deadline on a day lasts to its end.
    public func endOfDay(_ date: Date) -> Date {
        let start = startOfDay(for: date)
        return self.date(byAdding: DateComponents(day: 1, second: -1), to: start) ?? date
    }
}
