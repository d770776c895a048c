import Foundation
import PorttiModel
import TerminalUI

/// The applications with their status, filterable; choosing one opens it, or, when sending additional
/// information, writes to it.
struct ApplicationsScreen: AppScreen {
    enum Purpose: Sendable, Equatable {
        case browse
        case chooseForAdditionalInformation
    }

    let purpose: Purpose
    var content: Loadable<[Application]> = .loading
    var list = ListSelection()
    /// Lowercased searchable text per application, made once per load (the filter walks it, nothing else).
    private var searchable: [String] = []

    init(purpose: Purpose) { self.purpose = purpose }

    mutating func show(_ content: Loadable<[Application]>, context: ViewContext) {
        self.content = content
        shownFor = ""  // new rows: search them all
        let applications = content.value ?? []
        searchable = applications.map { application in
            [application.referenceNumber, context.strings("application.type.\(application.type.rawValue)"),
             context.strings("application.status.\(application.status.rawValue)")].joined(separator: " ").lowercased()
        }
        refilter()
    }

    /// The filter the shown rows were chosen by: a longer filter only narrows them, so only they are searched.
    private var shownFor = ""

    private mutating func refilter() {
        let filter = list.filter.lowercased()
        let needle = Array(filter.utf8)
        let searchable = self.searchable
        if needle.isEmpty {
            list.setVisible(Array(searchable.indices))
        } else if !shownFor.isEmpty, filter.hasPrefix(shownFor) {
            list.applyFilter(order: list.visible) { TextSearch.contains(searchable[$0], needle) }
        } else {
            list.applyFilter(order: searchable.indices) { TextSearch.contains(searchable[$0], needle) }
        }
        shownFor = filter
    }

    var capturesText: Bool { list.isEditingFilter }

    mutating func handle(_ event: InputEvent) -> ScreenAction? {
        switch event {
        case .resize(_, let height):
            list.viewportHeight = max(height - 6, 1)
            return nil
        case .key(.escape) where !list.isEditingFilter, .key(.character("q")) where !list.isEditingFilter:
            return .back
        case .key(.character("r")) where !list.isEditingFilter, .key(.function(5)):
            return .reload
        case .key(let key):
            return outcome(list.handle(key))
        case .mouse(let mouse):
            return outcome(list.handle(mouse, area: Rect(column: 1, row: 4, width: 200, height: list.viewportHeight)))
        case .paste:
            return nil
        }
    }

    private mutating func outcome(_ outcome: ListSelection.Outcome) -> ScreenAction? {
        switch outcome {
        case .activated(let index):
            guard let application = content.value?[index] else { return nil }
            switch purpose {
            case .browse: return .open(.application(id: application.id))
            case .chooseForAdditionalInformation:
                return .open(.compose(.application(application.id),
                                      title: .additionalInformation(reference: application.referenceNumber)))
            }
        case .filterChanged:
            refilter()
            return nil
        case .moved, .ignored:
            return nil
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        let layout = Layout(canvas: canvas.bounds)
        canvas.heading(purpose == .browse ? strings("start.applications") : strings("applications.choose"), context: context)
        switch content {
        case .loading:
            _ = canvas.put(strings("common.loading"), column: 2, row: 2, style: .muted)
        case .failed(let error):
            canvas.paragraph(context.error(error), in: layout.body, style: .error)
        case .loaded(let applications, let offline):
            if purpose == .chooseForAdditionalInformation {
                _ = canvas.put(strings("applications.choose_hint"), column: 2, row: 2, maxWidth: canvas.width - 4, style: .muted)
            }
            let header = pad(strings("applications.column.reference"), 18) + pad(strings("applications.column.type"), 34)
                + strings("applications.column.status")
            _ = canvas.put(header, column: 3, row: 3, maxWidth: canvas.width - 4, style: .title)
            let area = Rect(column: 1, row: 4, width: canvas.width - 2, height: max(canvas.height - 6, 1))
            if applications.isEmpty {
                _ = canvas.put(strings("applications.none"), column: 3, row: 4, style: .muted)
            }
            list.draw(into: &canvas, area: area) { index in
                let application = applications[index]
                let text = pad(context.clean(application.referenceNumber), 18)
                    + pad(strings("application.type.\(application.type.rawValue)"), 34)
                    + strings("application.status.\(application.status.rawValue)")
                return (text, .plain)
            }
            if list.isEditingFilter || !list.filter.isEmpty {
                canvas.notice(strings("common.filter", ["text": list.filter]), layout: layout, style: .muted)
            } else if let offline {
                canvas.notice(strings("common.offline", ["time": context.formats.dateTime(offline)]), layout: layout, style: .muted)
            }
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        return [KeyHint(context.strings("tui.keycap.enter"), strings("key.open")), KeyHint("/", strings("key.filter")),
                KeyHint("r", strings("key.reload")), KeyHint(context.strings("tui.keycap.esc"), strings("key.back"))]
    }
}

/// `text` cut or padded to `width` columns, for aligned columns.
func pad(_ text: String, _ width: Int) -> String {
    let cut = TextLayout.truncate(text, toWidth: width - 1, ellipsis: true)
    return cut + String(repeating: " ", count: max(width - DisplayWidth.of(cut), 0))
}
