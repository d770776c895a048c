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
    public func callAsFunction(_ key: String, _ arguments: [String: String] = [:]) -> String {
        let template = entries[key] ?? fallback[key] ?? key
        guard !arguments.isEmpty else { return template }
        return StringTables.fill(template, arguments)
    }

    /// Whether `key` is in this language's own table (not only in the fallback).
    public func has(_ key: String) -> Bool { entries[key] != nil }
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
