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
    /// Saving the document: the path typed, and what became of it.
    var prompt = SavePrompt()
    /// The path being typed, if any.
    var pathField: TextField? { prompt.pathField }
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

    var capturesText: Bool { prompt.isTyping }

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
            prompt.finished(path, .failure(.fileExists(path: path)))
            return []
        case .saved(let path, let result):
            prompt.finished(path, result)
            return Effect.signInAgainIfEnded(result)
        case .input(let event) where prompt.isTyping:
            guard let path = prompt.type(event, home: environment.services.home) else { return [] }
            let client = environment.client
            let id = decisionID
            // The client checks the name before it fetches anything, and never writes over a file.
            return [.run("save document") {
                .saved(path: path, await AppEnvironment.result { try await client.saveDecisionDocument(id: id, to: path) })
            }]
        case .input(.key(.escape)), .input(.key(.character("q"))):
            return [Message.ask(.back)]
        case .input(.key(.character("s"))):
            guard let decision = content.value?.decision, decision.hasDocument, !prompt.saving else { return [] }
            let name = "decision-\(context_free_date(decision.madeAt)).pdf"
            prompt.offer((environment.services.home as NSString).appendingPathComponent(name))
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

    /// `~` and `~/…` in a typed path lead to the applicant's home folder.
    static func expandingTilde(_ path: String, home: String) -> String { SavePrompt.expandingTilde(path, home: home) }

    /// The decision's text: the body under its dates (two or three rows, as the decision has them).
    private func viewerArea(in screen: Rect) -> Rect {
        let datesShown = 1 + (content.value?.decision.servedAt == nil ? 0 : 1) + (content.value?.appealDeadline == nil ? 0 : 1)
        return screen.parts.body.indented(1).rows(from: datesShown + 1, leaving: 1)
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
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
        if !prompt.draw(into: &canvas, context: context, savingText: strings("decision.saving")), decision.hasDocument {
            canvas.notice(strings("decision.keep_hint"), style: .muted)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        if prompt.isTyping { return SavePrompt.keyHints(context) }
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
