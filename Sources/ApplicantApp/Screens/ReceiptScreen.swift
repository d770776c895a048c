import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// A confirmation of receipt: the number, the portal's time, whether it is signed and verified (with the key's
/// fingerprint), each file with its size and whole SHA-256, and
/// the message as it was sent; scrolled when it is longer than the screen.
struct ReceiptScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    let kept: KeptReceipt
    /// Just sent (rather than opened from the list of receipts).
    let justSent: Bool
    /// The first row shown of the receipt's rows.
    var top = 0

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        guard case .input(let event) = message else { return [] }
        let area = Self.documentArea(in: environment.screen)
        let last = max(rows(environment.context, width: area.width).count - area.height, 0)
        switch event {
        case .key(.escape), .key(.enter), .key(.character("q")): return [Message.ask(.back)]
        case .key(.up), .key(.character("k")): top -= 1
        case .key(.down), .key(.character("j")): top += 1
        case .mouse(let mouse) where mouse.action == .wheelUp: top -= 3
        case .mouse(let mouse) where mouse.action == .wheelDown: top += 3
        case .key(.pageUp): top -= max(area.height - 1, 1)
        case .key(.pageDown), .key(.character(" ")): top += max(area.height - 1, 1)
        case .key(.home): top = 0
        case .key(.end): top = last
        default: return []
        }
        top = min(max(top, 0), last)
        return []
    }

    static func documentArea(in screen: Rect) -> Rect { screen.parts.body.indented(1).rows(from: 0, leaving: 1) }

    /// The receipt as rows `width` wide: what a person would print and keep.
    func rows(_ context: ViewContext, width: Int) -> [(text: String, style: Style)] {
        let strings = context.strings
        let receipt = kept.receipt
        var rows: [(text: String, style: Style)] = []
        func add(_ text: String, _ style: Style = .plain, indent: Int = 0) {
            for line in TextLayout.wrap(text, width: max(width - indent, 1)) {
                rows.append((String(repeating: " ", count: indent) + line, style))
            }
        }
        if justSent {
            add(strings("receipt.sent"), .title)
            rows.append(("", .plain))
        }
        add(strings("receipt.number", ["number": context.clean(receipt.number)]))
        add(strings("receipt.time", ["time": context.formats.dateTime(receipt.receivedAt)]))
        add(strings(kept.target.kindKey))
        if let reference = receipt.applicationReference { add(strings("receipt.application", ["reference": context.clean(reference)])) }
        if let topic = receipt.topic { add(strings("receipt.topic", ["topic": context.topicTitle(topic)])) }
        // What makes it proof: the portal's signature, checked on arrival, and the key's fingerprint to compare
        // with the one the portal publishes.
        if let kid = kept.verifiedKey, receipt.signed != nil {
            add(strings("receipt.signed_verified", ["fingerprint": context.clean(kid)]), .title)
        } else {
            add(strings("receipt.unsigned"), .muted)
        }
        rows.append(("", .plain))
        add(strings("receipt.files", ["count": String(receipt.files.count)]), .title)
        for file in receipt.files {
            add("\(context.clean(file.name))  \(context.size(file.size))", indent: 2)
            // The whole digest: it is what proves which file arrived, so it is never cut.
            add("SHA-256 \(file.sha256)", .muted, indent: 4)
        }
        rows.append(("", .plain))
        add(strings("receipt.message"), .title)
        if kept.message.isEmpty {
            add(strings("compose.no_text"), .muted, indent: 2)
        } else {
            for line in context.cleanLines(kept.message).split(separator: "\n", omittingEmptySubsequences: false) {
                add(String(line), indent: 2)
            }
        }
        return rows
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        canvas.heading(context.strings("receipt.title"), context: context)
        let area = Self.documentArea(in: canvas.bounds)
        let rows = rows(context, width: area.width)
        let first = min(top, max(rows.count - area.height, 0))
        for (offset, row) in rows.dropFirst(first).prefix(area.height).enumerated() {
            _ = canvas.put(row.text, column: area.column, row: area.row + offset, maxWidth: area.width, style: row.style)
        }
        canvas.notice(context.strings(rows.count > area.height ? "receipt.kept_scroll" : "receipt.kept"), style: .muted)
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        [KeyHint("↑↓", context.strings("key.scroll")),
         KeyHint(context.strings("tui.keycap.enter"), context.strings("key.back"), essential: true)]
    }
}

extension MessageTarget {
    /// What was sent, as the receipt names it: the string table key.
    var kindKey: String {
        switch self {
        case .request: "receipt.kind_response"
        case .application: "receipt.kind_additional"
        case .topic: "receipt.kind_other_matter"
        case .reply: "receipt.kind_reply"
        }
    }

    /// The same in a few words, for the list of receipts, whose columns must fit 80 in every language.
    var shortKindKey: String {
        switch self {
        case .request: "receipts.kind.response"
        case .application: "receipts.kind.additional"
        case .topic: "receipts.kind.other_matter"
        case .reply: "receipts.kind.reply"
        }
    }
}

/// The receipts kept on this machine, newest first.
struct ReceiptsScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        case loaded([KeptReceipt])
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    var receipts: [KeptReceipt] = []
    var list = ListSelection()

    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard let store = environment.account?.store else { return nil }
        return .run("read receipts") { .loaded(await BlockingWork.run { (try? store.receipts()) ?? [] }) }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .loaded(let receipts):
            self = ReceiptsScreen(receipts: receipts, list: ListSelection())
            list.setVisible(Array(receipts.indices))
            return []
        case .input(.key(.escape)), .input(.key(.character("q"))):
            return [Message.ask(.back)]
        case .input(.key(.character("/"))):
            return []  // nothing here to filter
        case .input(.key(let key)):
            if case .activated(let index) = list.handle(key, in: listArea(in: environment.screen)) {
                return [Message.ask(.open(.receipt(receipts[index], justSent: false)))]
            }
            return []
        case .input, .app:
            return []
        }
    }

    private func listArea(in screen: Rect) -> Rect { screen.parts.body }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        canvas.heading(strings("start.receipts"), context: context)
        let area = listArea(in: canvas.bounds)
        if receipts.isEmpty {
            _ = canvas.put(strings("receipts.none"), column: area.column + 1, row: area.row, style: .muted)
            return
        }
        func cells(_ index: Int) -> [String] {
            let receipt = receipts[index].receipt
            // What it concerns: the application, or the topic of a message on another matter.
            let about = receipt.applicationReference.map(context.clean) ?? receipt.topic.map(context.topicTitle) ?? ""
            return [context.clean(receipt.number), context.formats.dateTime(receipt.receivedAt), about,
                    strings(receipts[index].target.shortKindKey)]
        }
        let columns = Columns(list.itemsShown(height: area.height).map(cells))
        list.draw(into: &canvas, area: area) { index in (columns.line(cells(index)), .plain) }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        (receipts.isEmpty ? [] : [KeyHint(context.strings("tui.keycap.enter"), context.strings("key.open"))])
            + [context.leaveHint(context.strings("key.back"))]
    }
}
