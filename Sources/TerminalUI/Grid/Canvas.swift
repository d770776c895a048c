/// What a cell means, so the theme can colour it; never the only carrier of meaning (see `Style`).
public enum ColorRole: Int, Sendable, Hashable, CaseIterable {
    case normal, title, accent, selection, refused, muted, error, bar
}

/// How a cell is drawn. Focus and state are shown with reverse, bold or a marker, so the screen stays
/// readable with `NO_COLOR` and on terminals without colour.
public struct Style: Sendable, Hashable {
    public var role: ColorRole
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(role: ColorRole = .normal, bold: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.role = role
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = Style()
    public static let title = Style(role: .title, bold: true)
    public static let focused = Style(role: .selection, reverse: true)
    public static let bar = Style(role: .bar, reverse: true)
    public static let refused = Style(role: .refused)
    public static let muted = Style(role: .muted)
    public static let error = Style(role: .error, bold: true)
}

/// A column and row on the grid, zero-based from the top left.
public struct Position: Sendable, Hashable {
    public var column: Int
    public var row: Int
    public init(column: Int, row: Int) {
        self.column = column
        self.row = row
    }
}

/// A rectangle of the grid that a widget draws in.
public struct Rect: Sendable, Hashable {
    public var column: Int
    public var row: Int
    public var width: Int
    public var height: Int
    public init(column: Int, row: Int, width: Int, height: Int) {
        self.column = column
        self.row = row
        self.width = max(width, 0)
        self.height = max(height, 0)
    }
}

/// One cell: a grapheme (or "" for the right half of a wide one) and its style.
public struct Cell: Sendable, Hashable {
    public var text: String
    /// Columns the grapheme takes from this cell on: 1 or 2; 0 for a continuation cell.
    public var width: Int
    public var style: Style

    public init(text: String, width: Int, style: Style) {
        self.text = text
        self.width = width
        self.style = style
    }

    public static let blank = Cell(text: " ", width: 1, style: .plain)
}

/// The in-memory grid views draw into. The curses backend flushes what changed; tests read it as text.
public struct Canvas: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Where the terminal's cursor goes: the focused item, so screen readers and braille displays follow.
    public var cursor: Position?

    public init(width: Int, height: Int) {
        self.width = max(width, 0)
        self.height = max(height, 0)
        self.cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(column: 0, row: 0, width: width, height: height) }

    public subscript(column: Int, row: Int) -> Cell {
        cells[row * width + column]
    }

    /// Draws `text` (already sanitized) from `column` on `row`, clipped to `maxWidth` columns and to the grid.
    /// A wide grapheme that does not fit whole is not drawn. Returns the columns used.
    @discardableResult
    public mutating func put(_ text: some StringProtocol, column: Int, row: Int, maxWidth: Int? = nil, style: Style = .plain) -> Int {
        guard row >= 0, row < height, column < width else { return 0 }
        let limit = min(column + (maxWidth ?? width), width)
        var x = column
        for character in text {
            var columns = DisplayWidth.of(character)
            if columns == 0 {
                // A lone mark or control has nothing to attach to: show nothing, take nothing.
                if character.unicodeScalars.allSatisfy({ DisplayWidth.of($0) == 0 }) { continue }
                columns = 1
            }
            if x + columns > limit { break }
            if x >= 0 { setCell(x, row, Cell(text: String(character), width: columns, style: style)) }
            if columns == 2, x + 1 >= 0 { setCell(x + 1, row, Cell(text: "", width: 0, style: style)) }
            x += columns
        }
        return max(x - column, 0)
    }

    /// Fills a rectangle with blanks of `style`.
    public mutating func fill(_ area: Rect, style: Style = .plain) {
        let clipped = area.intersection(bounds)
        for row in clipped.row..<(clipped.row + clipped.height) {
            for column in clipped.column..<(clipped.column + clipped.width) {
                setCell(column, row, Cell(text: " ", width: 1, style: style))
            }
        }
    }

    /// Copies `other` onto this canvas with its top left at `origin`, cursor included.
    public mutating func draw(_ other: Canvas, at origin: Position) {
        for row in 0..<other.height where origin.row + row < height {
            for column in 0..<other.width where origin.column + column < width {
                cells[(origin.row + row) * width + origin.column + column] = other[column, row]
            }
        }
        if let cursor = other.cursor {
            self.cursor = Position(column: cursor.column + origin.column, row: cursor.row + origin.row)
        }
    }

    /// A box border around `area`, with an optional title on the top edge.
    public mutating func box(_ area: Rect, title: String? = nil, style: Style = .plain) {
        guard area.width >= 2, area.height >= 2 else { return }
        let right = area.column + area.width - 1
        let bottom = area.row + area.height - 1
        fill(area)
        put("┌" + String(repeating: "─", count: area.width - 2) + "┐", column: area.column, row: area.row, style: style)
        put("└" + String(repeating: "─", count: area.width - 2) + "┘", column: area.column, row: bottom, style: style)
        for row in (area.row + 1)..<bottom {
            put("│", column: area.column, row: row, style: style)
            put("│", column: right, row: row, style: style)
        }
        if let title, !title.isEmpty {
            put(" " + TextLayout.truncate(title, toWidth: area.width - 6, ellipsis: true) + " ",
                column: area.column + 2, row: area.row, style: Style(role: .title, bold: true))
        }
    }

    /// The cells that must be drawn to turn `previous` into this canvas: every leading cell when there is
    /// no comparable previous frame; otherwise those that changed, and a wide grapheme whose right half did.
    public func changedCells(since previous: Canvas?) -> [Position] {
        let comparable = previous.map { $0.width == width && $0.height == height } ?? false
        var changed: [Position] = []
        for row in 0..<height {
            for column in 0..<width {
                let cell = self[column, row]
                if cell.width == 0 { continue }  // a right half is drawn with its left half
                if comparable, let previous, previous[column, row] == cell,
                   cell.width == 1 || previous[column + 1, row] == self[column + 1, row] { continue }
                changed.append(Position(column: column, row: row))
            }
        }
        return changed
    }

    /// Each row as plain text without trailing spaces: the test backend's view of the screen.
    public var lines: [String] {
        (0..<height).map { row in
            var line = ""
            for column in 0..<width {
                line += self[column, row].text
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    /// All rows joined by newlines, for snapshot comparison.
    public var text: String { lines.joined(separator: "\n") }

    // Writing over half of a wide grapheme blanks its other half, so no cell is left orphaned.
    private mutating func setCell(_ column: Int, _ row: Int, _ cell: Cell) {
        guard column >= 0, column < width, row >= 0, row < height else { return }
        let index = row * width + column
        let old = cells[index]
        if old.width == 0, column > 0, cells[index - 1].width == 2 {
            cells[index - 1] = Cell(text: " ", width: 1, style: cells[index - 1].style)
        }
        if old.width == 2, column + 1 < width, cell.width != 2 {
            cells[index + 1] = Cell(text: " ", width: 1, style: old.style)
        }
        // A wide grapheme on the last column cannot be shown whole.
        if cell.width == 2, column + 1 >= width {
            cells[index] = Cell(text: " ", width: 1, style: cell.style)
            return
        }
        cells[index] = cell
    }
}

extension Rect {
    public func intersection(_ other: Rect) -> Rect {
        let left = max(column, other.column)
        let top = max(row, other.row)
        let right = min(column + width, other.column + other.width)
        let bottom = min(row + height, other.row + other.height)
        return Rect(column: left, row: top, width: right - left, height: bottom - top)
    }

    /// The area less `amount` cells on every side.
    public func inset(by amount: Int) -> Rect {
        Rect(column: column + amount, row: row + amount, width: width - 2 * amount, height: height - 2 * amount)
    }

    /// A centred rectangle of at most the given size inside this one.
    public func centered(width wanted: Int, height wantedHeight: Int) -> Rect {
        let w = min(wanted, width)
        let h = min(wantedHeight, height)
        return Rect(column: column + (width - w) / 2, row: row + (height - h) / 2, width: w, height: h)
    }
}
