import CNcursesw
import Testing
import PorttiLocalization
@testable import TerminalUI

@Suite struct DisplayWidthTests {
    @Test func widths_followUnicode() {
        #expect(DisplayWidth.of("a" as Character) == 1)
        #expect(DisplayWidth.of("å" as Character) == 1)
        #expect(DisplayWidth.of("e\u{301}" as Character) == 1)  // combining acute merges into its base
        #expect(DisplayWidth.of("日" as Character) == 2)
        #expect(DisplayWidth.of("한" as Character) == 2)
        #expect(DisplayWidth.of("😀" as Character) == 2)
        #expect(DisplayWidth.of("🇫🇮" as Character) == 2)  // two regional indicators, one column each
        // Emoji sequences are one glyph of two columns, whatever their scalars add up to.
        #expect(DisplayWidth.of("👍🏽" as Character) == 2)
        #expect(DisplayWidth.of("👨‍👩‍👧" as Character) == 2)
        #expect(DisplayWidth.of("❤️" as Character) == 2)
        #expect(DisplayWidth.of("1️⃣" as Character) == 2)
        #expect(DisplayWidth.of("é" as Character) == 1)
        #expect(DisplayWidth.of("Ａ" as Character) == 2)  // fullwidth Latin
        #expect(DisplayWidth.of("\u{200D}" as Unicode.Scalar) == 0)
        #expect(DisplayWidth.of("Åsa 日本") == 8)
    }

    /// The Swift table agrees with glibc's wcwidth (what ncurses uses) in a UTF-8 locale.
    @Test func widths_matchWcwidthInUTF8Locale() {
        #expect(portti_setup_utf8_locale() == 1)
        let samples: [Unicode.Scalar] = ["a", "å", "Ö", "\u{301}", "\u{20DD}", "日", "ア", "한", "😀", "🚀", "€", "ß", "Ж", "א", "\u{FF21}", "\u{3000}", "✓", "→", "•", "…"]
        for scalar in samples {
            #expect(DisplayWidth.of(scalar) == Int(wcwidth(wchar_t(bitPattern: scalar.value))), "U+\(String(scalar.value, radix: 16))")
        }
    }
}

@Suite struct TextLayoutTests {
    @Test func truncate_neverSplitsAWideCharacter() {
        #expect(TextLayout.truncate("日本語", toWidth: 5) == "日本")
        #expect(TextLayout.truncate("日本語", toWidth: 5, ellipsis: true) == "日本…")
        #expect(TextLayout.truncate("Ahvenanmaa", toWidth: 5, ellipsis: true) == "Ahve…")
        #expect(TextLayout.truncate("e\u{301}e\u{301}e\u{301}", toWidth: 2) == "e\u{301}e\u{301}")
        #expect(TextLayout.truncate("short", toWidth: 10, ellipsis: true) == "short")
    }

    @Test func wrap_breaksAtSpacesAndNeverOverflows() {
        let text = "Hyvä hakija, lähetä täydennyspyyntöön vastaus määräaikaan mennessä. 日本語のテキストも折り返す 😀😀😀"
        for width in [1, 2, 3, 7, 10, 21, 40] {
            let lines = TextLayout.wrap(text, width: width)
            for line in lines { #expect(DisplayWidth.of(line) <= width, "width \(width): \(line)") }
            // Nothing is lost except the spaces at the breaks.
            #expect(lines.joined().filter { $0 != " " } == text.filter { $0 != " " } || width < 2)
        }
        #expect(TextLayout.wrap("Hyvä hakija, lähetä", width: 12) == ["Hyvä hakija,", "lähetä"])
        #expect(TextLayout.wrap("a\n\nb", width: 5) == ["a", "", "b"])
        #expect(TextLayout.wrap("日本語", width: 5) == ["日本", "語"])
    }
}

@Suite struct SanitizerTests {
    @Test func escapeSequences_areDropped() {
        #expect(TerminalText.sanitize("a\u{1B}[31mred\u{1B}[0m") == "ared")
        #expect(TerminalText.sanitize("x\u{1B}]0;evil title\u{07}y") == "xy")  // OSC ended by BEL
        #expect(TerminalText.sanitize("x\u{1B}]8;;http://e\u{1B}\\link\u{1B}]8;;\u{1B}\\y") == "xlinky")  // OSC ended by ST
        #expect(TerminalText.sanitize("x\u{1B}P1$r\u{1B}\\y") == "xy")  // DCS
        #expect(TerminalText.sanitize("a\u{9B}2Jb") == "ab")  // C1 CSI
        #expect(TerminalText.sanitize("a\u{9D}0;t\u{9C}b") == "ab")  // C1 OSC and ST
        #expect(TerminalText.sanitize("a\u{1B}cb") == "ab")  // two-byte ESC c (reset)
        #expect(TerminalText.sanitize("a\u{1B}(Bb") == "ab")  // charset designation
        #expect(TerminalText.sanitize("a\u{85}b\u{8F}c") == "a bc")
    }

    @Test func controls_tabs_andNewlines() {
        #expect(TerminalText.sanitize("a\u{0}b\u{7}c\u{7F}d") == "abcd")
        #expect(TerminalText.sanitize("a\tb", tabWidth: 2) == "a  b")
        #expect(TerminalText.sanitize("one\ntwo\r\nthree") == "one two three")
        #expect(TerminalText.sanitize("one\ntwo\r\nthree\rfour", multiline: true) == "one\ntwo\nthree\nfour")
        #expect(TerminalText.sanitize("evil\u{202E}fdp.exe") == "evilfdp.exe")
        #expect(TerminalText.sanitize("Åsa Öberg 日本") == "Åsa Öberg 日本")
    }

    @Test func invalidUTF8_becomesReplacementCharacter() {
        #expect(TerminalText.sanitize(bytes: [0x61, 0xFF, 0x62, 0xC3]) == "a\u{FFFD}b\u{FFFD}")
        #expect(TerminalText.sanitize(bytes: Array("å".utf8)) == "å")
    }
}

@Suite struct CanvasTests {
    @Test func wideCharacters_takeTwoCellsAndAreNeverCut() {
        var canvas = Canvas(width: 5, height: 2)
        #expect(canvas.put("日本語", column: 0, row: 0) == 4)
        #expect(canvas.lines[0] == "日本")
        #expect(canvas[1, 0].width == 0)
        canvas.put("ab", column: 1, row: 1)
        canvas.put("日", column: 4, row: 1)  // would cross the edge: not drawn
        #expect(canvas.lines[1] == " ab")
        // Writing over the right half of a wide character blanks its left half.
        canvas.put("x", column: 1, row: 0)
        #expect(canvas.lines[0] == " x本")
    }

    @Test func combiningMarks_stayWithTheirBase() {
        var canvas = Canvas(width: 4, height: 1)
        #expect(canvas.put("e\u{301}a\u{308}", column: 0, row: 0) == 2)
        #expect(canvas[0, 0].text == "e\u{301}")
        #expect(canvas.lines[0] == "éä")
    }
}

@Suite struct FlushTests {
    /// The curses backend draws only these cells: a frame that changed one word redraws that word.
    @Test func onlyChangedCells_areFlushed() {
        var first = Canvas(width: 10, height: 2)
        first.put("Hei Åsa", column: 0, row: 0)
        #expect(first.changedCells(since: nil).count == 20)  // no previous frame: everything
        var second = first
        second.put("日", column: 4, row: 0)  // "Ås" becomes one wide grapheme
        #expect(second.changedCells(since: first) == [Position(column: 4, row: 0)])
        #expect(second.changedCells(since: second).isEmpty)
        #expect(second.changedCells(since: Canvas(width: 9, height: 2)).count == 19)  // resized: all again
    }
}

@Suite struct AsciiFallbackTests {
    @Test func everyGlyphOnScreen_hasAnASCIIFallback() {
        #expect(AsciiFallback.of("a") == .text("a"))
        #expect(AsciiFallback.of("─") == .line("q"))
        #expect(AsciiFallback.of("┌") == .line("l"))
        #expect(AsciiFallback.of("›") == .text(">"))
        #expect(AsciiFallback.of("…") == .text("~"), "not a dot, which would read as a file's extension")
        #expect(AsciiFallback.of("ä") == .text("a"))
        #expect(AsciiFallback.of("Å") == .text("A"))
        #expect(AsciiFallback.of("漢") == .text("?"))
        #expect(AsciiFallback.of("👍🏽") == .text("?"))
        // Every word of the three languages has an ASCII form with nothing left over.
        for language in Language.allCases {
            for text in StringTables.shared.table(language).values {
                for character in text {
                    guard case .text(let ascii) = AsciiFallback.of(String(character)) else { continue }
                    let isASCII = ascii.unicodeScalars.allSatisfy { $0.isASCII }
                    #expect(isASCII, "\(character)")
                }
            }
        }
    }
}

@Suite struct HangingIndentTests {
    /// A list item's continuation lines start under its text.
    @Test func aBulletedItem_wrapsUnderItsText() {
        #expect(TextLayout.wrap("  • Passport copy, every page, at a readable resolution", width: 30) == [
            "  • Passport copy, every page,",
            "    at a readable resolution",
        ])
        #expect(TextLayout.wrap("Plain text that wraps as it did", width: 16) == ["Plain text that", "wraps as it did"])
    }
}
