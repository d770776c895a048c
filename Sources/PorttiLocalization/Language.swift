/// The languages of the service: the authority offers Finnish, Swedish and English, and only these.
public enum Language: String, Sendable, CaseIterable, Codable {
    case english = "en"
    case finnish = "fi"
    case swedish = "sv"

    /// The language a locale variable's text names (`fi_FI.UTF-8` → Finnish, `sv` → Swedish), read from
    /// the text alone so it works where that locale is not installed; nil for anything else.
    public init?(localeIdentifier: String) {
        let code = localeIdentifier.prefix { $0.isLetter }.lowercased()
        switch code {
        case "fi", "fin", "finnish": self = .finnish
        case "sv", "swe", "swedish": self = .swedish
        case "en", "eng", "english": self = .english
        default: return nil
        }
    }

    /// The language for an environment: `PORTTI_LANG`, then `LC_ALL`, `LC_MESSAGES`, `LANG`; English otherwise.
    public static func fromEnvironment(_ environment: [String: String]) -> Language {
        if let chosen = environment["PORTTI_LANG"].flatMap(Language.init(localeIdentifier:)) { return chosen }
        for variable in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = environment[variable], !value.isEmpty else { continue }
            // The first non-empty variable decides, as in POSIX; an unknown language means English.
            return Language(localeIdentifier: value) ?? .english
        }
        return .english
    }
}
