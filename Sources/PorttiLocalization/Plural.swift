/// A CLDR plural category: which form of a word a count takes in a language
/// (Unicode CLDR, "Language Plural Rules", https://cldr.unicode.org/index/cldr-spec/plural-rules).
///
/// A string table writes a counted phrase once per category its language uses, as `key#one`, `key#other`,
/// so a language added later with `few` or `many` (Polish, Russian, Arabic) needs no new format.
public enum PluralCategory: String, Sendable, CaseIterable {
    case zero, one, two, few, many, other
}

extension Language {
    /// The categories this language's counted phrases are written in; `other` is always one of them.
    public var pluralCategories: Set<PluralCategory> {
        switch self {
        case .english, .finnish, .swedish: [.one, .other]
        }
    }

    /// The category of a whole count. CLDR's cardinal rule for en, fi and sv: `one` when i = 1 and v = 0
    /// (the integer 1, with no visible fraction digits), `other` for everything else, 0 included.
    public func pluralCategory(of count: Int) -> PluralCategory {
        switch self {
        case .english, .finnish, .swedish: count == 1 ? .one : .other
        }
    }
}
