/// Read-only text, wrapped to the width it is shown at and scrolled by line or page.
public struct TextViewer: Sendable, Hashable {
    public private(set) var text: String
    public private(set) var lines: [String] = []
    public private(set) var top = 0
    public private(set) var width = 0
    public private(set) var height = 0

    /// `text` is sanitized here (multi-line), so text from the portal is safe to pass as is.
    public init(text: String) {
        self.text = TerminalText.sanitize(text, multiline: true)
    }

    /// Lays the text out for an area; call on every resize. Keeps the first shown line in view.
    public mutating func layout(width: Int, height: Int) {
        guard width != self.width || height != self.height else { return }
        let firstLine = lines.isEmpty ? 0 : fraction
        self.width = width
        self.height = height
        lines = TextLayout.wrap(text, width: width)
        top = Int((Double(lines.count) * firstLine).rounded(.down))
        clamp()
    }

    private var fraction: Double { lines.isEmpty ? 0 : Double(top) / Double(lines.count) }

    public var maxTop: Int { max(lines.count - height, 0) }

    public mutating func handle(_ key: Key) -> Bool {
        switch key {
        case .up, .character("k"): top -= 1
        case .down, .character("j"): top += 1
        case .pageUp, .character("b"): top -= max(height - 1, 1)
        case .pageDown, .character(" "): top += max(height - 1, 1)
        case .home, .character("g"): top = 0
        case .end, .character("G"): top = maxTop
        default: return false
        }
        clamp()
        return true
    }

    public mutating func handle(_ mouse: MouseEvent) -> Bool {
        switch mouse.action {
        case .wheelUp: top -= 3
        case .wheelDown: top += 3
        default: return false
        }
        clamp()
        return true
    }

    private mutating func clamp() { top = min(max(top, 0), maxTop) }

    /// Laid out for `area`: what keys are handled in, the same area it is drawn into.
    public mutating func layout(in area: Rect) { layout(width: area.width, height: area.height) }

    /// Draws into `area`, laid out for it (a terminal resized since the last key shows the text wrapped anew).
    public func draw(into canvas: inout Canvas, area: Rect) {
        if area.width != width || area.height != height {
            var shown = self
            shown.layout(in: area)
            shown.draw(into: &canvas, area: area)
            return
        }
        for (offset, line) in lines.dropFirst(top).prefix(area.height).enumerated() {
            canvas.put(line, column: area.column, row: area.row + offset, maxWidth: area.width)
        }
        canvas.cursor = Position(column: area.column, row: area.row)
    }
}
