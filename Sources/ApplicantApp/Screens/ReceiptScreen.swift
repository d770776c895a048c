import Foundation
import PorttiModel
import TerminalUI

/// A confirmation of receipt: the number, the portal's time and each file with its size and short SHA-256.
struct ReceiptScreen: AppScreen {
    let kept: KeptReceipt
    /// Just sent (rather than opened from the list of receipts).
    let justSent: Bool

    mutating func handle(_ event: InputEvent) -> ScreenAction? {
        guard case .key(let key) = event else { return nil }
        switch key {
        case .escape, .enter, .character("q"): return .back
        default: return nil
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        let receipt = kept.receipt
        canvas.heading(strings("receipt.title"), context: context)
        var row = 2
        if justSent {
            _ = canvas.put(strings("receipt.sent"), column: 2, row: row, maxWidth: canvas.width - 4, style: .title)
            row += 2
        }
        for line in [
            strings("receipt.number", ["number": context.clean(receipt.number)]),
            strings("receipt.time", ["time": context.formats.dateTime(receipt.receivedAt)]),
            kept.target.isRequest ? strings("receipt.kind_response") : strings("receipt.kind_additional"),
            receipt.applicationReference.map { strings("receipt.application", ["reference": context.clean($0)]) },
        ].compactMap({ $0 }) {
            _ = canvas.put(line, column: 2, row: row, maxWidth: canvas.width - 4)
            row += 1
        }
        row += 1
        _ = canvas.put(strings("receipt.files", ["count": String(receipt.files.count)]), column: 2, row: row, style: .title)
        row += 1
        for file in receipt.files where row < canvas.height - 3 {
            let line = "\(context.clean(file.name))  \(context.size(file.size))  SHA-256 \(file.sha256.prefix(12))…"
            _ = canvas.put(line, column: 4, row: row, maxWidth: canvas.width - 6)
            row += 1
        }
        canvas.notice(strings("receipt.kept"), layout: Layout(canvas: canvas.bounds), style: .muted)
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] { [KeyHint(context.strings("tui.keycap.enter"), context.strings("key.back"))] }
}

extension MessageTarget {
    var isRequest: Bool { if case .request = self { true } else { false } }
}

/// The receipts kept on this machine, newest first.
struct ReceiptsScreen: AppScreen {
    var receipts: [KeptReceipt]
    var list = ListSelection()

    init(receipts: [KeptReceipt]) {
        self.receipts = receipts
        list.setVisible(Array(receipts.indices))
    }

    mutating func handle(_ event: InputEvent) -> ScreenAction? {
        switch event {
        case .resize(_, let height):
            list.viewportHeight = max(height - 5, 1)
            return nil
        case .key(.escape), .key(.character("q")):
            return .back
        case .key(.character("/")):
            return nil  // nothing here to filter
        case .key(let key):
            if case .activated(let index) = list.handle(key) { return .open(.receipt(receipts[index])) }
            return nil
        default:
            return nil
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        canvas.heading(strings("start.receipts"), context: context)
        if receipts.isEmpty {
            _ = canvas.put(strings("receipts.none"), column: 2, row: 2, style: .muted)
            return
        }
        list.draw(into: &canvas, area: Rect(column: 1, row: 2, width: canvas.width - 2, height: max(canvas.height - 4, 1))) { index in
            let receipt = receipts[index].receipt
            let kind = receipts[index].target.isRequest ? strings("receipt.kind_response") : strings("receipt.kind_additional")
            // Widths for the longest of each (a Finnish date is 20 columns), so the kind fits at 80 columns.
            let reference = pad(context.clean(receipt.applicationReference ?? ""), 16)
            return ("\(pad(context.clean(receipt.number), 14))\(pad(context.formats.dateTime(receipt.receivedAt), 21))\(reference)\(kind)", .plain)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        [KeyHint(context.strings("tui.keycap.enter"), context.strings("key.open")), KeyHint(context.strings("tui.keycap.esc"), context.strings("key.back"))]
    }
}
