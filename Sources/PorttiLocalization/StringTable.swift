import Foundation

/// The words of one language, looked up by key, falling back to English for a key the language lacks.
public struct StringTable: Sendable {
    public let language: Language
    private let entries: [String: String]
    private let fallback: [String: String]

    public init(_ language: Language) {
        self.language = language
        self.entries = StringTables.shared.table(language)
        self.fallback = StringTables.shared.table(.english)
    }

    /// The text for `key` with each `{name}` placeholder replaced from `arguments`. An unknown key
    /// shows as the key itself, so a missing word is visible rather than silent.
    /// A counted phrase (see the `count:` form) looked up here takes the form of `arguments["count"]`,
    /// so an error's arguments choose its words without the caller knowing it counts.
    public func callAsFunction(_ key: String, _ arguments: [String: String] = [:]) -> String {
        guard let template = entries[key] ?? fallback[key] else {
            if entries["\(key)#\(PluralCategory.other.rawValue)"] != nil || fallback["\(key)#\(PluralCategory.other.rawValue)"] != nil {
                return self(key, count: arguments["count"].flatMap { Int($0) } ?? 0, arguments)
            }
            return key
        }
        guard !arguments.isEmpty else { return template }
        return StringTables.fill(template, arguments)
    }

    /// The counted phrase `key` in the form `count` takes in this language (`key#one`, `key#other`, …;
    /// see `PluralCategory`), with `{count}` filled from `count` unless `arguments` gives it.
    /// Falls back to the `other` form, then to English, then shows the key.
    public func callAsFunction(_ key: String, count: Int, _ arguments: [String: String] = [:]) -> String {
        let form = "\(key)#\(language.pluralCategory(of: count).rawValue)"
        let other = "\(key)#\(PluralCategory.other.rawValue)"
        let english = "\(key)#\(Language.english.pluralCategory(of: count).rawValue)"
        let template = entries[form] ?? entries[other] ?? fallback[english] ?? fallback[other] ?? key
        var arguments = arguments
        if arguments["count"] == nil { arguments["count"] = String(count) }
        return StringTables.fill(template, arguments)
    }

    /// How far a deadline is, in the words the CLI and the terminal UI share: "due today", "1 day left",
    /// "12 days left"; nil once it has passed (each shows that its own way). `days` is whole calendar days
    /// in the portal's time zone, as `Formats.daysLeft(until:now:)` counts them.
    public func daysLeft(_ days: Int) -> String? {
        switch days {
        case ..<0: nil
        case 0: self("deadline.due_today")
        default: self("deadline.days_left", count: days)
        }
    }

    /// Whether `key` is in this language's own table (not only in the fallback).
    /// A counted phrase is there when its `other` form is.
    public func has(_ key: String) -> Bool { entries[key] != nil || entries["\(key)#\(PluralCategory.other.rawValue)"] != nil }
}

/// All tables, parsed once from the text embedded at build time.
public final class StringTables: Sendable {
    public static let shared = StringTables()

    private let tables: [Language: [String: String]]

    private init() {
        var tables: [Language: [String: String]] = [:]
        for language in Language.allCases {
            let text = EmbeddedStringTables.json[language.rawValue] ?? "{}"
            tables[language] = (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
        }
        self.tables = tables
    }

    /// The raw table of a language, for checks and tests.
    public func table(_ language: Language) -> [String: String] { tables[language] ?? [:] }

    /// The key a table entry belongs to: `cli.exported` for `cli.exported#one`, the key itself otherwise.
    public static func baseKey(_ key: String) -> String {
        key.firstIndex(of: "#").map { String(key[..<$0]) } ?? key
    }

    /// The names of the `{name}` placeholders in `template`.
    public static func placeholders(in template: String) -> Set<String> {
        var names = Set<String>()
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    static func fill(_ template: String, _ arguments: [String: String]) -> String {
        var result = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            result += arguments[name] ?? "{\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
