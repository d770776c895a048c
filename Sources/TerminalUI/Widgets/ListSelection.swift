/// The state of a scrollable, filterable list over items its owner keeps: which items pass the filter
/// (as indices), which one has the focus, and which rows are on screen. Moving costs O(1) and drawing
/// touches only the visible rows, so 10,000 items behave like 10; only a new filter walks all items.
public struct ListSelection: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case moved
        case activated(Int)
        /// The filter text changed: the owner calls `applyFilter`.
        case filterChanged
        case ignored
    }

    /// Indices into the owner's items that pass the filter, in display order.
    public private(set) var visible: [Int] = []
    /// Position of the focus in `visible`.
    public private(set) var cursor = 0
    /// Position in `visible` of the first row on screen.
    public private(set) var top = 0
    /// Rows the list has on screen: the height of the area keys were last handled in (`handle(_:in:)`).
    /// Drawing takes the height of the area it draws into.
    public var viewportHeight: Int = 10 { didSet { scrollToCursor() } }
    public private(set) var filter = ""
    /// Typing goes to the filter (after `/`).
    public private(set) var isEditingFilter = false

    public init() {}

    /// The focused item's index in the owner's items.
    public var focusedItem: Int? { visible.indices.contains(cursor) ? visible[cursor] : nil }

    /// Replaces the shown items, keeping the focus on the same item when it is still there.
    public mutating func setVisible(_ indices: [Int]) {
        let focused = focusedItem
        visible = indices
        if let focused, let position = indices.firstIndex(of: focused) {
            cursor = position
        } else {
            cursor = min(cursor, max(indices.count - 1, 0))
        }
        scrollToCursor()
    }

    /// Recomputes `visible` from `order` (all item indices in display order) with the owner's test.
    public mutating func applyFilter(order: some Sequence<Int>, matches: (Int) -> Bool) {
        setVisible(order.filter(matches))
    }

    public mutating func focus(position: Int) {
        guard !visible.isEmpty else { return }
        cursor = min(max(position, 0), visible.count - 1)
        scrollToCursor()
    }

    /// A key for the list as drawn into `area`: a page is the area's height.
    public mutating func handle(_ key: Key, in area: Rect) -> Outcome {
        viewportHeight = max(area.height, 1)
        return handle(key)
    }

    public mutating func handle(_ key: Key) -> Outcome {
        if isEditingFilter {
            switch key {
            case .character(let character):
                filter.append(character)
                return .filterChanged
            case .backspace:
                guard !filter.isEmpty else { isEditingFilter = false; return .moved }
                filter.removeLast()
                return .filterChanged
            case .escape:
                isEditingFilter = false
                if filter.isEmpty { return .moved }
                filter = ""
                return .filterChanged
            case .enter:
                isEditingFilter = false
                return .moved
            default:
                break  // arrows still move while filtering
            }
        }
        let page = max(viewportHeight - 1, 1)
        switch key {
        case .up, .character("k"): focus(position: cursor - 1)
        case .down, .character("j"): focus(position: cursor + 1)
        case .pageUp: focus(position: cursor - page)
        case .pageDown: focus(position: cursor + page)
        case .home, .character("g"): focus(position: 0)
        case .end, .character("G"): focus(position: visible.count - 1)
        case .enter:
            guard let item = focusedItem else { return .ignored }
            return .activated(item)
        case .character("/"):
            isEditingFilter = true
            return .moved
        case .escape where !filter.isEmpty:
            filter = ""
            return .filterChanged
        default:
            return .ignored
        }
        return .moved
    }

    /// Sets the filter text directly (a paste into the filter).
    public mutating func setFilter(_ text: String) {
        filter = text
    }

    /// A click focuses the row under it; a second click on the focused row activates it; the wheel scrolls.
    public mutating func handle(_ mouse: MouseEvent, area: Rect) -> Outcome {
        switch mouse.action {
        case .wheelUp:
            focus(position: cursor - 3)
            return .moved
        case .wheelDown:
            focus(position: cursor + 3)
            return .moved
        case .press(1):
            let position = firstRow(height: area.height) + mouse.position.row - area.row
            guard mouse.position.row >= area.row, mouse.position.row < area.row + area.height,
                  visible.indices.contains(position) else { return .ignored }
            if position == cursor, let item = focusedItem { return .activated(item) }
            focus(position: position)
            return .moved
        default:
            return .ignored
        }
    }

    /// The positions in `visible` on screen.
    public var visibleRange: Range<Int> { top..<min(top + max(viewportHeight, 0), visible.count) }

    /// Draws the rows on screen only: `row` gives the text and style of an item (by index), asked once
    /// per visible row. The focused row gets a marker and reverse video, and the terminal's cursor. A row too
    /// long for the area ends in "…", so a cut is seen as one.
    public func draw(into canvas: inout Canvas, area: Rect, focused: Bool = true, row: (Int) -> (text: String, style: Style)) {
        let first = firstRow(height: area.height)
        for (offset, position) in (first..<min(first + max(area.height, 0), visible.count)).enumerated() {
            let y = area.row + offset
            let (text, itemStyle) = row(visible[position])
            let isFocus = position == cursor
            var style = itemStyle
            if isFocus && focused { style.reverse = true }
            canvas.fill(Rect(column: area.column, row: y, width: area.width, height: 1), style: style)
            canvas.put(isFocus ? "›" : " ", column: area.column, row: y, style: style)
            canvas.put(TextLayout.truncate(text, toWidth: area.width - 2, ellipsis: true), column: area.column + 2, row: y,
                       maxWidth: area.width - 2, style: style)
            if isFocus && focused { canvas.cursor = Position(column: area.column, row: y) }
        }
    }

    /// The first row shown in an area `height` rows high: where the list was scrolled to, moved as little as
    /// keeps the focus in view (the area may be other than the one the last keys were handled in).
    public func firstRow(height: Int) -> Int {
        let height = max(height, 1)
        var first = top
        if cursor < first { first = cursor }
        if cursor >= first + height { first = cursor - height + 1 }
        return max(min(first, max(visible.count - height, 0)), 0)
    }

    private mutating func scrollToCursor() {
        let height = max(viewportHeight, 1)
        if cursor < top { top = cursor }
        if cursor >= top + height { top = cursor - height + 1 }
        top = max(min(top, max(visible.count - height, 0)), 0)
    }
}
