/// A vertical menu of choices; the focused one is shown by a marker and reverse video.
public struct Menu: Sendable, Hashable {
    public struct Item: Sendable, Hashable {
        public var title: String
        public var detail: String
        public init(_ title: String, detail: String = "") {
            self.title = title
            self.detail = detail
        }
    }

    public enum Outcome: Sendable, Hashable { case moved, chosen(Int), ignored }

    public var items: [Item]
    public private(set) var focus: Int = 0

    public init(items: [Item]) { self.items = items }

    public mutating func handle(_ key: Key) -> Outcome {
        guard !items.isEmpty else { return .ignored }
        switch key {
        case .up, .character("k"), .backTab: focus = (focus - 1 + items.count) % items.count
        case .down, .character("j"), .tab: focus = (focus + 1) % items.count
        case .home: focus = 0
        case .end: focus = items.count - 1
        case .enter, .character(" "): return .chosen(focus)
        case .character(let digit) where digit.wholeNumberValue.map({ (1...min(items.count, 9)).contains($0) }) == true:
            focus = (digit.wholeNumberValue ?? 1) - 1
            return .chosen(focus)
        default: return .ignored
        }
        return .moved
    }

    /// A click on an item's row chooses it.
    public mutating func handle(_ mouse: MouseEvent, area: Rect) -> Outcome {
        guard case .press(1) = mouse.action else { return .ignored }
        let index = mouse.position.row - area.row
        guard items.indices.contains(index), mouse.position.column >= area.column else { return .ignored }
        focus = index
        return .chosen(index)
    }

    public func draw(into canvas: inout Canvas, area: Rect, focused: Bool = true) {
        for (index, item) in items.prefix(area.height).enumerated() {
            let row = area.row + index
            let isFocus = index == focus
            let style: Style = isFocus && focused ? .focused : .plain
            canvas.fill(Rect(column: area.column, row: row, width: area.width, height: 1), style: style)
            let number = index < 9 ? "\(index + 1) " : "  "
            var column = area.column + canvas.put((isFocus ? "› " : "  ") + number, column: area.column, row: row, style: style)
            column += canvas.put(item.title, column: column, row: row, maxWidth: area.column + area.width - column, style: style)
            if !item.detail.isEmpty {
                canvas.put("  " + item.detail, column: column, row: row, maxWidth: area.column + area.width - column,
                           style: isFocus && focused ? style : .muted)
            }
            if isFocus && focused { canvas.cursor = Position(column: area.column, row: row) }
        }
    }
}
