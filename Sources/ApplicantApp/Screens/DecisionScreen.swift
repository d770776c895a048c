import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// A decision: its text, the date it was served (first opened), the last day to appeal; its document can be
/// saved to a path the applicant picks, never over a file that is there.
struct DecisionScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        /// The decision, and its application's reference number.
        case loaded(Result<Fresh<ServedDecision>, ClientError>, reference: String)
        /// The path named a file that exists: nothing was written.
        case exists(String)
        case saved(path: String, Result<Int64, ClientError>)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    let decisionID: String
    var content: Loadable<ServedDecision> = .loading
    var viewer = TextViewer(text: "")
    /// Typing the path to save the document to.
    var pathField: TextField?
    /// The path typed last, while it is saved (it comes back to the field if the file exists).
    var typedPath: TextField?
    var saved: (path: String, size: Int64)?
    var saving = false
    var failure: ClientError?
    /// Enter was pressed with no path typed.
    var pathMissing = false
    /// The path typed names a file that exists already.
    var exists: String?
    /// The application's reference number; empty until known.
    var reference = ""

    init(decisionID: String, reference: String) {
        self.decisionID = decisionID
        self.reference = reference
    }

    mutating func show(_ content: Loadable<ServedDecision>, reference: String, context: ViewContext) {
        self.content = content
        self.reference = reference
        viewer = TextViewer(text: content.value.map { context.cleanLines($0.decision.text) } ?? "")
    }

    var capturesText: Bool { pathField != nil }

    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard let store = environment.account?.store else { return nil }
        let client = environment.client
        let id = decisionID
        let known = reference
        return AppEnvironment.keptThenFresh("load decision", store, key: "decision:\(id)", fetch: { try await client.decision(id: id) }) { result in
            // Which application it decides, by its reference number: asked for only when the screen that
            // opened it did not know it.
            var reference = known
            if reference.isEmpty, case .success(let fresh) = result {
                reference = await AppEnvironment.referenceNumber(of: fresh.value.decision.applicationID, client, store)
            }
            return .loaded(result, reference: reference)
        }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .loaded(let result, let reference):
            show(Loadable(result), reference: reference, context: environment.context)
            return Effect.signInAgainIfEnded(result)
        case .exists(let path):
            // Never over another file: the applicant picks a new name instead.
            saving = false
            exists = path
            pathField = typedPath
            return []
        case .saved(let path, .failure(.fileExists)):
            return update(.exists(path), environment)
        case .saved(let path, let result):
            saving = false
            switch result {
            case .success(let size): saved = (path, size)
            case .failure(let error): failure = error
            }
            return Effect.signInAgainIfEnded(result)
        case .input(let event) where pathField != nil:
            return typePath(event, environment)
        case .input(.key(.escape)), .input(.key(.character("q"))):
            return [Message.ask(.back)]
        case .input(.key(.character("s"))):
            guard let decision = content.value?.decision, decision.hasDocument, !saving else { return [] }
            let name = "decision-\(context_free_date(decision.madeAt)).pdf"
            pathField = TextField(text: (environment.services.home as NSString).appendingPathComponent(name))
            return []
        case .input(.key(let key)):
            viewer.layout(in: viewerArea(in: environment.screen))
            _ = viewer.handle(key)
            return []
        case .input(.mouse(let mouse)):
            viewer.layout(in: viewerArea(in: environment.screen))
            _ = viewer.handle(mouse)
            return []
        case .input, .app:
            return []
        }
    }

    private mutating func typePath(_ event: InputEvent, _ environment: AppEnvironment) -> [Effect<Message>] {
        guard var field = pathField else { return [] }
        switch event {
        case .key(let key):
            switch field.handle(key) {
            case .submitted:
                pathField = nil
                let path = Self.resolved(field.text, home: environment.services.home)
                guard !path.isEmpty else {
                    // Nothing typed: say so, rather than nothing happening or a file named by blanks.
                    failure = nil
                    pathMissing = true
                    pathField = field
                    return []
                }
                pathMissing = false
                typedPath = field
                exists = nil
                saving = true
                failure = nil
                let client = environment.client
                let id = decisionID
                // The client checks the name before it fetches anything, and never writes over a file.
                return [.run("save document") {
                    .saved(path: path, await AppEnvironment.result { try await client.saveDecisionDocument(id: id, to: path) })
                }]
            case .cancelled:
                pathField = nil
            default:
                pathField = field
            }
        case .paste(let text):
            field.insert(UntrustedText.sanitized(text))
            pathField = field
        default:
            break
        }
        return []
    }

    /// `~` and `~/…` in a typed path lead to the applicant's home folder.
    static func expandingTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return (home as NSString).appendingPathComponent(String(path.dropFirst(2))) }
        return path
    }

    /// The path typed, as the file it names: blanks around it dropped (empty when nothing else was typed),
    /// `~` as the home folder, and a relative path from the home folder, where the offered path is, rather
    /// than from wherever Portti was started.
    static func resolved(_ typed: String, home: String) -> String {
        let path = expandingTilde(typed.trimmingCharacters(in: .whitespaces), home: home)
        if path.isEmpty || path.hasPrefix("/") { return path }
        return (home as NSString).appendingPathComponent(path)
    }

    /// The decision's text: the body under its dates (two or three rows, as the decision has them).
    private func viewerArea(in screen: Rect) -> Rect {
        let datesShown = 1 + (content.value?.decision.servedAt == nil ? 0 : 1) + (content.value?.appealDeadline == nil ? 0 : 1)
        return screen.parts.body.indented(1).rows(from: datesShown + 1, leaving: 1)
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        let notice = canvas.bounds.parts.notice
        canvas.heading(reference.isEmpty ? strings("decision.title")
                       : strings("decision.title_reference", ["reference": context.clean(reference)]), context: context)
        guard let served = content.value else {
            canvas.loadingOrFailure(content, context: context)
            return
        }
        let decision = served.decision
        let area = viewerArea(in: canvas.bounds)
        var row = canvas.bounds.parts.body.row
        _ = canvas.put(strings("decision.made", ["date": context.formats.date(decision.madeAt)]), column: area.column, row: row)
        row += 1
        if let servedAt = decision.servedAt {
            _ = canvas.put(strings("decision.served", ["date": context.formats.date(servedAt)]), column: area.column, row: row,
                           maxWidth: area.width)
            row += 1
        }
        if let appeal = served.appealDeadline {
            _ = canvas.put(strings("decision.appeal", ["date": context.formats.date(appeal)]), column: area.column, row: row,
                           maxWidth: area.width, style: .title)
        }
        viewer.draw(into: &canvas, area: area)
        if let pathField {
            let label = exists != nil ? strings("decision.exists") : pathMissing ? strings("decision.path_missing") : strings("decision.save_to")
            _ = canvas.put(label, column: notice.column, row: notice.row, style: .title)
            pathField.draw(into: &canvas, area: Rect(column: notice.column + 1 + DisplayWidth.of(label), row: notice.row,
                                                     width: notice.width - 1 - DisplayWidth.of(label), height: 1))
        } else if let failure {
            canvas.notice(context.error(failure))
        } else if let saved {
            canvas.notice(strings("decision.saved", ["path": context.clean(saved.path), "size": context.size(saved.size)]), style: .title)
        } else if saving {
            canvas.notice(strings("decision.saving"), style: .muted)
        } else if decision.hasDocument {
            canvas.notice(strings("decision.keep_hint"), style: .muted)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        if pathField != nil { return [KeyHint(context.strings("tui.keycap.enter"), strings("decision.key.save")), context.leaveHint(strings("key.cancel"))] }
        var hints = [KeyHint("↑↓", strings("key.scroll"))]
        if content.value?.decision.hasDocument == true { hints.append(KeyHint("s", strings("decision.key.save_document"))) }
        hints.append(context.leaveHint(strings("key.back")))
        return hints
    }
}

/// A date as YYYY-MM-DD for file names (the same in every language).
func context_free_date(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "Europe/Helsinki") ?? .gmt).year().month().day())
}
