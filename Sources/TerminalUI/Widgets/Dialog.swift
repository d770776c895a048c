/// A question with two answers; No has the focus first, so Enter alone never does the risky thing.
public struct ConfirmDialog: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable { case confirmed, cancelled, moved, ignored }

    public var title: String
    public var message: String
    public var confirmLabel: String
    public var cancelLabel: String
    public private(set) var confirmFocused = false

    public init(title: String, message: String, confirmLabel: String, cancelLabel: String) {
        self.title = title
        self.message = TerminalText.sanitize(message, multiline: true)
        self.confirmLabel = confirmLabel
        self.cancelLabel = cancelLabel
    }

    public mutating func handle(_ key: Key) -> Outcome {
        switch key {
        case .left, .right, .tab, .backTab, .character("h"), .character("l"):
            confirmFocused.toggle()
            return .moved
        case .enter, .character(" "):
            return confirmFocused ? .confirmed : .cancelled
        case .escape:
            return .cancelled
        default:
            return .ignored
        }
    }

    public func draw(into canvas: inout Canvas, area: Rect) {
        let buttons = [(confirmLabel, confirmFocused), (cancelLabel, !confirmFocused)]
        DialogFrame(title: title, message: message).draw(into: &canvas, area: area, buttons: buttons)
    }
}

/// The box, wrapped message and buttons that dialogs share. The focused button is bracketed with
/// markers and reversed, so it shows without colour; the terminal's cursor sits on it.
struct DialogFrame {
    var title: String
    var message: String
    var style: Style = .plain

    func draw(into canvas: inout Canvas, area: Rect, buttons: [(String, Bool)]) {
        let width = min(max(area.width - 8, 20), 60)
        let lines = TextLayout.wrap(message, width: width - 4)
        let box = area.centered(width: width, height: min(lines.count + 4, area.height))
        canvas.box(box, title: title, style: style)
        let inner = box.inset(by: 1)
        for (offset, line) in lines.prefix(max(inner.height - 2, 0)).enumerated() {
            canvas.put(line, column: inner.column + 1, row: inner.row + offset, maxWidth: inner.width - 2)
        }
        let labels = buttons.map { label, focused in focused ? "> \(label) <" : "[ \(label) ]" }
        let total = labels.map { DisplayWidth.of($0) }.reduce(0, +) + 2 * (labels.count - 1)
        var column = inner.column + max((inner.width - total) / 2, 0)
        let row = inner.row + inner.height - 1
        for (label, button) in zip(labels, buttons) {
            let focused = button.1
            if focused { canvas.cursor = Position(column: column + 2, row: row) }
            column += canvas.put(label, column: column, row: row, style: focused ? Style(bold: true, reverse: true) : .plain) + 2
        }
    }
}
