import Testing

@testable import PorttiLocalization

@Suite struct StringTableTests {
    @Test func everyKeyExistsInEveryLanguage() {
        let keys = Language.allCases.map { Set(StringTables.shared.table($0).keys) }
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
                let expected = StringTables.placeholders(in: english[key] ?? "")
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
