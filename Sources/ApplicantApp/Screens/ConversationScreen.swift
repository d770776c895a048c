import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// One conversation, oldest first, both directions: each of the applicant's messages with its state
/// (received, read by the authority, answered), each of the authority's marked new until opened.
struct ConversationScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        case loaded(Result<Fresh<ConversationPage>, ClientError>)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    let subject: ConversationSubject
    var content: Loadable<ConversationPage> = .loading
    var list = ListSelection()

    init(subject: ConversationSubject) { self.subject = subject }

    mutating func show(_ content: Loadable<ConversationPage>) {
        let focused = list.focusedID(self.content.value?.messages.map(\.id) ?? [])
        let subject = self.subject
        self.content = content.map { page in
            // Its own messages of what it was given: the other matters are those about no application, and the
            // overview of all messages (what is known offline) holds every conversation's.
            let messages = page.messages.filter { $0.applicationID == subject.applicationID }
            return ConversationPage(messages: messages.sorted { $0.sentAt < $1.sentAt }, topics: page.topics)
        }
        let ids = self.content.value?.messages.map(\.id) ?? []
        list.setVisible(Array(ids.indices))
        // Shown again (back from a message, reloaded), the focus stays on the message it was on; the first
        // time, the newest is where the applicant reads on from.
        if !list.refocus(on: focused, ids: ids), !ids.isEmpty { list.focus(position: ids.count - 1) }
    }

    var reloadsWhenShownAgain: Bool { true }

    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard let store = environment.account?.store else { return nil }
        let client = environment.client
        let id = subject.applicationID
        // Not opened before, it is still known from the overview of all messages (`show` keeps its own).
        return AppEnvironment.keptThenFresh("load conversation", store, key: subject.cacheKey, knownElsewhere: AppEnvironment.messagesKnown,
                                            fetch: { try await ConversationPage.fetch(client, applicationID: id) }) { .loaded($0) }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .loaded(let result):
            show(Loadable(result))
            return Effect.signInAgainIfEnded(result)
        case .input(.key(.escape)), .input(.key(.character("q"))):
            return [Message.ask(.back)]
        case .input(.key(.character("r"))), .input(.key(.function(5))):
            return [load(environment)].compactMap { $0 }
        case .input(.key(.character("w"))):
            return [Message.ask(.open(writeDestination))]
        case .input(.key(.character("/"))):
            return []  // nothing here to filter
        case .input(.key(let key)):
            guard case .activated(let index) = list.handle(key, in: Self.listArea(in: environment.screen)),
                let messages = content.value?.messages, messages.indices.contains(index)
            else { return [] }
            return [Message.ask(.open(.message(id: messages[index].id)))]
        case .input, .app:
            return []
        }
    }

    /// Writing in this conversation: additional information to the application, or a new message on
    /// another matter (its topic chosen first).
    var writeDestination: Destination {
        switch subject {
        case .application(let id, let reference): .compose(.application(id), title: .additionalInformation(reference: reference))
        case .otherMatters: .messageTopics
        }
    }

    static func listArea(in screen: Rect) -> Rect { screen.parts.body.rows(from: 0, leaving: 1) }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        let title = switch subject {
        case .application(_, let reference): strings("conversation.title", ["about": context.clean(reference)])
        case .otherMatters: strings("conversation.title", ["about": strings("conversations.other_matters")])
        }
        canvas.heading(title, context: context)
        guard case .loaded(let page, let offline) = content else {
            canvas.loadingOrFailure(content, context: context)
            return
        }
        let area = Self.listArea(in: canvas.bounds)
        if page.messages.isEmpty { _ = canvas.put(strings("conversation.none"), column: area.column + 1, row: area.row, style: .muted) }
        // The other matters are on several topics: each row names its own, or two alike could not be told apart.
        let showsTopic = subject == .otherMatters
        func cells(_ index: Int) -> [String] {
            let message = page.messages[index]
            let who = message.direction == .fromAuthority ? strings("conversation.from_authority") : strings("conversation.from_you")
            let topic = showsTopic ? [MessageAbout(message, topics: page.topics).text(context)] : []
            return [context.formats.dateTime(message.sentAt), who, Self.stateWord(message, context: context)] + topic
                + [Self.firstLine(message, context: context)]
        }
        let columns = Columns(list.itemsShown(height: area.height).map(cells))
        list.draw(into: &canvas, area: area) { index in
            (columns.line(cells(index)), page.messages[index].isUnread ? .title : .plain)
        }
        if let offline {
            canvas.notice(strings("common.offline", ["time": context.formats.dateTime(offline)]), style: .muted)
        }
    }

    /// A message's state in a word or two: new (the authority's, not opened), or where the applicant's stands.
    static func stateWord(_ message: PorttiModel.Message, context: ViewContext) -> String {
        let strings = context.strings
        switch message.state {
        case nil: return message.isUnread ? strings("notifications.new") : ""
        case .received: return strings("conversation.state.received")
        case .readByAuthority(let date): return strings("conversation.state.read_short", ["date": context.formats.date(date)])
        case .answered: return strings("conversation.state.answered")
        }
    }

    /// The message's first line of text, to recognise it by (or that it has none).
    static func firstLine(_ message: PorttiModel.Message, context: ViewContext) -> String {
        let line = context.clean(message.text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "")
        return line.isEmpty ? context.strings("compose.no_text") : line
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        return [KeyHint(strings("tui.keycap.enter"), strings("key.open")), KeyHint("w", strings("conversation.key.write")),
                KeyHint("r", strings("key.reload")), context.leaveHint(strings("key.back"))]
    }
}
