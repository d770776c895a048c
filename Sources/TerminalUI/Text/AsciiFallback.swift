/// What a cell shows on a terminal whose locale is not UTF-8 (`LANG=C`): UTF-8 bytes there would show as
/// garbage, so each character becomes ASCII, and box lines the terminal's own line drawing.
public enum AsciiFallback: Sendable, Hashable {
    /// A line-drawing character of the terminal's alternate set, by its VT100 letter (`q` is ─).
    case line(Character)
    case text(String)

    /// The fallback for one grapheme: itself when ASCII; box lines by their VT100 letter; arrows, bullets and
    /// quotes by their ASCII look-alike; letters without their marks (ä → a); anything else "?".
    public static func of(_ grapheme: String) -> AsciiFallback {
        if grapheme.unicodeScalars.allSatisfy(\.isASCII) { return .text(grapheme) }
        if let letter = lines[grapheme] { return .line(letter) }
        if let text = lookAlikes[grapheme] { return .text(text) }
        let base = grapheme.decomposedStringWithCanonicalMapping.unicodeScalars.filter(\.isASCII)
        let printable = base.filter { $0.value >= 0x20 && $0.value < 0x7F }
        return .text(printable.isEmpty ? "?" : String(String.UnicodeScalarView(printable)))
    }

    private static let lines: [String: Character] = [
        "─": "q", "━": "q", "│": "x", "┃": "x", "┌": "l", "╭": "l", "┐": "k", "╮": "k", "└": "m", "╰": "m",
        "┘": "j", "╯": "j", "├": "t", "┤": "u", "┬": "w", "┴": "v", "┼": "n",
    ]

    private static let lookAlikes: [String: String] = [
        "›": ">", "‹": "<", "»": ">", "«": "<", "→": ">", "←": "<", "↑": "^", "↓": "v", "…": "~", "·": "-",
        "•": "*", "✓": "*", "✔": "*", "—": "-", "–": "-", "“": "\"", "”": "\"", "„": "\"", "‘": "'", "’": "'",
        "×": "x", "€": "E", "§": "S", "°": "o", "\u{00A0}": " ",
    ]
}
