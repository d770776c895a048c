import PorttiLocalization
import TerminalUI

/// Choosing the language; each language is named in itself.
struct LanguageScreen: AppScreen {
    var list = ListSelection()
    let current: Language

    init(current: Language) {
        self.current = current
        list.setVisible(Array(Language.allCases.indices))
        list.focus(position: Language.allCases.firstIndex(of: current) ?? 0)
    }

    mutating func handle(_ event: InputEvent) -> ScreenAction? {
        guard case .key(let key) = event else { return nil }
        if key == .escape || key == .character("q") { return .back }
        if key == .character("/") { return nil }
        if case .activated(let index) = list.handle(key) { return .setLanguage(Language.allCases[index]) }
        return nil
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        canvas.heading(context.strings("start.language"), context: context)
        list.draw(into: &canvas, area: Rect(column: 2, row: 2, width: 40, height: Language.allCases.count)) { index in
            let language = Language.allCases[index]
            return (StringTable(language)("language.name") + (language == current ? "  ✓" : ""), .plain)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        [KeyHint(context.strings("tui.keycap.enter"), context.strings("key.choose")), KeyHint(context.strings("tui.keycap.esc"), context.strings("key.back"))]
    }
}
