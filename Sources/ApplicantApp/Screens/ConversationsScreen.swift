import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// The conversations with the authority: one per application that has messages (newest first), the messages on
/// other matters, and writing a message on another matter.
struct ConversationsScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        case loaded(Result<Fresh<ConversationPage>, ClientError>)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    /// One row: a conversation and what it holds.
    struct Conversation: Sendable, Equatable {
        var subject: ConversationSubject
        var count: Int
        var unread: Int
        var latest: Date
    }

    var content: Loadable<[Conversation]> = .loading
    var list = ListSelection()

    /// The rows: each conversation, then writing on another matter.
    mutating func show(_ content: Loadable<[Conversation]>) {
        let focused = list.focusedID(rowIDs)
        self.content = content
        list.setVisible(Array(0...(content.value?.count ?? 0)))
        // Conversations move (the one with the newest message goes first): the focus stays on the one it was on.
        list.refocus(on: focused, ids: rowIDs)
    }

    /// Each row's id: a conversation's cache key, then writing on another matter.
    private var rowIDs: [String] { (content.value ?? []).map(\.subject.cacheKey) + ["write"] }

    /// The messages grouped into conversations: an application's by its id, the other matters together;
    /// the one with the newest message first.
    static func conversations(_ messages: [PorttiModel.Message]) -> [Conversation] {
        var groups: [ConversationSubject: Conversation] = [:]
        for message in messages {
            let subject: ConversationSubject = message.applicationID.map {
                .application(id: $0, reference: message.applicationReference ?? $0)
            } ?? .otherMatters
            var group = groups[subject] ?? Conversation(subject: subject, count: 0, unread: 0, latest: message.sentAt)
            group.count += 1
            group.unread += message.isUnread ? 1 : 0
            group.latest = max(group.latest, message.sentAt)
            groups[subject] = group
        }
        return groups.values.sorted { $0.latest != $1.latest ? $0.latest > $1.latest : $0.subject.cacheKey < $1.subject.cacheKey }
    }

    var reloadsWhenShownAgain: Bool { true }

    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard let store = environment.account?.store else { return nil }
        let client = environment.client
        return AppEnvironment.keptThenFresh("load conversations", store, key: ConversationPage.overviewKey,
                                            fetch: { try await ConversationPage.fetch(client, applicationID: nil) }) { .loaded($0) }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .loaded(let result):
            show(Loadable(result).map { Self.conversations($0.messages) })
            return Effect.signInAgainIfEnded(result)
        case .input(.key(.escape)), .input(.key(.character("q"))):
            return [Message.ask(.back)]
        case .input(.key(.character("r"))), .input(.key(.function(5))):
            return [load(environment)].compactMap { $0 }
        case .input(.key(.character("w"))):
            return [Message.ask(.open(.messageTopics))]
        case .input(.key(.character("/"))):
            return []  // nothing here to filter
        case .input(.key(let key)):
            guard case .activated(let index) = list.handle(key, in: Self.listArea(in: environment.screen)),
                let conversations = content.value
            else { return [] }
            guard index < conversations.count else { return [Message.ask(.open(.messageTopics))] }
            return [Message.ask(.open(.conversation(conversations[index].subject)))]
        case .input, .app:
            return []
        }
    }

    static func listArea(in screen: Rect) -> Rect { screen.parts.body.rows(from: 0, leaving: 1) }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        canvas.heading(strings("start.messages"), context: context)
        guard case .loaded(let conversations, let offline) = content else {
            canvas.loadingOrFailure(content, context: context)
            return
        }
        let area = Self.listArea(in: canvas.bounds)
        func cells(_ index: Int) -> [String] {
            guard index < conversations.count else { return [] }
            let conversation = conversations[index]
            let title = switch conversation.subject {
            case .application(_, let reference): context.clean(reference)
            case .otherMatters: strings("conversations.other_matters")
            }
            // Unread is marked by a word as well as by weight: never by colour alone.
            let mark = conversation.unread > 0 ? strings("notifications.new") : String(repeating: " ", count: DisplayWidth.of(strings("notifications.new")))
            return [mark, title, strings("conversations.count", count: conversation.count),
                    strings("conversations.latest", ["date": context.formats.dateTime(conversation.latest)])]
        }
        let columns = Columns(list.itemsShown(height: area.height).map(cells))
        list.draw(into: &canvas, area: area) { index in
            guard index < conversations.count else { return (strings("start.write_other_matter"), .plain) }
            return (columns.line(cells(index)), conversations[index].unread > 0 ? .title : .plain)
        }
        if conversations.isEmpty {
            _ = canvas.put(strings("conversations.none"), column: area.column + 1, row: area.row + 2, style: .muted)
        }
        if let offline {
            canvas.notice(strings("common.offline", ["time": context.formats.dateTime(offline)]), style: .muted)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        return [KeyHint(strings("tui.keycap.enter"), strings("key.open")), KeyHint("w", strings("start.write_other_matter")),
                KeyHint("r", strings("key.reload")), context.leaveHint(strings("key.back"))]
    }
}
