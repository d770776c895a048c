import ApplicantStore
import PorttiLocalization
import PorttiModel
import TerminalUI

/// The start page: the way to every job.
struct StartScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        /// The conversations, for the count of the authority's messages not yet opened.
        case conversations(Result<Fresh<ConversationPage>, ClientError>)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    enum Item: Int, CaseIterable, Sendable {
        case applications, sendAdditionalInformation, notifications, messages, writeOnOtherMatter, receipts, language, signOut, quit
    }

    var menu = ListSelection()
    /// Who is signed in, and where (shown so the applicant knows which account and portal this is).
    var applicantName: String
    var portalNote: DemoPortalNote?
    /// The authority's messages not yet opened (nil until known).
    var unreadMessages: Int?

    init(applicantName: String, portalNote: DemoPortalNote?) {
        self.applicantName = applicantName
        self.portalNote = portalNote
        menu.setVisible(Array(Item.allCases.indices))
    }

    /// The unread counts on the menu: the notifications' (the status line's) and the messages'. Shown again
    /// (back from a message, or a notification arrived), it counts again.
    var reloadsWhenShownAgain: Bool { true }

    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard let store = environment.account?.store else { return Message.ask(.refreshUnread) }
        let client = environment.client
        return AppEnvironment.keptThenFresh("count messages", store, key: ConversationPage.overviewKey,
                                            fetch: { try await ConversationPage.fetch(client, applicationID: nil) }) { .conversations($0) }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        if case .conversations(let result) = message {
            if case .success(let fresh) = result { unreadMessages = fresh.value.unread }
            // The notifications' count is asked for with each count of the messages: they move together.
            return [Message.ask(.refreshUnread)]
        }
        guard case .input(let event) = message else { return [] }
        let area = menuArea(in: environment.screen)
        guard case .key(let key) = event else {
            if case .mouse(let mouse) = event, case .activated = menu.handle(mouse, area: area) { return choose() }
            return []
        }
        switch key {
        case .character("q"): return [Message.ask(.quit)]
        // Escape goes back everywhere else; here, at the bottom, it must not end the program of a user
        // pressing it once too often on the way back.
        case .escape: return []
        case .character("/"): return []  // nothing here to filter
        default:
            if case .activated = menu.handle(key, in: area) { return choose() }
            return []
        }
    }

    /// The menu, under the line naming who is signed in.
    private func menuArea(in screen: Rect) -> Rect {
        let body = screen.parts.body.indented(1)
        return Rect(column: body.column, row: body.row + 2, width: min(60, body.width), height: Item.allCases.count)
    }

    private func choose() -> [Effect<Message>] {
        guard let index = menu.focusedItem, let item = Item(rawValue: index) else { return [] }
        let request: AppRequest = switch item {
        case .applications: .open(.applications)
        case .sendAdditionalInformation: .open(.chooseApplicationForAdditionalInformation)
        case .notifications: .open(.notifications)
        case .messages: .open(.conversations)
        case .writeOnOtherMatter: .open(.messageTopics)
        case .receipts: .open(.receipts)
        case .language: .open(.language)
        case .signOut: .signOut
        case .quit: .quit
        }
        return [Message.ask(request)]
    }

    func title(_ item: Item, _ context: ViewContext) -> String {
        let strings = context.strings
        switch item {
        case .applications: return strings("start.applications")
        case .sendAdditionalInformation: return strings("start.send_additional_information")
        case .notifications:
            return context.unread.map { strings("start.notifications_unread", count: $0) } ?? strings("start.notifications")
        case .messages:
            return unreadMessages.flatMap { $0 > 0 ? strings("start.messages_unread", count: $0) : nil } ?? strings("start.messages")
        case .writeOnOtherMatter: return strings("start.write_other_matter")
        case .receipts: return strings("start.receipts")
        case .language: return strings("start.language")
        case .signOut: return strings("start.sign_out")
        case .quit: return strings("start.quit")
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        canvas.heading(context.strings("start.title"), context: context)
        let body = canvas.bounds.parts.body.indented(1)
        _ = canvas.put(context.strings("start.signed_in_as", ["name": context.clean(applicantName)]),
                       column: body.column, row: body.row, maxWidth: body.width)
        let area = menuArea(in: canvas.bounds)
        menu.draw(into: &canvas, area: area) { index in
            (Item(rawValue: index).map { title($0, context) } ?? "", .plain)
        }
        if let portalNote {
            canvas.paragraph(context.clean(portalNote.text(context.strings)), in: Rect(column: body.column, row: area.bottom + 1, width: body.width, height: 6), style: .muted)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        [KeyHint("↑↓", context.strings("key.move")), KeyHint(context.strings("tui.keycap.enter"), context.strings("key.open")),
         KeyHint("q", context.strings("key.quit"), essential: true)]
    }
}
