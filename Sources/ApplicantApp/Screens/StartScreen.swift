import PorttiLocalization
import TerminalUI

/// The start page: the way to every job.
struct StartScreen: AppScreen {
    enum Item: Int, CaseIterable, Sendable {
        case applications, sendAdditionalInformation, notifications, receipts, language, signOut, quit
    }

    var menu = ListSelection()
    var unread: Int?
    /// Who is signed in, and where (shown so the applicant knows which account and portal this is).
    var applicantName: String
    var portalNote: String?

    init(applicantName: String, portalNote: String?) {
        self.applicantName = applicantName
        self.portalNote = portalNote
        menu.setVisible(Array(Item.allCases.indices))
    }

    mutating func handle(_ event: InputEvent) -> ScreenAction? {
        guard case .key(let key) = event else {
            if case .mouse(let mouse) = event, case .activated = menu.handle(mouse, area: menuArea) { return choose() }
            return nil
        }
        switch key {
        case .character("q"): return .quit
        // Escape goes back everywhere else; here, at the bottom, it must not end the program of a user
        // pressing it once too often on the way back.
        case .escape: return nil
        case .character("/"): return nil  // nothing here to filter
        default:
            if case .activated = menu.handle(key) { return choose() }
            return nil
        }
    }

    private var menuArea: Rect { Rect(column: 2, row: 4, width: 60, height: Item.allCases.count) }

    private func choose() -> ScreenAction? {
        guard let index = menu.focusedItem, let item = Item(rawValue: index) else { return nil }
        switch item {
        case .applications: return .open(.applications)
        case .sendAdditionalInformation: return .open(.chooseApplicationForAdditionalInformation)
        case .notifications: return .open(.notifications)
        case .receipts: return .open(.receipts)
        case .language: return .open(.language)
        case .signOut: return .signOut
        case .quit: return .quit
        }
    }

    func title(_ item: Item, _ context: ViewContext) -> String {
        let strings = context.strings
        switch item {
        case .applications: return strings("start.applications")
        case .sendAdditionalInformation: return strings("start.send_additional_information")
        case .notifications:
            return unread.map { strings("start.notifications_unread", ["count": String($0)]) } ?? strings("start.notifications")
        case .receipts: return strings("start.receipts")
        case .language: return strings("start.language")
        case .signOut: return strings("start.sign_out")
        case .quit: return strings("start.quit")
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        canvas.heading(context.strings("start.title"), context: context)
        _ = canvas.put(context.strings("start.signed_in_as", ["name": context.clean(applicantName)]),
                       column: 2, row: 2, maxWidth: canvas.width - 4)
        var area = menuArea
        area.width = min(area.width, canvas.width - 4)
        menu.draw(into: &canvas, area: area) { index in
            (Item(rawValue: index).map { title($0, context) } ?? "", .plain)
        }
        if let portalNote {
            canvas.paragraph(portalNote, in: Rect(column: 2, row: area.row + area.height + 1, width: canvas.width - 4,
                                                  height: 6), style: .muted)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        [KeyHint("↑↓", context.strings("key.move")), KeyHint(context.strings("tui.keycap.enter"), context.strings("key.open")),
         KeyHint("q", context.strings("key.quit"))]
    }
}
