import Foundation

/// Dates, times and sizes as each language writes them, in the authority's time zone (Finland).
public struct Formats: Sendable {
    public let language: Language
    private let locale: Locale
    private let timeZone: TimeZone

    public init(_ language: Language, timeZone: TimeZone = TimeZone(identifier: "Europe/Helsinki") ?? .gmt) {
        self.language = language
        self.timeZone = timeZone
        switch language {
        case .finnish: locale = Locale(identifier: "fi_FI")
        case .swedish: locale = Locale(identifier: "sv_FI")
        case .english: locale = Locale(identifier: "en_GB")
        }
    }

    /// 25.11.2026 · 2026-11-25 · 25/11/2026
    public func date(_ date: Date) -> String {
        date.formatted(Date.FormatStyle(date: .numeric, time: .omitted, locale: locale, timeZone: timeZone))
    }

    /// 25.11.2026 klo 14.05 · 2026-11-25 14:05 · 25/11/2026, 14:05
    public func dateTime(_ date: Date) -> String {
        date.formatted(Date.FormatStyle(date: .numeric, time: .shortened, locale: locale, timeZone: timeZone))
    }

    /// Whole days from `now` until `date` in the portal's calendar (negative once passed).
    public func daysLeft(until date: Date, now: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.dateComponents([.day], from: calendar.startOfDay(for: now), to: calendar.startOfDay(for: date)).day ?? 0
    }

    /// 512 B · 1,5 kt · 4,0 Mt (units from the string tables).
    public func size(_ bytes: Int64, strings: StringTable) -> String {
        if bytes < 1024 { return strings("size.bytes", ["value": String(bytes)]) }
        let kilobytes = Double(bytes) / 1024
        if kilobytes < 1024 { return strings("size.kilobytes", ["value": number(kilobytes)]) }
        return strings("size.megabytes", ["value": number(kilobytes / 1024)])
    }

    private func number(_ value: Double) -> String {
        value.formatted(.number.precision(.fractionLength(1)).locale(locale))
    }
}
