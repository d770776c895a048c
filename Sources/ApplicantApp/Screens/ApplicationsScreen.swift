import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// The applications with their status, filterable; choosing one opens it, or, when sending additional
/// information, writes to it.
struct ApplicationsScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        case loaded(Result<Fresh<[Application]>, ClientError>)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

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
        let focused = list.focusedID(self.content.value?.map(\.id) ?? [])
        self.content = content
        shownFor = ""  // new rows: search them all
        let applications = content.value ?? []
        searchable = applications.map { application in
            [application.referenceNumber, context.strings("application.type.\(application.type.rawValue)"),
             context.strings("application.status.\(application.status.rawValue)")].joined(separator: " ").lowercased()
        }
        refilter()
        // The portal may list them in another order now: the focus stays on the application it was on.
        list.refocus(on: focused, ids: applications.map(\.id))
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

    var reloadsWhenShownAgain: Bool { true }

    var choosesWhereToWrite: Bool { purpose == .chooseForAdditionalInformation }

    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard let store = environment.account?.store else { return nil }
        let client = environment.client
        return AppEnvironment.keptThenFresh("load applications", store, key: "applications", fetch: { try await client.applications() }) {
            .loaded($0)
        }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        let area = listArea(in: environment.screen)
        switch message {
        case .loaded(let result):
            show(Loadable(result), context: environment.context)
            return Effect.signInAgainIfEnded(result)
        case .input(.key(.escape)) where !list.isEditingFilter, .input(.key(.character("q"))) where !list.isEditingFilter:
            return [Message.ask(.back)]
        case .input(.key(.character("r"))) where !list.isEditingFilter, .input(.key(.function(5))):
            return [load(environment)].compactMap { $0 }
        case .input(.key(let key)):
            return outcome(list.handle(key, in: area))
        case .input(.mouse(let mouse)):
            return outcome(list.handle(mouse, area: area))
        case .input, .app:
            return []
        }
    }

    /// The rows of the list: the body, less the hint and the column headings above it.
    private func listArea(in screen: Rect) -> Rect { screen.parts.body.rows(from: 2) }

    private mutating func outcome(_ outcome: ListSelection.Outcome) -> [Effect<Message>] {
        switch outcome {
        case .activated(let index):
            guard let application = content.value?[index] else { return [] }
            switch purpose {
            case .browse: return [Message.ask(.open(.application(id: application.id)))]
            case .chooseForAdditionalInformation:
                return [Message.ask(.open(.compose(.application(application.id),
                                                   title: .additionalInformation(reference: application.referenceNumber))))]
            }
        case .filterChanged:
            refilter()
            return []
        case .moved, .ignored:
            return []
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        let body = canvas.bounds.parts.body
        canvas.heading(purpose == .browse ? strings("start.applications") : strings("applications.choose"), context: context)
        switch content {
        case .loading:
            _ = canvas.put(strings("common.loading"), column: body.column + 1, row: body.row, style: .muted)
        case .failed(let error):
            canvas.paragraph(context.error(error), in: body, style: .error)
        case .loaded(let applications, let offline):
            if purpose == .chooseForAdditionalInformation {
                _ = canvas.put(strings("applications.choose_hint"), column: body.column + 1, row: body.row, maxWidth: body.width - 2, style: .muted)
            }
            let header = pad(strings("applications.column.reference"), 18) + pad(strings("applications.column.type"), 34)
                + strings("applications.column.status")
            let area = listArea(in: canvas.bounds)
            _ = canvas.put(header, column: area.column + 2, row: area.row - 1, maxWidth: area.width - 2, style: .title)
            if applications.isEmpty {
                _ = canvas.put(strings("applications.none"), column: area.column + 2, row: area.row, style: .muted)
            }
            list.draw(into: &canvas, area: area) { index in
                let application = applications[index]
                let text = pad(context.clean(application.referenceNumber), 18)
                    + pad(strings("application.type.\(application.type.rawValue)"), 34)
                    + strings("application.status.\(application.status.rawValue)")
                return (text, .plain)
            }
            if list.isEditingFilter || !list.filter.isEmpty {
                canvas.notice(strings("common.filter", ["text": list.filter]), style: .muted)
            } else if let offline {
                canvas.notice(strings("common.offline", ["time": context.formats.dateTime(offline)]), style: .muted)
            }
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        return [KeyHint(context.strings("tui.keycap.enter"), strings("key.open")), KeyHint("/", strings("key.filter")),
                KeyHint("r", strings("key.reload")), context.leaveHint(strings("key.back"))]
    }
}

/// `text` cut or padded to `width` columns, for aligned columns.
func pad(_ text: String, _ width: Int) -> String {
    let cut = TextLayout.truncate(text, toWidth: width - 1, ellipsis: true)
    return cut + String(repeating: " ", count: max(width - DisplayWidth.of(cut), 0))
}
