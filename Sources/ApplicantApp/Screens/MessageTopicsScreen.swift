import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// Choosing what a message on another matter is about, from the portal's topics (titled in the language
/// shown, "other" last); then the same writing, review, send and receipt as the other messages.
struct MessageTopicsScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        case loaded(Result<Fresh<[MessageTopic]>, ClientError>)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    var content: Loadable<[MessageTopic]> = .loading
    var list = ListSelection()

    mutating func show(_ content: Loadable<[MessageTopic]>) {
        // "Other" is last whatever order the list came in.
        self.content = content.map { topics in
            topics.filter { $0.code != MessageTopic.otherCode } + topics.filter { $0.code == MessageTopic.otherCode }
        }
        list.setVisible(Array((self.content.value ?? []).indices))
    }

    var choosesWhereToWrite: Bool { true }

    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard let store = environment.account?.store else { return nil }
        let client = environment.client
        return AppEnvironment.keptThenFresh("load message topics", store, key: "message-topics",
                                            fetch: { try await client.messageTopics() }) { .loaded($0) }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .loaded(let result):
            show(Loadable(result))
            return Effect.signInAgainIfEnded(result)
        case .input(.key(.escape)), .input(.key(.character("q"))):
            return [Message.ask(.back)]
        case .input(.key(.character("/"))):
            return []  // nothing here to filter
        case .input(.key(let key)):
            guard case .activated(let index) = list.handle(key, in: Self.listArea(in: environment.screen)),
                let topic = content.value?[index]
            else { return [] }
            return [Message.ask(.open(.compose(.topic(topic.code), title: .otherMatter(.topic(code: topic.code, titles: topic.titles)))))]
        case .input, .app:
            return []
        }
    }

    static func listArea(in screen: Rect) -> Rect { screen.parts.body.rows(from: 2, leaving: 1) }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        canvas.heading(strings("start.write_other_matter"), context: context)
        guard case .loaded(let topics, let offline) = content else {
            canvas.loadingOrFailure(content, context: context)
            return
        }
        let body = canvas.bounds.parts.body.indented(1)
        _ = canvas.put(strings("conversation.choose_topic"), column: body.column, row: body.row, maxWidth: body.width, style: .title)
        list.draw(into: &canvas, area: Self.listArea(in: canvas.bounds)) { index in
            (MessageAbout.topic(code: topics[index].code, titles: topics[index].titles).text(context), .plain)
        }
        if let offline {
            canvas.notice(strings("common.offline", ["time": context.formats.dateTime(offline)]), style: .muted)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        [KeyHint("↑↓", context.strings("key.move")), KeyHint(context.strings("tui.keycap.enter"), context.strings("key.choose")),
         context.leaveHint(context.strings("key.back"))]
    }
}
