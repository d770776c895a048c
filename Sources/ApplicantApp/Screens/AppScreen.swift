import TerminalUI

/// One screen of the app: its state, how it answers input, and its view. The app owns navigation and effects.
protocol AppScreen: Sendable {
    /// The screen's answer to input: nothing, or an action for the app.
    mutating func handle(_ event: InputEvent) -> ScreenAction?
    func view(into canvas: inout Canvas, context: ViewContext)
    func keyHints(_ context: ViewContext) -> [KeyHint]
    /// True while typed text goes into a field, so letters are text, not commands.
    var capturesText: Bool { get }
}

extension AppScreen {
    var capturesText: Bool { false }
}
