import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// A request for additional information in full: what is asked, the items, the deadline; and the way to respond.
struct RequestScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        /// The request, and its application's reference number.
        case loaded(Result<Fresh<SupplementRequest>, ClientError>, reference: String)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    let requestID: String
    let applicationID: String
    var content: Loadable<SupplementRequest> = .loading
    var reference: String = ""
    var viewer = TextViewer(text: "")

    init(requestID: String, applicationID: String) {
        self.requestID = requestID
        self.applicationID = applicationID
    }

    mutating func show(_ content: Loadable<SupplementRequest>, reference: String, context: ViewContext) {
        self.content = content
        self.reference = reference
        guard let request = content.value else { return }
        var text = context.cleanLines(request.text)
        if !request.items.isEmpty {
            text += "\n\n" + context.strings("request.items") + "\n"
                + request.items.map { "  • " + context.clean($0) }.joined(separator: "\n")
        }
        viewer = TextViewer(text: text)
    }

    var reloadsWhenShownAgain: Bool { true }

    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard let store = environment.account?.store else { return nil }
        let client = environment.client
        let id = requestID
        let applicationID = self.applicationID
        return AppEnvironment.keptThenFresh("load request", store, key: "request:\(id)", fetch: { try await client.request(id: id) }) {
            .loaded($0, reference: await AppEnvironment.referenceNumber(of: applicationID, client, store))
        }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .loaded(let result, let reference):
            show(Loadable(result), reference: reference, context: environment.context)
            return Effect.signInAgainIfEnded(result)
        case .input(.key(.escape)), .input(.key(.character("q"))):
            return [Message.ask(.back)]
        case .input(.key(.enter)), .input(.key(.character("v"))):
            guard let request = content.value, request.state(at: environment.now) == .open else { return [] }
            return [Message.ask(.open(.compose(.request(requestID), title: .response(reference: reference))))]
        case .input(.key(let key)):
            viewer.layout(in: Self.viewerArea(in: environment.screen))
            _ = viewer.handle(key)
            return []
        case .input(.mouse(let mouse)):
            viewer.layout(in: Self.viewerArea(in: environment.screen))
            _ = viewer.handle(mouse)
            return []
        case .input, .app:
            return []
        }
    }

    /// The request's text: the body under the two lines of dates.
    static func viewerArea(in screen: Rect) -> Rect { screen.parts.body.indented(1).rows(from: 3, leaving: 1) }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        canvas.heading(strings("request.title", ["reference": context.clean(reference)]), context: context)
        guard let request = content.value else {
            canvas.loadingOrFailure(content, context: context)
            return
        }
        let state = request.state(at: context.now)
        let area = Self.viewerArea(in: canvas.bounds)
        _ = canvas.put(strings("request.sent_on", ["date": context.formats.date(request.sentAt)]), column: area.column,
                       row: area.row - 3, maxWidth: area.width)
        _ = canvas.put(requestLine(request, context: context, asAction: false), column: area.column, row: area.row - 2, maxWidth: area.width,
                       style: state == .overdue ? .error : .title)
        viewer.draw(into: &canvas, area: area)
        let footer: String
        switch state {
        case .open: footer = strings("request.respond_hint")
        case .answered: footer = strings("request.answered_hint")
        case .overdue: footer = strings("request.overdue_hint")
        }
        canvas.notice(footer, style: state == .open ? .title : .muted)
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        // Enter is offered only where it answers: not on a request answered already or past its deadline.
        let open = content.value?.state(at: context.now) == .open
        return (open ? [KeyHint(context.strings("tui.keycap.enter"), strings("request.respond"))] : [])
            + [KeyHint("↑↓", strings("key.scroll")), context.leaveHint(strings("key.back"))]
    }
}
