/// Terminal column widths computed in Swift with `wcwidth` semantics, so layout never depends on the
/// C library's locale and tests give the same answer on every machine.
public enum DisplayWidth {
    /// Columns one scalar takes: 0 for controls, combining marks and format characters, 2 for East Asian
    /// wide and fullwidth characters and emoji with emoji presentation, 1 otherwise.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value == 0 { return 0 }
        if value < 0x20 || (0x7F...0x9F).contains(value) { return 0 }
        if value < 0x300 { return 1 }  // fast path for Latin text
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format:
            return 0
        default:
            break
        }
        if (0x1160...0x11FF).contains(value) || value == 0x200B { return 0 }  // Hangul medial jamo, ZWSP
        if (0x1F1E6...0x1F1FF).contains(value) { return 1 }  // regional indicators: a flag is a pair, 2 in all
        if isWide(value) || scalar.properties.isEmojiPresentation { return 2 }
        return 1
    }

    /// Columns one grapheme takes, the one rule for drawing, placing the cursor and erasing: a base letter
    /// with its combining marks takes what the letter takes; an emoji sequence (skin tone, ZWJ family,
    /// flag, keycap, emoji presentation by U+FE0F) takes 2, as terminals draw one; nothing takes more than 2.
    /// The curses backend draws such a sequence as its first emoji, so the terminal's idea of the columns
    /// and ours never part (see `CursesTerminal`).
    public static func of(_ character: Character) -> Int {
        if let ascii = character.asciiValue { return ascii < 0x20 || ascii == 0x7F ? 0 : 1 }
        let scalars = character.unicodeScalars
        if scalars.count > 1, scalars.contains(where: { isEmojiJoiner($0) }) { return 2 }
        var total = 0
        for scalar in scalars { total += of(scalar) }
        return min(total, 2)
    }

    /// Scalars that make one emoji of a sequence: ZWJ, skin tones, U+FE0F, the keycap mark.
    static func isEmojiJoiner(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200D, 0xFE0F, 0x20E3, 0x1F3FB...0x1F3FF: true
        default: false
        }
    }

    /// Columns a whole string takes.
    public static func of<S: StringProtocol>(_ text: S) -> Int {
        var total = 0
        for character in text { total += of(character) }
        return total
    }

    // East Asian Wide (W) and Fullwidth (F) blocks, after Unicode's EastAsianWidth.txt.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0,
        0x23F3...0x23F3, 0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F,
        0x2693...0x2693, 0x26A1...0x26A1, 0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5,
        0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA, 0x26F2...0x26F3, 0x26F5...0x26F5,
        0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B, 0x2728...0x2728,
        0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,
        0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
        0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF,
        0x1F004...0x1F004, 0x1F0CF...0x1F0CF, 0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F202,
        0x1F210...0x1F23B, 0x1F240...0x1F248, 0x1F250...0x1F251, 0x1F260...0x1F265, 0x1F300...0x1F320,
        0x1F32D...0x1F335, 0x1F337...0x1F37C, 0x1F37E...0x1F393, 0x1F3A0...0x1F3CA, 0x1F3CF...0x1F3D3,
        0x1F3E0...0x1F3F0, 0x1F3F4...0x1F3F4, 0x1F3F8...0x1F43E, 0x1F440...0x1F440, 0x1F442...0x1F4FC,
        0x1F4FF...0x1F53D, 0x1F54B...0x1F54E, 0x1F550...0x1F567, 0x1F57A...0x1F57A, 0x1F595...0x1F596,
        0x1F5A4...0x1F5A4, 0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC...0x1F6CC, 0x1F6D0...0x1F6D2,
        0x1F6D5...0x1F6D7, 0x1F6DC...0x1F6DF, 0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7EB,
        0x1F7F0...0x1F7F0, 0x1F90C...0x1F93A, 0x1F93C...0x1F945, 0x1F947...0x1F9FF, 0x1FA70...0x1FAFF,
        0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]

    private static func isWide(_ value: UInt32) -> Bool {
        if value < 0x1100 { return false }
        var low = 0
        var high = wideRanges.count - 1
        while low <= high {
            let middle = (low + high) / 2
            let range = wideRanges[middle]
            if value < range.lowerBound { high = middle - 1 } else if value > range.upperBound { low = middle + 1 } else { return true }
        }
        return false
    }
}

/// Cutting and wrapping text to columns, always at grapheme boundaries.
public enum TextLayout {
    /// The longest prefix of `text` that fits in `width` columns; with `ellipsis`, a cut line ends in "…".
    public static func truncate(_ text: String, toWidth width: Int, ellipsis: Bool = false) -> String {
        guard width > 0 else { return "" }
        if DisplayWidth.of(text) <= width { return text }
        let budget = ellipsis ? width - 1 : width
        var result = ""
        var used = 0
        for character in text {
            let columns = DisplayWidth.of(character)
            if used + columns > budget { break }
            result.append(character)
            used += columns
        }
        if ellipsis { result.append("…") }
        return result
    }

    /// The text laid out in lines of at most `width` columns: breaks at spaces where it can, inside a word
    /// only when the word alone is wider than the line, never inside a grapheme. Newlines start new lines.
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        // A tab shows as four blanks, as the editor draws it, wherever text is shown wrapped.
        let text = text.contains("\t") ? text.replacingOccurrences(of: "\t", with: "    ") : text
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append(contentsOf: wrapItem(paragraph, width: width))
        }
        return lines
    }

    /// A list item ("  • text", "- text") wraps under its text, not under its bullet: a hanging indent.
    private static func wrapItem(_ paragraph: Substring, width: Int) -> [String] {
        let indent = paragraph.prefix { $0 == " " }
        let rest = paragraph.dropFirst(indent.count)
        guard let bullet = ["• ", "- ", "* "].first(where: { rest.hasPrefix($0) }) else {
            return wrapParagraph(paragraph, width: width)
        }
        let hanging = indent.count + bullet.count
        guard width > hanging + 8 else { return wrapParagraph(paragraph, width: width) }
        let lines = wrapParagraph(rest.dropFirst(bullet.count), width: width - hanging)
        return lines.enumerated().map { index, line in
            (index == 0 ? String(indent) + bullet : String(repeating: " ", count: hanging)) + line
        }
    }

    private static func wrapParagraph(_ paragraph: Substring, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        var lineWidth = 0
        // Words keep their trailing spaces so a line can end on them; the spaces are trimmed at the cut.
        for word in words(paragraph) {
            let wordWidth = DisplayWidth.of(word)
            if lineWidth + wordWidth <= width {
                line += word
                lineWidth += wordWidth
                continue
            }
            let visible = trimTrailingSpaces(word)
            if !visible.isEmpty, lineWidth + DisplayWidth.of(visible) <= width {
                line += visible
                lines.append(line)
                line = ""
                lineWidth = 0
                continue
            }
            if !line.isEmpty {
                lines.append(trimTrailingSpaces(line))
                line = ""
                lineWidth = 0
            }
            // A word wider than a line is split at grapheme boundaries.
            for character in word {
                let columns = DisplayWidth.of(character)
                if lineWidth + columns > width {
                    if character == " " { continue }
                    lines.append(line)
                    line = ""
                    lineWidth = 0
                }
                if columns > width { continue }  // a 2-column glyph cannot fit a 1-column line
                line.append(character)
                lineWidth += columns
            }
        }
        lines.append(trimTrailingSpaces(line))
        return lines
    }

    private static func words(_ paragraph: Substring) -> [String] {
        var words: [String] = []
        var current = ""
        var inSpaces = false
        for character in paragraph {
            if character == " " {
                inSpaces = true
                current.append(character)
            } else {
                if inSpaces {
                    words.append(current)
                    current = ""
                    inSpaces = false
                }
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    private static func trimTrailingSpaces(_ line: String) -> String {
        var result = line
        while result.last == " " { result.removeLast() }
        return result
    }
}
