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

    /// 25.11.2026 klo 14.05 · 2026-11-25 06:05 · 25/11/2026, 06:05: the hour always has two digits (the
    /// locales' short time drops the zero, "6:05", which no one writes in a 24-hour clock beside a date).
    public func dateTime(_ date: Date) -> String {
        date.formatted(Date.FormatStyle(date: .numeric, time: .omitted, locale: locale, timeZone: timeZone)
            .hour(.twoDigits(amPM: .omitted)).minute(.twoDigits))
    }

    /// 14.05 · 06:05 · 06:05
    public func time(_ date: Date) -> String {
        date.formatted(Date.FormatStyle(date: .omitted, time: .omitted, locale: locale, timeZone: timeZone)
            .hour(.twoDigits(amPM: .omitted)).minute(.twoDigits))
    }

    /// Characters the widest `dateTime` takes in this language (two-digit day, month and hour): a column of
    /// times padded to it lines up, whatever the day ("1.9.2026 klo 09.05" and "31.12.2026 klo 23.59").
    public var dateTimeWidth: Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let widest = calendar.date(from: DateComponents(year: 2026, month: 12, day: 28, hour: 23, minute: 59)) ?? Date()
        return dateTime(widest).count
    }

    /// Whole days from `now` until `date` in the portal's calendar (negative once passed).
    public func daysLeft(until date: Date, now: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.dateComponents([.day], from: calendar.startOfDay(for: now), to: calendar.startOfDay(for: date)).day ?? 0
    }

    /// 512 B · 1,5 kt · 4,0 Mt (units from the string tables), with `fractionDigits` after the separator.
    public func size(_ bytes: Int64, strings: StringTable, fractionDigits: Int = 1) -> String {
        if bytes < 1024 { return strings("size.bytes", ["value": String(bytes)]) }
        let kilobytes = Double(bytes) / 1024
        if kilobytes < 1024 { return strings("size.kilobytes", ["value": number(kilobytes, fractionDigits)]) }
        return strings("size.megabytes", ["value": number(kilobytes / 1024, fractionDigits)])
    }

    /// Two sizes written precisely enough to read differently: "4,0 Mt" and "4,0 Mt" for a file one byte
    /// over a 4 MiB limit would tell the applicant nothing. Up to three fraction digits, then whole bytes.
    public func sizes(_ first: Int64, _ second: Int64, strings: StringTable) -> (String, String) {
        Formats.distinct(first, second) { bytes, digits in
            digits.map { size(bytes, strings: strings, fractionDigits: $0) }
                ?? strings("size.bytes", ["value": bytes.formatted(.number.grouping(.automatic).locale(locale))])
        }
    }

    /// The pair written with the fewest fraction digits (1...3) at which they differ, else by `write(_, nil)`
    /// (whole bytes). Shared by every place that sets a size against a limit.
    public static func distinct(_ first: Int64, _ second: Int64, write: (Int64, Int?) -> String) -> (String, String) {
        for digits in 1...3 where write(first, digits) != write(second, digits) || first == second {
            return (write(first, digits), write(second, digits))
        }
        return (write(first, nil), write(second, nil))
    }

    private func number(_ value: Double, _ fractionDigits: Int) -> String {
        value.formatted(.number.precision(.fractionLength(fractionDigits)).locale(locale))
    }
}
