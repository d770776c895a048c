/// A single line of input; the masked variant (passwords) shows one bullet per character.
public struct TextField: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable { case edited, moved, submitted, cancelled, ignored }

    public private(set) var characters: [Character] = []
    public private(set) var cursor = 0
    public var isMasked: Bool
    /// At most this many characters; a paste beyond it is cut.
    public var maxLength: Int

    public init(text: String = "", masked: Bool = false, maxLength: Int = 1_000) {
        self.isMasked = masked
        self.maxLength = maxLength
        insert(text)
    }

    public var text: String { String(characters) }

    public mutating func setText(_ text: String) {
        characters = []
        cursor = 0
        insert(text)
    }

    public mutating func handle(_ key: Key) -> Outcome {
        switch key {
        case .character(let character):
            insert(String(character))
            return .edited
        case .backspace:
            guard cursor > 0 else { return .ignored }
            characters.remove(at: cursor - 1)
            cursor -= 1
            return .edited
        case .delete, .control("d"):
            guard cursor < characters.count else { return .ignored }
            characters.remove(at: cursor)
            return .edited
        case .control("u"):
            characters.removeFirst(cursor)
            cursor = 0
            return .edited
        case .control("k"):
            characters.removeLast(characters.count - cursor)
            return .edited
        case .left: cursor = max(cursor - 1, 0)
        case .right: cursor = min(cursor + 1, characters.count)
        case .home, .control("a"): cursor = 0
        case .end, .control("e"): cursor = characters.count
        case .wordLeft, .alt("b"): cursor = WordMotion.previousWordStart(in: characters, from: cursor)
        case .wordRight, .alt("f"): cursor = WordMotion.nextWordEnd(in: characters, from: cursor)
        case .enter: return .submitted
        case .escape: return .cancelled
        default: return .ignored
        }
        return .moved
    }

    /// Inserts pasted or typed text at the cursor; line breaks become spaces on a single line.
    public mutating func insert(_ text: String) {
        let clean = TerminalText.sanitize(text, multiline: false)
        let room = max(maxLength - characters.count, 0)
        let added = Array(clean.prefix(room))
        characters.insert(contentsOf: added, at: cursor)
        cursor += added.count
    }

    /// Draws the field, scrolled so the cursor is visible, and puts the terminal's cursor there.
    public func draw(into canvas: inout Canvas, area: Rect, focused: Bool = true) {
        let shown: [Character] = isMasked ? Array(repeating: "•", count: characters.count) : characters
        let style = Style(underline: true)
        canvas.fill(Rect(column: area.column, row: area.row, width: area.width, height: 1), style: style)
        // Scroll whole characters off the left until the cursor fits, leaving a column for it.
        var start = 0
        while DisplayWidth.of(String(shown[start..<cursor])) > area.width - 1, start < cursor { start += 1 }
        canvas.put(String(shown[start...]), column: area.column, row: area.row, maxWidth: area.width, style: style)
        if focused {
            canvas.cursor = Position(column: area.column + DisplayWidth.of(String(shown[start..<cursor])), row: area.row)
        }
    }
}

/// Word boundaries for Ctrl-Left/Right: a word is a run of letters, digits or marks.
enum WordMotion {
    static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_"
    }

    static func previousWordStart(in characters: [Character], from index: Int) -> Int {
        var position = index
        while position > 0, !isWordCharacter(characters[position - 1]) { position -= 1 }
        while position > 0, isWordCharacter(characters[position - 1]) { position -= 1 }
        return position
    }

    static func nextWordEnd(in characters: [Character], from index: Int) -> Int {
        var position = index
        while position < characters.count, !isWordCharacter(characters[position]) { position += 1 }
        while position < characters.count, isWordCharacter(characters[position]) { position += 1 }
        return position
    }
}
