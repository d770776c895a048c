import PorttiLocalization
import TerminalUI

/// Choosing the language; each language is named in itself.
struct LanguageScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    var list = ListSelection()
    let current: Language

    init(current: Language) {
        self.current = current
        list.setVisible(Array(Language.allCases.indices))
        list.focus(position: Language.allCases.firstIndex(of: current) ?? 0)
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        guard case .input(.key(let key)) = message else { return [] }
        if key == .escape || key == .character("q") { return [Message.ask(.back)] }
        if key == .character("/") { return [] }
        if case .activated(let index) = list.handle(key, in: listArea) { return [Message.ask(.setLanguage(Language.allCases[index]))] }
        return []
    }

    private var listArea: Rect { Rect(column: 2, row: 2, width: 40, height: Language.allCases.count) }

    func view(into canvas: inout Canvas, context: ViewContext) {
        canvas.heading(context.strings("start.language"), context: context)
        list.draw(into: &canvas, area: listArea) { index in
            let language = Language.allCases[index]
            return (StringTable(language)("language.name") + (language == current ? "  ✓" : ""), .plain)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        [KeyHint(context.strings("tui.keycap.enter"), context.strings("key.choose")), context.leaveHint(context.strings("key.back"))]
    }
}
