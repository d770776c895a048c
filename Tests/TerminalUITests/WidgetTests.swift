import PorttiLocalization
import Testing
@testable import TerminalUI

@Suite struct ListTests {
    @Test func list_filterAsYouType_andSelection() {
        let items = ["Åsa Öberg", "Matti Meikäläinen", "山田太郎", "Maria Virtanen"]
        var list = ListSelection()
        list.setVisible(Array(items.indices))
        list.viewportHeight = 5
        func handle(_ key: Key) -> ListSelection.Outcome {
            let outcome = list.handle(key)
            if outcome == .filterChanged {
                let needle = list.filter.lowercased()
                list.applyFilter(order: items.indices) { needle.isEmpty || items[$0].lowercased().contains(needle) }
            }
            return outcome
        }
        #expect(handle(.character("/")) == .moved)
        #expect(handle(.character("m")) == .filterChanged)
        #expect(list.visible == [1, 3])
        #expect(handle(.character("ä")) == .filterChanged)
        #expect(list.visible.isEmpty)
        #expect(handle(.backspace) == .filterChanged)
        #expect(list.visible == [1, 3])
        _ = handle(.character("a"))
        _ = handle(.character("r"))
        #expect(list.visible == [3])
        #expect(handle(.enter) == .moved)  // ends filtering, keeps the filter
        #expect(list.focusedItem == 3)
        #expect(handle(.enter) == .activated(3))
        #expect(handle(.escape) == .filterChanged)  // Esc clears the filter
        #expect(list.visible.count == 4)
        #expect(list.focusedItem == 3)  // focus stays on the same item
        let canvas = render(width: 30, height: 4) { canvas in
            list.draw(into: &canvas, area: Rect(column: 0, row: 0, width: 30, height: 4)) { (items[$0], .plain) }
        }
        #expect(canvas.text == """
              Åsa Öberg
              Matti Meikäläinen
              山田太郎
            › Maria Virtanen
            """)
        #expect(canvas.cursor == Position(column: 0, row: 3))
    }

    /// 10,000 rows behave like 10: drawing asks only for the rows on screen, and moving never walks the list.
    @Test func list_tenThousandRows_drawsOnlyVisibleRows() {
        var selection = ListSelection()
        selection.setVisible(Array(0..<10_000))
        selection.viewportHeight = 20
        for _ in 0..<5_000 { _ = selection.handle(.down) }
        _ = selection.handle(.pageDown)
        #expect(selection.focusedItem == 5_019)
        #expect(selection.visibleRange == 5_000..<5_020)
        var asked: [Int] = []
        let canvas = render(width: 40, height: 20) { canvas in
            selection.draw(into: &canvas, area: Rect(column: 0, row: 0, width: 40, height: 20)) { index in
                asked.append(index)
                return ("row \(index)", .plain)
            }
        }
        #expect(asked == Array(5_000..<5_020))
        #expect(canvas.lines[19] == "› row 5019")
        _ = selection.handle(.end)
        #expect(selection.focusedItem == 9_999)
        _ = selection.handle(MouseEvent(.wheelUp, at: Position(column: 0, row: 0)), area: Rect(column: 0, row: 0, width: 40, height: 20))
        #expect(selection.focusedItem == 9_996)
    }

    /// A row longer than the list is wide ends in an ellipsis at the edge; one that fits is drawn whole.
    @Test func list_cutsALongRowWithAnEllipsis() {
        var selection = ListSelection()
        selection.setVisible([0, 1, 2])
        selection.viewportHeight = 3
        let rows = ["Response to a request for additional information", "Fits exactly here.", "決定決定決定決定決定"]
        let canvas = render(width: 20, height: 3) { canvas in
            selection.draw(into: &canvas, area: Rect(column: 0, row: 0, width: 20, height: 3)) { index in (rows[index], .plain) }
        }
        #expect(canvas.lines[0] == "› Response to a req…")
        #expect(canvas.lines[1] == "  Fits exactly here.", "18 columns in 18: whole, no ellipsis")
        // 20 columns of wide letters in 18: eight of them and the ellipsis, never half a letter.
        #expect(canvas.lines[2].hasPrefix("  決定決定決定決定…"), "\(canvas.lines[2])")
    }
}

@Suite struct TextViewerTests {
    @Test func viewer_wrapsAndScrolls() {
        var viewer = TextViewer(text: "Päätös on tehty.\u{1B}[2J Hakemuksesi on käsitelty ja päätös on luettavissa palvelussa. 日本語の文章もここにあります。\nViimeinen rivi.")
        viewer.layout(width: 20, height: 3)
        #expect(viewer.lines.allSatisfy { DisplayWidth.of($0) <= 20 })
        let first = render(width: 20, height: 3) { viewer.draw(into: &$0, area: $0.bounds) }
        #expect(first.text == """
            Päätös on tehty.
            Hakemuksesi on
            käsitelty ja päätös
            """)
        do { let outcome = viewer.handle(.pageDown); #expect(outcome) }
        #expect(viewer.top == 2)
        do { let outcome = viewer.handle(.end); #expect(outcome) }
        let last = render(width: 20, height: 3) { viewer.draw(into: &$0, area: $0.bounds) }
        #expect(last.lines.last == "Viimeinen rivi.")
        do { let outcome = viewer.handle(.down); #expect(outcome) }
        #expect(viewer.top == viewer.maxTop)  // cannot scroll past the end
        // A resize re-wraps and keeps the place roughly.
        viewer.layout(width: 40, height: 3)
        #expect(viewer.top <= viewer.maxTop)
        #expect(viewer.lines.count < 8)
    }
}

@Suite struct TextFieldTests {
    @Test func field_editsByGrapheme_andMasks() {
        var field = TextField()
        for character in "Åsa日本" { _ = field.handle(.character(character)) }
        #expect(field.text == "Åsa日本")
        do { let outcome = field.handle(.backspace); #expect(outcome == .edited) }
        #expect(field.text == "Åsa日")
        do { let outcome = field.handle(.home); #expect(outcome == .moved) }
        do { let outcome = field.handle(.delete); #expect(outcome == .edited) }
        #expect(field.text == "sa日")
        field.insert("x\ny\u{1B}[31m")
        #expect(field.text == "x ysa日")
        do { let outcome = field.handle(.enter); #expect(outcome == .submitted) }
        let canvas = render(width: 12, height: 1) { field.draw(into: &$0, area: $0.bounds) }
        #expect(canvas.text == "x ysa日")
        #expect(canvas.cursor == Position(column: 3, row: 0))

        var password = TextField(masked: true)
        for character in "salasana" { _ = password.handle(.character(character)) }
        let masked = render(width: 12, height: 1) { password.draw(into: &$0, area: $0.bounds) }
        #expect(masked.text == "••••••••")
        #expect(!masked.text.contains("s"))
        #expect(password.text == "salasana")
        #expect(masked.cursor == Position(column: 8, row: 0))
    }

    @Test func field_scrollsToKeepTheCursorVisible() {
        var field = TextField(text: "0123456789abcdef")
        let canvas = render(width: 8, height: 1) { field.draw(into: &$0, area: $0.bounds) }
        #expect(canvas.text == "9abcdef")
        #expect(canvas.cursor == Position(column: 7, row: 0))
        _ = field.handle(.wordLeft)
        #expect(field.cursor == 0)
    }
}

@Suite struct TextEditorTests {
    @Test func editor_movesByCharacterWordLineAndPage() {
        var editor = TextEditor(text: "Hyvä virkailija,\nliitteenä on päätös.\nKiitos")
        editor.layout(width: 40, height: 2)
        #expect(editor.cursor == .init(line: 2, column: 6))
        _ = editor.handle(.documentStart)
        _ = editor.handle(.wordRight)
        #expect(editor.cursor == .init(line: 0, column: 4))
        _ = editor.handle(.wordRight)
        #expect(editor.cursor == .init(line: 0, column: 15))
        _ = editor.handle(.down)
        #expect(editor.cursor == .init(line: 1, column: 15))
        _ = editor.handle(.wordLeft)
        #expect(editor.cursor == .init(line: 1, column: 13))
        _ = editor.handle(.end)
        _ = editor.handle(.right)  // past the end goes to the next line
        #expect(editor.cursor == .init(line: 2, column: 0))
        _ = editor.handle(.pageUp)
        #expect(editor.cursor.line == 1)
        _ = editor.handle(.home)
        _ = editor.handle(.left)
        #expect(editor.cursor == .init(line: 0, column: 16))
    }

    @Test func editor_insertDeleteAndUndo_areGraphemeSafe() {
        var editor = TextEditor()
        editor.layout(width: 20, height: 5)
        for character in "Åsa 日本" { _ = editor.handle(.character(character)) }
        _ = editor.handle(.enter)
        for character in "e" { _ = editor.handle(.character(character)) }
        _ = editor.handle(.character("\u{301}"))  // a combining mark joins the e
        #expect(editor.text == "Åsa 日本\né")
        #expect(editor.lines[1].count == 1)
        _ = editor.handle(.backspace)
        #expect(editor.text == "Åsa 日本\n")
        _ = editor.handle(.backspace)  // joins the lines
        #expect(editor.text == "Åsa 日本")
        _ = editor.handle(.backspace)
        #expect(editor.text == "Åsa 日")
        do { let outcome = editor.undo(); #expect(outcome) }
        #expect(editor.text == "Åsa 日本")
        do { let outcome = editor.undo(); #expect(outcome) }
        do { let outcome = editor.undo(); #expect(outcome) }
        do { let outcome = editor.undo(); #expect(outcome) }
        #expect(editor.text == "Åsa 日本\n")  // "e" and its mark were one typed run
        _ = editor.handle(.control("z"))
        #expect(editor.text == "Åsa 日本")
        _ = editor.handle(.control("z"))  // the typed run "Åsa 日本" is one step
        #expect(editor.text == "")
        #expect(!editor.canUndo)
        editor.paste("rivi 1\r\nrivi 2\u{1B}]0;x\u{07}")
        #expect(editor.text == "rivi 1\nrivi 2")
        _ = editor.handle(.control("z"))
        #expect(editor.text == "")
    }

    /// An emoji sequence takes two columns in the text, under the cursor and when erased: Backspace leaves
    /// no cell of it behind.
    @Test func editor_emojiSequences_drawMoveAndEraseAsOne() {
        var editor = TextEditor()
        editor.layout(width: 20, height: 2)
        for character in ["a", "👍🏽", "👨‍👩‍👧", "b"] { _ = editor.handle(.character(Character(character))) }
        var canvas = render(width: 20, height: 2) { editor.draw(into: &$0, area: $0.bounds) }
        #expect(canvas.cursor == Position(column: 6, row: 0))
        #expect(canvas[1, 0].text == "👍🏽" && canvas[2, 0].width == 0 && canvas[3, 0].text == "👨‍👩‍👧" && canvas[5, 0].text == "b")
        _ = editor.handle(.backspace)
        _ = editor.handle(.backspace)
        canvas = render(width: 20, height: 2) { editor.draw(into: &$0, area: $0.bounds) }
        #expect(canvas.lines[0] == "a👍🏽")
        #expect(canvas.cursor == Position(column: 3, row: 0))
        #expect(canvas[3, 0].text == " ", "nothing of the family is left")
    }

    /// Words are not cut in the middle: a line wraps after the last blank that fits.
    @Test func editor_wrapsAtWords() {
        var editor = TextEditor(text: "Lähetän työsopimuksen huomenna aamulla")
        editor.layout(width: 16, height: 4)
        let canvas = render(width: 16, height: 4) { editor.draw(into: &$0, area: $0.bounds) }
        #expect(canvas.lines == ["Lähetän", "työsopimuksen", "huomenna", "aamulla"])
        #expect(canvas.cursor == Position(column: 7, row: 3))
        _ = editor.handle(.up)
        _ = editor.handle(.character("X"))
        #expect(editor.text == "Lähetän työsopimuksen huomennXa aamulla", "up keeps the column on the row above")
    }

    @Test func editor_wrapsLongLines_andPlacesTheCursor() {
        var editor = TextEditor(text: "Täydennyspyyntöön vastaaminen 日本語のテキスト")
        editor.layout(width: 12, height: 4)
        let canvas = render(width: 12, height: 4) { editor.draw(into: &$0, area: $0.bounds) }
        #expect(fitsWidth(canvas))
        // A word wider than the editor is cut where it must; the rest wrap after their blanks.
        #expect(canvas.text == """
            yntöön
            vastaaminen
            日本語のテ
            キスト
            """)
        #expect(canvas.cursor == Position(column: 6, row: 3))
        _ = editor.handle(.up)
        #expect(editor.cursor.column < editor.lines[0].count)
        let moved = render(width: 12, height: 4) { editor.draw(into: &$0, area: $0.bounds) }
        #expect(moved.cursor?.row == 2)
    }
}

@Suite struct DialogTests {
    @Test func confirm_snapshot_andDefaultIsNo() {
        var dialog = ConfirmDialog(title: finnish("tui.key.cancel"), message: "Hylätäänkö luonnos? Kirjoittamasi teksti menetetään.",
                                   confirmLabel: finnish("tui.dialog.yes"), cancelLabel: finnish("tui.dialog.no"))
        let canvas = render(width: 80, height: 24) { dialog.draw(into: &$0, area: $0.bounds) }
        #expect(canvas.lines[0..<9].allSatisfy(\.isEmpty) && canvas.lines[14...].allSatisfy(\.isEmpty))
        #expect(canvas.lines[9...13].joined(separator: "\n") == """
                      ┌─ Peruuta ────────────────────────────────────────────────┐
                      │ Hylätäänkö luonnos? Kirjoittamasi teksti menetetään.     │
                      │                                                          │
                      │                    [ Kyllä ]  > Ei <                     │
                      └──────────────────────────────────────────────────────────┘
            """)
        #expect(canvas.cursor == Position(column: 44, row: 12))  // on the focused button
        do { let outcome = dialog.handle(.enter); #expect(outcome == .cancelled) }
        do { let outcome = dialog.handle(.tab); #expect(outcome == .moved) }
        do { let outcome = dialog.handle(.enter); #expect(outcome == .confirmed) }
        do { let outcome = dialog.handle(.escape); #expect(outcome == .cancelled) }
    }
}

@Suite struct BarTests {
    @Test func progressBar_clampsAndFits() {
        let canvas = render(width: 40, height: 3) { canvas in
            ProgressBar(fraction: 0.5, label: "Lähetetään").draw(into: &canvas, area: Rect(column: 0, row: 0, width: 40, height: 1))
            ProgressBar(fraction: 1.7).draw(into: &canvas, area: Rect(column: 0, row: 1, width: 20, height: 1))
            ProgressBar(fraction: .nan).draw(into: &canvas, area: Rect(column: 0, row: 2, width: 20, height: 1))
        }
        #expect(canvas.lines == [
            "Lähetetään [###########-----------] 50 %",
            "[############] 100 %",
            "[--------------] 0 %",
        ])
        #expect(fitsWidth(canvas))
    }

    @Test func statusBar_dropsHintsThatDoNotFit() {
        let canvas = render(width: 30, height: 1) { canvas in
            StatusBar(hints: [KeyHint("↑↓", "Siirry"), KeyHint("Enter", "Avaa"), KeyHint("?", "Ohje")]).draw(into: &canvas, row: 0)
        }
        #expect(canvas.text == " ↑↓ Siirry  Enter Avaa")  // the last would touch the edge
        let narrow = render(width: 20, height: 1) { canvas in
            StatusBar(hints: [KeyHint("↑↓", "Siirry"), KeyHint("Enter", "Avaa"), KeyHint("?", "Ohje")]).draw(into: &canvas, row: 0)
        }
        #expect(narrow.text == " ↑↓ Siirry  ? Ohje")  // what does not fit is left out, not what follows it
        #expect(narrow[0, 0].style.reverse)
    }

    /// The keys that leave a screen stay however narrow the bar, and help then says there is more in it.
    @Test func statusBar_keepsTheKeysThatLeave_andSaysThereIsMore() {
        let hints = [KeyHint("F1", "Ohje", essential: true), KeyHint("^R", "Tarkista", essential: true),
                     KeyHint("^O", "Liitä tiedosto"), KeyHint("^E", "Avaa editorissa"), KeyHint("^D", "Poista liite"),
                     KeyHint("Esc", "Takaisin", essential: true), KeyHint("F2", "Kieli", essential: true)]
        let wide = render(width: 110, height: 1) { StatusBar(hints: hints, more: "lisää").draw(into: &$0, row: 0) }
        #expect(wide.text == " F1 Ohje  ^R Tarkista  ^O Liitä tiedosto  ^E Avaa editorissa  ^D Poista liite  Esc Takaisin  F2 Kieli")
        let narrow = render(width: 70, height: 1) { StatusBar(hints: hints, more: "lisää").draw(into: &$0, row: 0) }
        #expect(narrow.text == " F1 lisää  ^R Tarkista  ^O Liitä tiedosto  Esc Takaisin  F2 Kieli")
        let tiny = render(width: 30, height: 1) { StatusBar(hints: hints, more: "lisää").draw(into: &$0, row: 0) }
        #expect(tiny.text == " F1 lisää  ^R Tarkista")
    }
}
