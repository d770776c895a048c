import CNcursesw
import Testing
@testable import TerminalUI

@Suite struct KeyDecodingTests {
    @Test func cursesCodes_matchTheHeader() {
        #expect(CursesKeyCode.up == KEY_UP)
        #expect(CursesKeyCode.down == KEY_DOWN)
        #expect(CursesKeyCode.left == KEY_LEFT)
        #expect(CursesKeyCode.right == KEY_RIGHT)
        #expect(CursesKeyCode.home == KEY_HOME)
        #expect(CursesKeyCode.end == KEY_END)
        #expect(CursesKeyCode.pageUp == KEY_PPAGE)
        #expect(CursesKeyCode.pageDown == KEY_NPAGE)
        #expect(CursesKeyCode.backTab == KEY_BTAB)
        #expect(CursesKeyCode.delete == KEY_DC)
        #expect(CursesKeyCode.insert == KEY_IC)
        #expect(CursesKeyCode.backspace == KEY_BACKSPACE)
        #expect(CursesKeyCode.enter == KEY_ENTER)
        #expect(CursesKeyCode.resize == KEY_RESIZE)
        #expect(CursesKeyCode.mouse == KEY_MOUSE)
        #expect(CursesKeyCode.f0 == portti_key_f0())
    }

    @Test func functionKeyCodes() {
        #expect(Key.decode(keyCode: KEY_UP) == .up)
        #expect(Key.decode(keyCode: KEY_BTAB) == .backTab)
        #expect(Key.decode(keyCode: KEY_NPAGE) == .pageDown)
        #expect(Key.decode(keyCode: portti_key_f0() + 5) == .function(5))
        #expect(Key.decode(keyCode: 560, name: "kLFT5") == .wordLeft)
        #expect(Key.decode(keyCode: 575, name: "kRIT5") == .wordRight)
        #expect(Key.decode(keyCode: 999, name: nil) == .unknown(999))
    }

    @Test func characters() {
        #expect(Key.decode(character: 0x09) == .tab)
        #expect(Key.decode(character: 0x0D) == .enter)
        #expect(Key.decode(character: 0x0A) == .enter)
        #expect(Key.decode(character: 0x7F) == .backspace)
        #expect(Key.decode(character: 0x01) == .control("a"))
        #expect(Key.decode(character: 0x1A) == .control("z"))
        #expect(Key.decode(character: 0xE4) == .character("ä"))
        #expect(Key.decode(character: 0x65E5) == .character("日"))
        #expect(Key.decode(character: 0x61) == .character("a"))
    }
}

@Suite struct InputParserTests {
    private func raw(_ text: String) -> [RawInput] { text.unicodeScalars.map { .character($0.value) } }

    @Test func bracketedPaste_isOneEvent_evenSplitAcrossReads() {
        var parser = InputParser()
        var events = parser.feed(raw("x\u{1B}[200~Hej Åsa\r\nrad två"))
        #expect(events == [.key(.character("x"))])
        #expect(parser.isPasting)
        events = parser.feed(raw("\u{1B}[20"))
        #expect(events.isEmpty)
        events = parser.feed(raw("1~y"))
        #expect(events == [.paste("Hej Åsa\nrad två"), .key(.character("y"))])
    }

    @Test func pastedEscapeSequences_areSanitized() {
        var parser = InputParser()
        let events = parser.feed(raw("\u{1B}[200~a\u{1B}]0;t\u{07}b\u{1B}[201~"))
        #expect(events == [.paste("ab")])
    }

    @Test func sgrMouse_clickAndWheel() {
        var parser = InputParser()
        #expect(parser.feed(raw("\u{1B}[<0;10;5M")) == [.mouse(MouseEvent(.press(button: 1), at: Position(column: 9, row: 4)))])
        #expect(parser.feed(raw("\u{1B}[<0;10;5m")) == [.mouse(MouseEvent(.release, at: Position(column: 9, row: 4)))])
        #expect(parser.feed(raw("\u{1B}[<64;1;1M")) == [.mouse(MouseEvent(.wheelUp, at: Position(column: 0, row: 0)))])
        #expect(parser.feed(raw("\u{1B}[<65;3;2M")) == [.mouse(MouseEvent(.wheelDown, at: Position(column: 2, row: 1)))])
    }

    @Test func escape_alt_andCurses() {
        var parser = InputParser()
        #expect(parser.feed(raw("\u{1B}")) == [.key(.escape)])
        #expect(parser.feed(raw("\u{1B}b")) == [.key(.alt("b"))])
        // Esc pressed quickly, twice or three times, arrives in one read; every press counts.
        #expect(parser.feed(raw("\u{1B}\u{1B}")) == [.key(.escape), .key(.escape)])
        #expect(parser.feed(raw("\u{1B}\u{1B}\u{1B}")) == [.key(.escape), .key(.escape), .key(.escape)])
        #expect(parser.feed(raw("\u{1B}\u{1B}[B")) == [.key(.escape), .key(.down)])
        #expect(parser.feed(raw("\u{1B}[1;5C")) == [.key(.wordRight)])
        #expect(parser.feed([.keyCode(KEY_DOWN, name: "KEY_DOWN"), .character(0xF6)]) == [.key(.down), .key(.character("ö"))])
    }

    /// Home, End and the function keys in each encoding terminals send (tmux with TERM=xterm-256color
    /// sends ESC [1~ and ESC [4~; xterm ESC OH/ESC [H; rxvt ESC [7~; the Linux console ESC [11~ for F1).
    @Test func everyCommonEncodingOfAKey_isThatKey() {
        var parser = InputParser()
        for home in ["\u{1B}[1~", "\u{1B}[7~", "\u{1B}[H", "\u{1B}OH", "\u{1B}[1;1H"] {
            #expect(parser.feed(raw(home)) == [.key(.home)], "\(home.debugDescription)")
        }
        for end in ["\u{1B}[4~", "\u{1B}[8~", "\u{1B}[F", "\u{1B}OF"] {
            #expect(parser.feed(raw(end)) == [.key(.end)], "\(end.debugDescription)")
        }
        for f1 in ["\u{1B}OP", "\u{1B}[11~"] { #expect(parser.feed(raw(f1)) == [.key(.function(1))]) }
        #expect(parser.feed(raw("\u{1B}[24~")) == [.key(.function(12))])
        #expect(parser.feed(raw("\u{1B}[2~")) == [.key(.insert)])
        #expect(parser.feed(raw("\u{1B}[1;5H\u{1B}[1;5F")) == [.key(.documentStart), .key(.documentEnd)])
        #expect(parser.feed(raw("\u{1B}OA")) == [.key(.up)])
        #expect(parser.feed(raw("\u{1B}O")) == [.key(.alt("O"))], "Alt-O alone is still Alt-O")
    }
}
