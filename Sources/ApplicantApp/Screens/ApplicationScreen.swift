import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// One application: status, processing timeline, its requests (deadline, days left, overdue marked) and,
/// once made, the decision.
struct ApplicationScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        case loaded(Result<Fresh<ApplicationPage>, ClientError>)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    let applicationID: String
    var content: Loadable<ApplicationPage> = .loading
    /// Rows that can be chosen: each request, then the decision.
    var choices = ListSelection()

    init(applicationID: String) { self.applicationID = applicationID }

    mutating func show(_ content: Loadable<ApplicationPage>) {
        let focused = choices.focusedID(choiceIDs)
        self.content = content
        choices.setVisible(Array(0..<choiceCount))
        // A new request comes in among the others: the focus stays on the choice it was on, not on its row.
        choices.refocus(on: focused, ids: choiceIDs)
    }

    /// Each choice's id: the requests', the decision, then the conversation and writing.
    private var choiceIDs: [String] {
        guard let value = content.value else { return [] }
        return value.requests.map(\.id) + (value.overview.decisionID.map { [$0] } ?? []) + ["conversation", "write"]
    }

    private var choiceCount: Int {
        guard let value = content.value else { return 0 }
        return value.requests.count + (value.overview.decisionID == nil ? 0 : 1) + 2
    }

    /// The application's conversation with the authority.
    private func conversation(_ value: ApplicationPage) -> Destination {
        .conversation(.application(id: applicationID, reference: value.overview.application.referenceNumber))
    }

    var reloadsWhenShownAgain: Bool { true }

    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard let store = environment.account?.store else { return nil }
        let client = environment.client
        let id = applicationID
        return AppEnvironment.keptThenFresh("load application", store, key: "application-screen:\(id)", fetch: {
            async let overview = client.application(id: id)
            async let requests = client.requests(applicationID: id)
            return ApplicationPage(overview: try await overview, requests: try await requests)
        }) { .loaded($0) }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .loaded(let result):
            show(Loadable(result))
            return Effect.signInAgainIfEnded(result)
        case .input(.key(let key)):
            return handle(key, environment)
        case .input, .app:
            return []
        }
    }

    private mutating func handle(_ key: Key, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch key {
        case .escape, .character("q"): return [Message.ask(.back)]
        case .character("r"), .function(5): return [load(environment)].compactMap { $0 }
        case .character("/"): return []  // nothing here to filter
        case .character("m"):
            guard let value = content.value else { return [] }
            return [Message.ask(.open(conversation(value)))]
        case .character("s"):
            guard let value = content.value else { return [] }
            return [Message.ask(.open(.compose(.application(applicationID),
                                               title: .additionalInformation(reference: value.overview.application.referenceNumber))))]
        default:
            guard case .activated(let index) = choices.handle(key), let value = content.value else { return [] }
            if index < value.requests.count {
                return [Message.ask(.open(.request(id: value.requests[index].id, applicationID: applicationID)))]
            }
            if let decisionID = value.overview.decisionID, index == value.requests.count {
                return [Message.ask(.open(.decision(id: decisionID, reference: value.overview.application.referenceNumber)))]
            }
            if index == choiceCount - 1 { return [Message.ask(.open(conversation(value)))] }
            return [Message.ask(.open(.compose(.application(applicationID),
                                               title: .additionalInformation(reference: value.overview.application.referenceNumber))))]
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        guard case .loaded(let value, let offline) = content else {
            // One application, not the list: its reference is known only once it has loaded.
            canvas.heading(strings("application.heading"), context: context)
            canvas.loadingOrFailure(content, context: context)
            return
        }
        let application = value.overview.application
        canvas.heading(context.clean(application.referenceNumber), context: context)
        let body = canvas.bounds.parts.body.indented(1)
        var row = body.row
        _ = canvas.put(strings("application.type.\(application.type.rawValue)"), column: body.column, row: row, maxWidth: body.width, style: .title)
        row += 1
        _ = canvas.put(strings("application.status_line", ["status": strings("application.status.\(application.status.rawValue)")]),
                       column: body.column, row: row, maxWidth: body.width)
        row += 2
        _ = canvas.put(strings("application.timeline"), column: body.column, row: row, style: .title)
        row += 1
        // The newest steps matter most; older ones give way on a short terminal (to the requests, the decision,
        // sending, and the heading and blank row above them).
        let room = max(body.bottom - row - value.requests.count - 6, 2)
        let dateColumn = context.formats.dateTimeWidth + 1
        for event in value.overview.timeline.suffix(room) {
            // Dates in a column: their widths differ (1.9. and 28.12. in Finnish), the events' start must not.
            var line = pad(context.formats.dateTime(event.at), dateColumn) + " "
                + strings("timeline.\(event.kind.rawValue)")
            if event.kind == .statusChanged { line += ": " + strings("application.status.\(event.status.rawValue)") }
            _ = canvas.put(line, column: body.column + 2, row: row, maxWidth: body.width - 2)
            row += 1
        }
        row += 1
        _ = canvas.put(strings("application.actions"), column: body.column, row: row, style: .title)
        row += 1
        let area = Rect(column: body.column, row: row, width: body.width, height: max(body.bottom - row, 1))
        choices.draw(into: &canvas, area: area) { index in
            if index < value.requests.count {
                let request = value.requests[index]
                return (requestLine(request, context: context), request.state(at: context.now) == .overdue ? .error : .plain)
            }
            if value.overview.decisionID != nil && index == value.requests.count {
                return (strings("application.read_decision"), .title)
            }
            if index == choiceCount - 1 { return (strings("start.messages"), .plain) }
            return (strings("start.send_additional_information"), .plain)
        }
        if let offline {
            canvas.notice(strings("common.offline", ["time": context.formats.dateTime(offline)]), style: .muted)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        // Until it has loaded there is nothing to open or write to: only trying again and going back work.
        guard case .loaded = content else { return [KeyHint("r", strings("key.reload")), context.leaveHint(strings("key.back"))] }
        return [KeyHint(context.strings("tui.keycap.enter"), strings("key.open")), KeyHint("s", strings("start.send_additional_information")),
                KeyHint("m", strings("start.messages")), KeyHint("r", strings("key.reload")), context.leaveHint(strings("key.back"))]
    }
}

/// A request in one line: what it is, its state, its deadline and the days left (or that it is overdue).
/// `asAction`: as an item to choose ("Read request · …"); on the request itself, only its state.
func requestLine(_ request: SupplementRequest, context: ViewContext, asAction: Bool = true) -> String {
    let strings = context.strings
    let state = request.state(at: context.now)
    var line = (asAction ? strings("request.read") + " · " : "") + strings("request.state.\(state.rawValue)") + " · "
        + strings("request.deadline", ["date": context.formats.date(request.deadline)])
    switch state {
    case .open:
        let days = context.formats.daysLeft(until: request.deadline, now: context.now)
        if let left = strings.daysLeft(days) { line += " · " + left }
    case .overdue:
        line += " · " + strings("request.overdue_mark")
    case .answered:
        break
    }
    return line
}
