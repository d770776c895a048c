import Foundation
import PorttiModel
import TerminalUI

/// A request for additional information in full: what is asked, the items, the deadline; and the way to respond.
struct RequestScreen: AppScreen {
    let requestID: String
    let applicationID: String
    var content: Loadable<SupplementRequest> = .loading
    var reference: String = ""
    var viewer = TextViewer(text: "")
    private var size = (width: 80, height: 22)

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
        viewer.layout(width: size.width - 4, height: max(size.height - 8, 1))
    }

    mutating func handle(_ event: InputEvent) -> ScreenAction? {
        switch event {
        case .resize(let width, let height):
            size = (width, height)
            viewer.layout(width: width - 4, height: max(height - 8, 1))
            return nil
        case .key(.escape), .key(.character("q")):
            return .back
        case .key(.enter), .key(.character("v")):
            guard let request = content.value, request.state(at: Date()) == .open else { return nil }
            return .open(.compose(.request(requestID), title: .response(reference: reference)))
        case .key(let key):
            _ = viewer.handle(key)
            return nil
        case .mouse(let mouse):
            _ = viewer.handle(mouse)
            return nil
        case .paste:
            return nil
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        let layout = Layout(canvas: canvas.bounds)
        canvas.heading(strings("request.title", ["reference": context.clean(reference)]), context: context)
        guard let request = content.value else {
            if case .failed(let error) = content { canvas.paragraph(context.error(error), in: layout.body, style: .error) }
            else { _ = canvas.put(strings("common.loading"), column: 2, row: 2, style: .muted) }
            return
        }
        let state = request.state(at: context.now)
        _ = canvas.put(strings("request.sent_on", ["date": context.formats.date(request.sentAt)]), column: 2, row: 2, maxWidth: canvas.width - 4)
        _ = canvas.put(requestLine(request, context: context), column: 2, row: 3, maxWidth: canvas.width - 4,
                       style: state == .overdue ? .error : .title)
        viewer.draw(into: &canvas, area: Rect(column: 2, row: 5, width: canvas.width - 4, height: max(canvas.height - 8, 1)))
        let footer: String
        switch state {
        case .open: footer = strings("request.respond_hint")
        case .answered: footer = strings("request.answered_hint")
        case .overdue: footer = strings("request.overdue_hint")
        }
        canvas.notice(footer, layout: layout, style: state == .open ? .title : .muted)
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        return [KeyHint(context.strings("tui.keycap.enter"), strings("request.respond")), KeyHint("↑↓", strings("key.scroll")),
                KeyHint(context.strings("tui.keycap.esc"), strings("key.back"))]
    }
}
