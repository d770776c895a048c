import Foundation
import PorttiModel
import TerminalUI

/// A decision: its text, the date it was served (first opened), the last day to appeal; its document can be
/// saved to a path the applicant picks.
struct DecisionScreen: AppScreen {
    let decisionID: String
    var content: Loadable<ServedDecision> = .loading
    var viewer = TextViewer(text: "")
    /// Typing the path to save the document to.
    var pathField: TextField?
    var saved: (path: String, size: Int64)?
    var saving = false
    var failure: ClientError?
    /// The path typed names a file that exists already.
    var exists: String?
    private var size = (width: 80, height: 22)

    init(decisionID: String, reference: String, suggestedFolder: String) {
        self.decisionID = decisionID
        self.reference = reference
        self.suggestedFolder = suggestedFolder
    }

    let suggestedFolder: String

    /// The application's reference number; empty until known.
    var reference = ""

    mutating func show(_ content: Loadable<ServedDecision>, reference: String, context: ViewContext) {
        self.content = content
        self.reference = reference
        viewer = TextViewer(text: content.value.map { context.cleanLines($0.decision.text) } ?? "")
        viewer.layout(width: size.width - 4, height: max(size.height - 10, 1))
    }

    var capturesText: Bool { pathField != nil }

    mutating func handle(_ event: InputEvent) -> ScreenAction? {
        if case .resize(let width, let height) = event {
            size = (width, height)
            viewer.layout(width: width - 4, height: max(height - 10, 1))
            return nil
        }
        if var field = pathField {
            switch event {
            case .key(let key):
                switch field.handle(key) {
                case .submitted:
                    pathField = nil
                    let path = (field.text as NSString).expandingTildeInPath
                    guard !path.isEmpty else { return nil }
                    // Never over another file: the applicant picks a new name instead.
                    if FileManager.default.fileExists(atPath: path) {
                        exists = path
                        pathField = field
                        return nil
                    }
                    exists = nil
                    saving = true
                    failure = nil
                    return .saveDecisionDocument(decisionID: decisionID, path: path)
                case .cancelled:
                    pathField = nil
                    return nil
                default:
                    pathField = field
                    return nil
                }
            case .paste(let text):
                field.insert(UntrustedText.sanitized(text))
                pathField = field
                return nil
            default:
                return nil
            }
        }
        switch event {
        case .key(.escape), .key(.character("q")):
            return .back
        case .key(.character("s")):
            guard let decision = content.value?.decision, decision.hasDocument, !saving else { return nil }
            let name = "decision-\(context_free_date(decision.madeAt)).pdf"
            pathField = TextField(text: (suggestedFolder as NSString).appendingPathComponent(name))
            return nil
        case .key(let key):
            _ = viewer.handle(key)
            return nil
        case .mouse(let mouse):
            _ = viewer.handle(mouse)
            return nil
        default:
            return nil
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        let layout = Layout(canvas: canvas.bounds)
        canvas.heading(reference.isEmpty ? strings("decision.title")
                       : strings("decision.title_reference", ["reference": context.clean(reference)]), context: context)
        guard let served = content.value else {
            if case .failed(let error) = content { canvas.paragraph(context.error(error), in: layout.body, style: .error) }
            else { _ = canvas.put(strings("common.loading"), column: 2, row: 2, style: .muted) }
            return
        }
        let decision = served.decision
        var row = 2
        _ = canvas.put(strings("decision.made", ["date": context.formats.date(decision.madeAt)]), column: 2, row: row)
        row += 1
        if let servedAt = decision.servedAt {
            _ = canvas.put(strings("decision.served", ["date": context.formats.date(servedAt)]), column: 2, row: row, maxWidth: canvas.width - 4)
            row += 1
        }
        if let appeal = served.appealDeadline {
            _ = canvas.put(strings("decision.appeal", ["date": context.formats.date(appeal)]), column: 2, row: row,
                           maxWidth: canvas.width - 4, style: .title)
            row += 1
        }
        viewer.draw(into: &canvas, area: Rect(column: 2, row: row + 1, width: canvas.width - 4, height: max(canvas.height - row - 4, 1)))
        if let pathField {
            let label = exists != nil ? strings("decision.exists") : strings("decision.save_to")
            _ = canvas.put(label, column: 1, row: layout.notice.row, style: .title)
            pathField.draw(into: &canvas, area: Rect(column: 2 + DisplayWidth.of(label), row: layout.notice.row,
                                                     width: canvas.width - 3 - DisplayWidth.of(label), height: 1))
        } else if let failure {
            canvas.notice(context.error(failure), layout: layout)
        } else if let saved {
            canvas.notice(strings("decision.saved", ["path": context.clean(saved.path), "size": context.size(saved.size)]),
                          layout: layout, style: .title)
        } else if saving {
            canvas.notice(strings("decision.saving"), layout: layout, style: .muted)
        } else if decision.hasDocument {
            canvas.notice(strings("decision.keep_hint"), layout: layout, style: .muted)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        if pathField != nil { return [KeyHint(context.strings("tui.keycap.enter"), strings("decision.key.save")), KeyHint(context.strings("tui.keycap.esc"), strings("key.cancel"))] }
        var hints = [KeyHint("↑↓", strings("key.scroll"))]
        if content.value?.decision.hasDocument == true { hints.append(KeyHint("s", strings("decision.key.save_document"))) }
        hints.append(KeyHint(context.strings("tui.keycap.esc"), strings("key.back")))
        return hints
    }
}

/// A date as YYYY-MM-DD for file names (the same in every language).
func context_free_date(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "Europe/Helsinki") ?? .gmt).year().month().day())
}
