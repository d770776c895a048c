/// One row of the current screen's keys, as users of mutt and lazygit expect.
///
/// When the row is too narrow for all of them, the essential hints stay (the keys that leave the screen),
/// the others are kept in order while they fit, and the first hint, help, says there is `more` in it.
public struct StatusBar: Sendable {
    public var hints: [KeyHint]
    /// The action the first hint (help) takes when some hints had to go, e.g. "more".
    public var more: String?
    public init(hints: [KeyHint], more: String? = nil) {
        self.hints = hints
        self.more = more
    }

    /// The hints drawn on a row `width` cells wide, in their order.
    public func shown(width: Int) -> [KeyHint] {
        let room = width - 2
        func needed(_ hints: [KeyHint]) -> Int {
            hints.reduce(0) { $0 + DisplayWidth.of($1.keys) + 1 + DisplayWidth.of($1.action) + 2 } - 2
        }
        if needed(hints) <= room { return hints }
        var kept = hints.enumerated().map { (index: $0.offset, hint: $0.element) }
        if let more, !kept.isEmpty { kept[0].hint.action = more }
        var chosen = kept.filter(\.hint.essential)
        for candidate in kept where !candidate.hint.essential {
            let trial = (chosen + [candidate]).sorted { $0.index < $1.index }
            if needed(trial.map(\.hint)) <= room { chosen = trial }
        }
        var result = chosen.sorted { $0.index < $1.index }.map(\.hint)
        // Even the essential ones may not fit a very narrow row: the last ones go, none is cut.
        while needed(result) > room, !result.isEmpty { result.removeLast() }
        return result
    }

    public func draw(into canvas: inout Canvas, row: Int) {
        canvas.fill(Rect(column: 0, row: row, width: canvas.width, height: 1), style: .bar)
        var column = 1
        for hint in shown(width: canvas.width) {
            column += canvas.put(hint.keys, column: column, row: row, style: Style(role: .bar, bold: true, reverse: true))
            column += canvas.put(" " + hint.action, column: column, row: row, style: .bar)
            column += 2
        }
    }
}

/// All keys of the current screen in a box, opened with `?`.
public struct HelpOverlay: Sendable {
    public var title: String
    public var hints: [KeyHint]
    public var closeHint: String

    public init(title: String, hints: [KeyHint], closeHint: String) {
        self.title = title
        self.hints = hints
        self.closeHint = closeHint
    }

    public func draw(into canvas: inout Canvas, area: Rect) {
        let keyColumn = min(hints.map { DisplayWidth.of($0.keys) }.max() ?? 0, 20)
        let box = area.centered(width: min(area.width - 4, 64), height: min(hints.count + 4, area.height - 2))
        canvas.box(box, title: title)
        let inner = box.inset(by: 1)
        for (offset, hint) in hints.prefix(max(inner.height - 1, 0)).enumerated() {
            let row = inner.row + offset
            canvas.put(TextLayout.truncate(hint.keys, toWidth: keyColumn), column: inner.column + 1, row: row, style: Style(bold: true))
            canvas.put(hint.action, column: inner.column + keyColumn + 3, row: row, maxWidth: inner.width - keyColumn - 4)
        }
        canvas.put(closeHint, column: inner.column + 1, row: inner.row + inner.height - 1, maxWidth: inner.width - 2, style: .muted)
        canvas.cursor = Position(column: inner.column + 1, row: inner.row)
    }
}

/// How far some work has come, drawn as a bar and a percentage.
public struct ProgressBar: Sendable, Hashable {
    /// 0...1; values outside are clamped.
    public var fraction: Double
    public var label: String

    public init(fraction: Double, label: String = "") {
        self.fraction = fraction
        self.label = label
    }

    public func draw(into canvas: inout Canvas, area: Rect) {
        let clamped = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        let percent = "\(Int((clamped * 100).rounded(.down))) %"
        var column = area.column
        if !label.isEmpty {
            column += canvas.put(TextLayout.truncate(label, toWidth: area.width / 2, ellipsis: true) + " ", column: column, row: area.row)
        }
        let barWidth = area.column + area.width - column - DisplayWidth.of(percent) - 3
        guard barWidth > 0 else {
            canvas.put(percent, column: column, row: area.row)
            return
        }
        let filled = Int((Double(barWidth) * clamped).rounded(.down))
        // "#" and "-" rather than block glyphs: every terminal font has them and they read without colour.
        canvas.put("[" + String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled) + "] " + percent,
                   column: column, row: area.row)
    }
}
