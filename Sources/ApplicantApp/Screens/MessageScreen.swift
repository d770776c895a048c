import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// One message of a conversation. The applicant's own shows its confirmation of receipt and its state
/// (received → read by the authority → answered, the answer a key away); the authority's is marked read when
/// opened and can be replied to. Either's attachments can be saved, never over a file that is there.
struct MessageScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        /// The message (alone in the page) and the topics that word what it is about.
        case loaded(Result<Fresh<ConversationPage>, ClientError>)
        /// The portal's answer to marking the authority's message read (nil: it did not answer).
        case markedRead(PorttiModel.Message?)
        case saved(path: String, Result<Int64, ClientError>)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    let messageID: String
    var content: Loadable<ConversationPage> = .loading
    var viewer = TextViewer(text: "")
    /// The attachment `s` saves (Tab moves it).
    var focusedAttachment = 0
    var prompt = SavePrompt()
    /// Marking it read was asked once: a reload does not ask again.
    var markingRead = false

    init(messageID: String) { self.messageID = messageID }

    var message: PorttiModel.Message? { content.value?.messages.first }

    var capturesText: Bool { prompt.isTyping }

    var reloadsWhenShownAgain: Bool { true }

    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard let store = environment.account?.store else { return nil }
        let client = environment.client
        let id = messageID
        // Not opened before, it is still known from the overview of all messages.
        let known: @Sendable (ApplicantStore) async -> Fresh<ConversationPage>? = { store in
            guard var page = await AppEnvironment.messagesKnown(store), page.value.messages.contains(where: { $0.id == id }) else { return nil }
            page.value.messages = page.value.messages.filter { $0.id == id }
            return page
        }
        return AppEnvironment.keptThenFresh("load message", store, key: "message:\(id)", knownElsewhere: known, fetch: {
            async let message = client.message(id: id)
            async let topics = client.messageTopics()
            return ConversationPage(messages: [try await message], topics: try await topics)
        }) { .loaded($0) }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .loaded(let result):
            content = Loadable(result)
            viewer = TextViewer(text: self.message.map { environment.context.cleanLines($0.text) } ?? "")
            focusedAttachment = min(focusedAttachment, max((self.message?.attachments.count ?? 1) - 1, 0))
            return markReadIfNew(result, environment) + Effect.signInAgainIfEnded(result)
        case .markedRead(let read):
            guard let read, case .loaded(var page, let offline) = content else { return [] }
            page.messages = [read]
            content = .loaded(page, offlineSince: offline)
            // Its notification was read with it: the unread count is asked for again.
            return [Message.ask(.refreshUnread)]
        case .saved(let path, let result):
            prompt.finished(path, result)
            return Effect.signInAgainIfEnded(result)
        case .input(let event) where prompt.isTyping:
            return typePath(event, environment)
        case .input(.key(let key)):
            return handle(key, environment)
        case .input(.mouse(let mouse)):
            viewer.layout(in: viewerArea(in: environment.screen))
            _ = viewer.handle(mouse)
            return []
        case .input, .app:
            return []
        }
    }

    /// The authority's message, opened for the first time with the portal in reach, is marked read there.
    private mutating func markReadIfNew(_ result: Result<Fresh<ConversationPage>, ClientError>, _ environment: AppEnvironment) -> [Effect<Message>] {
        guard case .success(let fresh) = result, fresh.offlineSince == nil, let message = fresh.value.messages.first,
            message.isUnread, !markingRead
        else { return [] }
        markingRead = true
        let client = environment.client
        let id = message.id
        return [.run("mark message read") { .markedRead(try? await client.markMessageRead(id: id)) }]
    }

    private mutating func handle(_ key: Key, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch key {
        case .escape, .character("q"):
            return [Message.ask(.back)]
        case .character("r"):
            guard let message, message.direction == .fromAuthority, let page = content.value else { return [] }
            return [Message.ask(.open(.compose(.reply(message.id), title: .reply(about: MessageAbout(message, topics: page.topics)))))]
        case .character("a"):
            guard case .answered(let answerID)? = message?.state else { return [] }
            return [Message.ask(.open(.message(id: answerID)))]
        case .tab:
            let count = message?.attachments.count ?? 0
            if count > 0 { focusedAttachment = (focusedAttachment + 1) % count }
            return []
        case .character("s"):
            guard let message, message.attachments.indices.contains(focusedAttachment), !prompt.saving else { return [] }
            prompt.offer((environment.services.home as NSString).appendingPathComponent(message.attachments[focusedAttachment].name))
            return []
        default:
            viewer.layout(in: viewerArea(in: environment.screen))
            _ = viewer.handle(key)
            return []
        }
    }

    private mutating func typePath(_ event: InputEvent, _ environment: AppEnvironment) -> [Effect<Message>] {
        guard let path = prompt.type(event, home: environment.services.home), let message,
            message.attachments.indices.contains(focusedAttachment)
        else { return [] }
        let client = environment.client
        let (messageID, attachmentID) = (message.id, message.attachments[focusedAttachment].id)
        // The client checks the name before it fetches anything, and never writes over a file.
        return [.run("save attachment") {
            .saved(path: path, await AppEnvironment.result {
                try await client.saveMessageAttachment(messageID: messageID, attachmentID: attachmentID, to: path)
            })
        }]
    }

    // MARK: Areas

    /// The rows above the text: who and when, the receipt and state (the applicant's own), a blank row.
    private var headerRows: Int { message?.direction == .fromApplicant ? 4 : 2 }

    /// The attachments' rows: a title, up to three files, a blank row.
    private var attachmentRows: Int {
        let count = message?.attachments.count ?? 0
        return count == 0 ? 0 : 2 + min(count, Self.attachmentsShown)
    }

    static let attachmentsShown = 3

    private func viewerArea(in screen: Rect) -> Rect {
        screen.parts.body.indented(1).rows(from: headerRows + attachmentRows, leaving: 1)
    }

    // MARK: View

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        guard case .loaded(let page, let offline) = content, let message else {
            canvas.heading(strings("conversation.message_title"), context: context)
            canvas.loadingOrFailure(content, context: context)
            return
        }
        canvas.heading(strings("conversation.message_title_about", ["about": MessageAbout(message, topics: page.topics).text(context)]), context: context)
        let body = canvas.bounds.parts.body.indented(1)
        var row = body.row
        let who = message.direction == .fromAuthority ? "conversation.header_authority" : "conversation.header_you"
        _ = canvas.put(strings(who, ["date": context.formats.dateTime(message.sentAt)]), column: body.column, row: row,
                       maxWidth: body.width, style: .title)
        row += 1
        if let receipt = message.receipt {
            _ = canvas.put(strings("receipt.number", ["number": context.clean(receipt.number)]), column: body.column, row: row, maxWidth: body.width)
            row += 1
            _ = canvas.put(strings("conversation.state_line", ["state": stateText(message, context)]), column: body.column, row: row,
                           maxWidth: body.width, style: .title)
            row += 1
        }
        row += 1
        if !message.attachments.isEmpty {
            _ = canvas.put(strings("conversation.attachments", ["count": String(message.attachments.count)]), column: body.column, row: row, style: .title)
            row += 1
            let first = max(0, min(focusedAttachment - Self.attachmentsShown + 1, message.attachments.count - Self.attachmentsShown))
            for (index, attachment) in message.attachments.enumerated().dropFirst(first).prefix(Self.attachmentsShown) {
                let mark = index == focusedAttachment ? "› " : "  "
                _ = canvas.put(mark + "\(context.clean(attachment.name))  \(context.size(attachment.size))", column: body.column, row: row,
                               maxWidth: body.width)
                row += 1
            }
        }
        viewer.draw(into: &canvas, area: viewerArea(in: canvas.bounds))
        guard !prompt.draw(into: &canvas, context: context, savingText: strings("conversation.saving")) else { return }
        if let offline {
            canvas.notice(strings("common.offline", ["time": context.formats.dateTime(offline)]), style: .muted)
        } else if message.direction == .fromAuthority {
            canvas.notice(strings("conversation.reply_hint"), style: .muted)
        }
    }

    /// Where the applicant's message stands, in words.
    private func stateText(_ message: PorttiModel.Message, _ context: ViewContext) -> String {
        switch message.state {
        case .readByAuthority(let date): context.strings("conversation.state.read", ["date": context.formats.date(date)])
        case .answered: context.strings("conversation.state.answered_open")
        case .received, nil: context.strings("conversation.state.received_long")
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        if prompt.isTyping { return SavePrompt.keyHints(context) }
        var hints = [KeyHint("↑↓", strings("key.scroll"))]
        if message?.direction == .fromAuthority { hints.append(KeyHint("r", strings("conversation.key.reply"))) }
        if case .answered? = message?.state { hints.append(KeyHint("a", strings("conversation.key.answer"))) }
        if let count = message?.attachments.count, count > 0 {
            if count > 1 { hints.append(KeyHint("Tab", strings("conversation.key.next_attachment"))) }
            hints.append(KeyHint("s", strings("conversation.key.save")))
        }
        hints.append(context.leaveHint(strings("key.back")))
        return hints
    }
}
