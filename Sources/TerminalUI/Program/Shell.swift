import PorttiLocalization

/// The frame around any screen: the status bar of its keys on the last row, the help overlay on `?`, and
/// a translated notice instead of broken drawing when the terminal is smaller than the minimum size.
public struct Shell<Screen: Program>: Program {
    public enum Message: InputMessage {
        case input(InputEvent)
        case screen(Screen.Message)
    }

    public var screen: Screen
    public private(set) var showingHelp = false
    /// The words of the frame: the screen's own language when it has one (it may switch), else these.
    public var strings: StringTable { (screen as? any TranslatedProgram)?.strings ?? launchStrings }
    private let launchStrings: StringTable
    public let minimumSize: (width: Int, height: Int)
    /// The terminal's size, once told.
    private var size: (width: Int, height: Int)?

    public init(_ screen: Screen, strings: StringTable, minimumWidth: Int = 80, minimumHeight: Int = 24) {
        self.screen = screen
        self.launchStrings = strings
        self.minimumSize = (minimumWidth, minimumHeight)
    }

    public mutating func start() -> [Effect<Message>] {
        screen.start().map { $0.map(Message.screen) }
    }

    public mutating func update(_ message: Message) -> [Effect<Message>] {
        switch message {
        case .screen(let inner):
            return screen.update(inner).map { $0.map(Message.screen) }
        case .input(.resize(let width, let height)):
            size = (width, height)
            // The screen learns the size it will really get: all but the status bar row.
            return screen.update(Screen.Message.input(.resize(width: width, height: max(height - 1, 0)))).map { $0.map(Message.screen) }
        case .input(let event):
            switch gate {
            case .closed:
                return []
            case .help:
                if case .key(let key) = event, [.escape, .character("?"), .character("q"), .enter, .function(1)].contains(key) {
                    showingHelp = false
                }
                return []
            case .screen:
                // F1 opens help everywhere, as in terminal programs; `?` too where it is not text being typed.
                if case .key(let key) = event, key == .function(1) || (key == .character("?") && !screen.capturesText) {
                    showingHelp = true
                    return []
                }
                return screen.update(Screen.Message.input(event)).map { $0.map(Message.screen) }
            }
        }
    }

    /// Where input goes: only to what is on screen. Under the "too small" notice the screen is not drawn, so
    /// nothing reaches it (Enter must not send a message nobody sees); the help overlay takes every key.
    public enum Gate: Sendable, Equatable {
        case closed
        case help
        case screen
    }

    public var gate: Gate {
        if let size, size.width < minimumSize.width || size.height < minimumSize.height { return .closed }
        return showingHelp ? .help : .screen
    }

    /// Help comes first and names the key that opens it here: `?` types itself where text is typed, so there
    /// the hint says F1.
    public var keyHints: [KeyHint] {
        [KeyHint(screen.capturesText ? "F1" : "?", strings("tui.key.help"), essential: true)] + screen.keyHints
    }

    public var capturesText: Bool { screen.capturesText }

    public func view(into canvas: inout Canvas) {
        if canvas.width < minimumSize.width || canvas.height < minimumSize.height {
            SmallTerminalNotice(strings: strings, minimumWidth: minimumSize.width, minimumHeight: minimumSize.height)
                .draw(into: &canvas)
            return
        }
        var body = Canvas(width: canvas.width, height: canvas.height - 1)
        screen.view(into: &body)
        canvas.draw(body, at: Position(column: 0, row: 0))
        StatusBar(hints: keyHints, more: strings("tui.key.more")).draw(into: &canvas, row: canvas.height - 1)
        if showingHelp {
            HelpOverlay(title: strings("tui.help.title"), hints: keyHints, closeHint: strings("tui.help.close"))
                .draw(into: &canvas, area: Rect(column: 0, row: 0, width: canvas.width, height: canvas.height - 1))
        }
    }
}

/// Shown instead of a screen on a terminal too small to draw it.
public struct SmallTerminalNotice: Sendable {
    public var strings: StringTable
    public var minimumWidth: Int
    public var minimumHeight: Int

    public func draw(into canvas: inout Canvas) {
        canvas.fill(canvas.bounds)
        let text = strings("tui.too_small", [
            "columns": String(minimumWidth), "rows": String(minimumHeight),
            "width": String(canvas.width), "height": String(canvas.height),
        ])
        let lines = TextLayout.wrap(text, width: max(canvas.width, 1))
        let top = max((canvas.height - lines.count) / 2, 0)
        for (offset, line) in lines.enumerated() {
            canvas.put(line, column: max((canvas.width - DisplayWidth.of(line)) / 2, 0), row: top + offset, style: .title)
        }
        canvas.cursor = Position(column: 0, row: 0)
    }
}

/// A program whose language can change while it runs; the shell around it follows.
public protocol TranslatedProgram {
    var strings: StringTable { get }
}
