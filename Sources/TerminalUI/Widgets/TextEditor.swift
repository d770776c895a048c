/// Multi-line text with a cursor: moves by character, word, line and page; inserts and deletes whole
/// graphemes; wraps long lines to its width; undoes edits (typing a run of characters is one step).
public struct TextEditor: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable { case edited, moved, ignored }

    public struct Cursor: Sendable, Hashable {
        public var line: Int
        public var column: Int  // in graphemes
        public init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }
    }

    private struct Snapshot: Sendable, Hashable {
        var lines: [[Character]]
        var cursor: Cursor
    }

    private enum EditKind: Sendable, Hashable { case typing, other }

    public private(set) var lines: [[Character]] = [[]]
    public private(set) var cursor = Cursor(line: 0, column: 0)
    /// First visual (wrapped) row on screen.
    public private(set) var top = 0
    public private(set) var width = 40
    public private(set) var height = 10
    private var undoStack: [Snapshot] = []
    private var redoStack: [Snapshot] = []
    private var lastEdit: EditKind?
    /// How many undo steps were ever recorded: a caller that also undoes its own changes (removing an
    /// attachment) compares it before and after a key to keep one order of steps.
    public private(set) var recordedSteps = 0
    public var undoLimit = 200

    public init(text: String = "") {
        if !text.isEmpty { insertText(text, recordUndo: false) }
    }

    public var text: String { lines.map { String($0) }.joined(separator: "\n") }

    public var canUndo: Bool { !undoStack.isEmpty }

    public mutating func layout(width: Int, height: Int) {
        self.width = max(width, 2)
        self.height = max(height, 1)
        scrollToCursor()
    }

    public mutating func handle(_ key: Key) -> Outcome {
        switch key {
        case .character(let character):
            record(.typing)
            insertCharacters([character])
            return .edited
        case .enter:
            record(.other)
            splitLine()
            return .edited
        case .tab:
            record(.typing)
            insertCharacters(["\t"])
            return .edited
        case .backspace:
            guard cursor.column > 0 || cursor.line > 0 else { return .ignored }
            record(.other)
            deleteBackward()
            return .edited
        case .delete, .control("d"):
            guard cursor.column < lines[cursor.line].count || cursor.line < lines.count - 1 else { return .ignored }
            record(.other)
            deleteForward()
            return .edited
        case .control("z"), .control("_"):
            return undo() ? .edited : .ignored
        case .control("y"):
            return redo() ? .edited : .ignored
        case .left: moveLeft()
        case .right: moveRight()
        case .up: moveVertically(by: -1)
        case .down: moveVertically(by: 1)
        case .wordLeft, .alt("b"): moveWordLeft()
        case .wordRight, .alt("f"): moveWordRight()
        case .home, .control("a"): cursor.column = 0
        case .end, .control("e"): cursor.column = lines[cursor.line].count
        case .pageUp: moveVertically(by: -max(height - 1, 1))
        case .pageDown: moveVertically(by: max(height - 1, 1))
        case .documentStart: cursor = Cursor(line: 0, column: 0)
        case .documentEnd: cursor = Cursor(line: lines.count - 1, column: lines[lines.count - 1].count)
        default: return .ignored
        }
        lastEdit = nil
        scrollToCursor()
        return .moved
    }

    /// Inserts a paste at the cursor, as one undo step.
    public mutating func paste(_ text: String) {
        record(.other)
        insertText(text, recordUndo: false)
    }

    @discardableResult
    public mutating func undo() -> Bool {
        guard let snapshot = undoStack.popLast() else { return false }
        redoStack.append(Snapshot(lines: lines, cursor: cursor))
        restore(snapshot)
        return true
    }

    /// Ends the current run of typing, so the next character starts an undo step of its own: the caller
    /// did something between (removed an attachment) that undo must not jump over.
    public mutating func endTypingRun() { lastEdit = nil }

    /// Replaces the whole text (from an external editor) as one undo step, the cursor at its end.
    public mutating func replaceAll(with text: String) {
        record(.other)
        lines = [[]]
        cursor = Cursor(line: 0, column: 0)
        insertText(text, recordUndo: false)
    }

    /// Takes back the last undo; any new edit forgets what could be redone.
    @discardableResult
    public mutating func redo() -> Bool {
        guard let snapshot = redoStack.popLast() else { return false }
        undoStack.append(Snapshot(lines: lines, cursor: cursor))
        restore(snapshot)
        return true
    }

    private mutating func restore(_ snapshot: Snapshot) {
        lines = snapshot.lines
        cursor = snapshot.cursor
        lastEdit = nil
        scrollToCursor()
    }

    // MARK: Editing

    private mutating func record(_ kind: EditKind) {
        redoStack.removeAll()
        // A run of typed characters undoes as one step, as in most editors.
        if kind == .typing, lastEdit == .typing { return }
        undoStack.append(Snapshot(lines: lines, cursor: cursor))
        if undoStack.count > undoLimit { undoStack.removeFirst() }
        recordedSteps += 1
        lastEdit = kind
    }

    private mutating func insertText(_ text: String, recordUndo: Bool) {
        // Tabs stay tabs: what the user writes is sent as written; only drawing widens them.
        let clean = TerminalText.sanitize(text, multiline: true, tabWidth: 0)
        for (index, part) in clean.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if index > 0 { splitLine() }
            insertCharacters(Array(part))
        }
        scrollToCursor()
    }

    private mutating func insertCharacters(_ characters: [Character]) {
        let clean = characters.filter { character in
            character == "\t" || (!(character.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false) && character != "\r\n")
        }
        // Appending a combining mark to the previous grapheme makes one grapheme, as String does.
        var line = String(lines[cursor.line][..<cursor.column]) + String(clean)
        let before = line.count
        line += String(lines[cursor.line][cursor.column...])
        lines[cursor.line] = Array(line)
        cursor.column = before
        scrollToCursor()
    }

    private mutating func splitLine() {
        let rest = Array(lines[cursor.line][cursor.column...])
        lines[cursor.line].removeSubrange(cursor.column...)
        lines.insert(rest, at: cursor.line + 1)
        cursor = Cursor(line: cursor.line + 1, column: 0)
        scrollToCursor()
    }

    private mutating func deleteBackward() {
        if cursor.column > 0 {
            lines[cursor.line].remove(at: cursor.column - 1)
            cursor.column -= 1
        } else {
            let previousLength = lines[cursor.line - 1].count
            lines[cursor.line - 1] += lines[cursor.line]
            lines.remove(at: cursor.line)
            cursor = Cursor(line: cursor.line - 1, column: previousLength)
        }
        scrollToCursor()
    }

    private mutating func deleteForward() {
        if cursor.column < lines[cursor.line].count {
            lines[cursor.line].remove(at: cursor.column)
        } else {
            lines[cursor.line] += lines[cursor.line + 1]
            lines.remove(at: cursor.line + 1)
        }
    }

    // MARK: Moving

    private mutating func moveLeft() {
        if cursor.column > 0 { cursor.column -= 1 } else if cursor.line > 0 {
            cursor.line -= 1
            cursor.column = lines[cursor.line].count
        }
    }

    private mutating func moveRight() {
        if cursor.column < lines[cursor.line].count { cursor.column += 1 } else if cursor.line < lines.count - 1 {
            cursor = Cursor(line: cursor.line + 1, column: 0)
        }
    }

    private mutating func moveWordLeft() {
        if cursor.column == 0 { moveLeft(); return }
        cursor.column = WordMotion.previousWordStart(in: lines[cursor.line], from: cursor.column)
    }

    private mutating func moveWordRight() {
        if cursor.column == lines[cursor.line].count { moveRight(); return }
        cursor.column = WordMotion.nextWordEnd(in: lines[cursor.line], from: cursor.column)
    }

    /// Moves by visual (wrapped) rows, keeping the cursor's screen column where the row allows.
    private mutating func moveVertically(by rows: Int) {
        var (segmentIndex, x) = visualPosition(of: cursor)
        var line = cursor.line
        var remaining = abs(rows)
        while remaining > 0 {
            if rows < 0 {
                if segmentIndex > 0 { segmentIndex -= 1 } else if line > 0 {
                    line -= 1
                    segmentIndex = segments(of: lines[line]).count - 1
                } else { x = 0; break }
            } else {
                if segmentIndex < segments(of: lines[line]).count - 1 { segmentIndex += 1 } else if line < lines.count - 1 {
                    line += 1
                    segmentIndex = 0
                } else { x = Int.max; break }
            }
            remaining -= 1
        }
        let segment = segments(of: lines[line])[segmentIndex]
        var column = segment.lowerBound
        var used = 0
        while column < segment.upperBound, used + Self.columns(of: lines[line][column]) <= x {
            used += Self.columns(of: lines[line][column])
            column += 1
        }
        // The end of a segment that wraps is the start of the next: stay on this visual row.
        if column == segment.upperBound, segment.upperBound < lines[line].count, column > segment.lowerBound { column -= 1 }
        cursor = Cursor(line: line, column: column)
    }

    // MARK: Layout

    /// The one width rule for laying out, drawing and placing the cursor: a grapheme's columns as the
    /// canvas draws it, and a tab as `tabColumns` blanks.
    static func columns(of character: Character) -> Int {
        character == "\t" ? tabColumns : max(DisplayWidth.of(character), 1)
    }

    /// The columns a tab takes on screen, wherever a message is drawn.
    public static let tabColumns = 4

    /// A line cut into pieces of at most `width - 1` columns (the last column is kept for the cursor): after
    /// the last blank that fits, as people write, or at a grapheme boundary when a word is longer than the
    /// width. Blanks stay at the end of their piece, so every grapheme is in exactly one. An empty line is
    /// one empty piece.
    func segments(of line: [Character]) -> [Range<Int>] {
        let limit = max(width - 1, 1)
        var result: [Range<Int>] = []
        var start = 0
        var used = 0
        var index = 0
        while index < line.count {
            let columns = Self.columns(of: line[index])
            if used + columns > limit, index > start, !line[index].isWhitespace {
                // Break after the last blank in this piece, else here (a word wider than the piece).
                let afterBlank = (start + 1...index).last { line[$0 - 1].isWhitespace } ?? index
                result.append(start..<afterBlank)
                start = afterBlank
                used = line[start..<index].reduce(0) { $0 + Self.columns(of: $1) }
                continue
            }
            // Blanks that run past the edge stay on the piece they end, as word processors keep them.
            used += columns
            index += 1
        }
        result.append(start..<line.count)
        return result
    }

    private func visualPosition(of cursor: Cursor) -> (segment: Int, x: Int) {
        let pieces = segments(of: lines[cursor.line])
        let index = pieces.lastIndex { $0.lowerBound <= cursor.column } ?? 0
        let x = lines[cursor.line][pieces[index].lowerBound..<cursor.column].reduce(0) { $0 + Self.columns(of: $1) }
        return (index, x)
    }

    private func visualRow(of cursor: Cursor) -> Int {
        var row = 0
        for line in lines.prefix(cursor.line) { row += segments(of: line).count }
        return row + visualPosition(of: cursor).segment
    }

    private mutating func scrollToCursor() {
        let row = visualRow(of: cursor)
        if row < top { top = row }
        if row >= top + height { top = row - height + 1 }
    }

    /// Laid out for `area`: what keys are handled in, the same area it is drawn into.
    public mutating func layout(in area: Rect) { layout(width: area.width, height: area.height) }

    /// Draws into `area`, laid out for it: a terminal resized since the last key shows the text wrapped anew.
    public func draw(into canvas: inout Canvas, area: Rect, focused: Bool = true) {
        if max(area.width, 2) != width || max(area.height, 1) != height {
            var shown = self
            shown.layout(in: area)
            shown.draw(into: &canvas, area: area, focused: focused)
            return
        }
        var row = 0
        let cursorRow = visualRow(of: cursor)
        outer: for (lineIndex, line) in lines.enumerated() {
            for (segmentIndex, segment) in segments(of: line).enumerated() {
                defer { row += 1 }
                if row < top { continue }
                if row >= top + area.height { break outer }
                let y = area.row + row - top
                let shown = line[segment].map { $0 == "\t" ? String(repeating: " ", count: Self.tabColumns) : String($0) }.joined()
                canvas.put(shown, column: area.column, row: y, maxWidth: area.width)
                if focused, row == cursorRow, lineIndex == cursor.line, segmentIndex == visualPosition(of: cursor).segment {
                    canvas.cursor = Position(column: area.column + visualPosition(of: cursor).x, row: y)
                }
            }
        }
    }
}
