import Foundation
import Testing

@testable import PorttiLocalization

@Suite struct StringTableTests {
    @Test func everyKeyExistsInEveryLanguage() {
        // Counted phrases are compared by their key: each language writes the categories it has.
        let keys = Language.allCases.map { Set(StringTables.shared.table($0).keys.map(StringTables.baseKey)) }
        let all = keys.reduce(Set<String>()) { $0.union($1) }
        #expect(all.count > 50)
        for (language, languageKeys) in zip(Language.allCases, keys) {
            #expect(all.subtracting(languageKeys).sorted() == [], "missing in \(language.rawValue)")
        }
    }

    @Test func placeholdersMatchAcrossLanguages() {
        let english = StringTables.shared.table(.english)
        for language in [Language.finnish, .swedish] {
            for (key, text) in StringTables.shared.table(language) {
                let base = StringTables.baseKey(key)
                let expected = StringTables.placeholders(in: english[key] ?? english["\(base)#other"] ?? "")
                #expect(StringTables.placeholders(in: text) == expected, "\(language.rawValue) \(key)")
            }
        }
    }

    @Test func noEntryIsEmpty() {
        for language in Language.allCases {
            for (key, text) in StringTables.shared.table(language) {
                #expect(!text.trimmingCharacters(in: .whitespaces).isEmpty, "\(language.rawValue) \(key)")
            }
        }
    }

    @Test func lookupFillsPlaceholdersAndShowsUnknownKeys() {
        let finnish = StringTable(.finnish)
        #expect(finnish("error.too_many_attachments", ["limit": "10"]) == "Liian monta liitettä: enintään 10 viestiä kohden.")
        #expect(StringTable(.swedish)("request.state.answered") == "Besvarad")
        #expect(finnish("no.such.key") == "no.such.key")
    }

    /// Each counted phrase is written in exactly the plural categories its language has, `other` among them.
    @Test func countedPhrasesHaveEachCategoryOfTheirLanguage() {
        for language in Language.allCases {
            #expect(language.pluralCategories.contains(.other))
            var categories: [String: Set<String>] = [:]
            for key in StringTables.shared.table(language).keys where key.contains("#") {
                categories[StringTables.baseKey(key), default: []].insert(String(key.split(separator: "#")[1]))
            }
            #expect(categories.count >= 5)
            for (key, found) in categories {
                #expect(found == Set(language.pluralCategories.map(\.rawValue)), "\(language.rawValue) \(key)")
            }
        }
    }

    /// A count inside running text takes a plural form; one that stands alone after a label ("Files: 3") or
    /// in a fraction ("2/5") reads right in every form and may stay plain.
    @Test func everyCountInRunningTextIsACountedPhrase() {
        for language in Language.allCases {
            for (key, text) in StringTables.shared.table(language) where !key.contains("#") && text.contains("{count}") {
                let standsAlone = text.contains(": {count}") || text.contains("/{count}")
                #expect(standsAlone, "\(language.rawValue) \(key): \"\(text)\" needs plural forms")
            }
        }
    }

    @Test func countsTakeTheirLanguagesForm() {
        let english = StringTable(.english), finnish = StringTable(.finnish), swedish = StringTable(.swedish)
        #expect(english("deadline.days_left", count: 1) == "1 day left")
        #expect(english("deadline.days_left", count: 2) == "2 days left")
        #expect(finnish("deadline.days_left", count: 1) == "1 päivä jäljellä")
        #expect(finnish("deadline.days_left", count: 21) == "21 päivää jäljellä")
        #expect(swedish("deadline.days_left", count: 1) == "1 dag kvar")
        #expect(finnish("picker.summary", count: 0, ["shown": "3", "total": "3"]) == "0 valittua · 3/3 näkyvissä")
        #expect(finnish("picker.summary", count: 1, ["shown": "3", "total": "3"]) == "1 valittu · 3/3 näkyvissä")
        #expect(english("cli.exported", count: 1, ["path": "r.json"]) == "1 confirmation of receipt written to r.json.")
        #expect(english("no.such.key", count: 1) == "no.such.key")
        // The CLI and the terminal UI share these words for the same day.
        #expect(english.daysLeft(0) == "due today")
        #expect(swedish.daysLeft(1) == "1 dag kvar")
        #expect(finnish.daysLeft(-1) == nil)
    }

    @Test func languageComesFromTheVariablesText() {
        #expect(Language(localeIdentifier: "sv_FI.UTF-8") == .swedish)
        #expect(Language(localeIdentifier: "fi_FI@euro") == .finnish)
        #expect(Language(localeIdentifier: "de_DE.UTF-8") == nil)
        #expect(Language.fromEnvironment(["LANG": "fi_FI.UTF-8"]) == .finnish)
        #expect(Language.fromEnvironment(["LC_ALL": "sv_SE.UTF-8", "LANG": "fi_FI.UTF-8"]) == .swedish)
        #expect(Language.fromEnvironment(["PORTTI_LANG": "fi", "LC_ALL": "sv_SE.UTF-8"]) == .finnish)
        #expect(Language.fromEnvironment(["LC_ALL": "", "LC_MESSAGES": "C.UTF-8", "LANG": "fi"]) == .english)
        #expect(Language.fromEnvironment([:]) == .english)
    }
}

@Suite struct TimeFormatTests {
    /// A time before ten has its leading zero in every language, beside a date and alone ("6:22" was Swedish).
    @Test func anEarlyHour_hasTwoDigits_inEveryLanguage() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "Europe/Helsinki"))
        let early = try #require(calendar.date(from: DateComponents(year: 2026, month: 11, day: 28, hour: 6, minute: 22)))
        let expected: [Language: (dateTime: String, time: String)] = [
            .finnish: ("28.11.2026 klo 06.22", "06.22"), .swedish: ("2026-11-28 06:22", "06:22"),
            .english: ("28/11/2026, 06:22", "06:22"),
        ]
        for (language, shown) in expected {
            let formats = Formats(language)
            #expect(formats.dateTime(early) == shown.dateTime, "\(language)")
            #expect(formats.time(early) == shown.time, "\(language)")
        }
    }
}

@Suite struct OneWordTests {
    /// The sender of the authority's messages has one name in Finnish in every screen and command (TERMS.md:
    /// one word for one thing): "viranomainen", never "virasto".
    @Test func theAuthority_hasOneNameInFinnish() {
        let other = StringTables.shared.table(.finnish).filter { $0.value.lowercased().contains("virasto") }
        #expect(other.keys.sorted() == [], "\(other)")
    }
}
