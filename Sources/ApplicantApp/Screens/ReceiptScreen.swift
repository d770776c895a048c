import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// A confirmation of receipt: the number, the portal's time and each file with its size and short SHA-256.
struct ReceiptScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    let kept: KeptReceipt
    /// Just sent (rather than opened from the list of receipts).
    let justSent: Bool

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        guard case .input(.key(let key)) = message else { return [] }
        switch key {
        case .escape, .enter, .character("q"): return [Message.ask(.back)]
        default: return []
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        let receipt = kept.receipt
        canvas.heading(strings("receipt.title"), context: context)
        let body = canvas.bounds.parts.body.indented(1)
        var row = body.row
        if justSent {
            _ = canvas.put(strings("receipt.sent"), column: body.column, row: row, maxWidth: body.width, style: .title)
            row += 2
        }
        for line in [
            strings("receipt.number", ["number": context.clean(receipt.number)]),
            strings("receipt.time", ["time": context.formats.dateTime(receipt.receivedAt)]),
            kept.target.isRequest ? strings("receipt.kind_response") : strings("receipt.kind_additional"),
            receipt.applicationReference.map { strings("receipt.application", ["reference": context.clean($0)]) },
        ].compactMap({ $0 }) {
            _ = canvas.put(line, column: body.column, row: row, maxWidth: body.width)
            row += 1
        }
        row += 1
        _ = canvas.put(strings("receipt.files", ["count": String(receipt.files.count)]), column: body.column, row: row, style: .title)
        row += 1
        for file in receipt.files where row < body.row + body.height - 1 {
            let line = "\(context.clean(file.name))  \(context.size(file.size))  SHA-256 \(file.sha256.prefix(12))…"
            _ = canvas.put(line, column: body.column + 2, row: row, maxWidth: body.width - 2)
            row += 1
        }
        canvas.notice(strings("receipt.kept"), style: .muted)
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] { [KeyHint(context.strings("tui.keycap.enter"), context.strings("key.back"), essential: true)] }
}

extension MessageTarget {
    var isRequest: Bool { if case .request = self { true } else { false } }
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
        list.draw(into: &canvas, area: area) { index in
            let receipt = receipts[index].receipt
            let kind = receipts[index].target.isRequest ? strings("receipt.kind_response") : strings("receipt.kind_additional")
            // Widths for the longest of each (a Finnish date is 20 columns), so the kind fits at 80 columns.
            let reference = pad(context.clean(receipt.applicationReference ?? ""), 16)
            return ("\(pad(context.clean(receipt.number), 14))\(pad(context.formats.dateTime(receipt.receivedAt), 21))\(reference)\(kind)", .plain)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        [KeyHint(context.strings("tui.keycap.enter"), context.strings("key.open")), context.leaveHint(context.strings("key.back"))]
    }
}
