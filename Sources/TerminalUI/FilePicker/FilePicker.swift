import Glibc
import Synchronization
import PorttiLocalization

/// A file picked, of a kind the picker's rule takes.
public struct PickedFile: Sendable, Hashable {
    public var path: FileSystemPath
    public var displayName: String
    public var size: Int64
    /// What the rule named it (`FileRule.kind`).
    public var kind: String
}

/// The file picker screen: browse folders (listed in the background), sort, filter, show hidden files,
/// pick several files, and see before any upload which files the rule it is given refuses, and why.
public struct FilePicker: Program {
    public enum Message: InputMessage {
        case input(InputEvent)
        case listingProgress(generation: Int, count: Int)
        /// The names, shown at once.
        case listed(generation: Int, FolderListing)
        /// The same entries with sizes and times, and every sort order.
        case described(generation: Int, FolderListing)
        case listingFailed(generation: Int, FolderError)
        case inspected(generation: Int, [Int: Verdict], sizes: [Int: Int64])
    }

    public enum Outcome: Sendable, Hashable {
        case picked([PickedFile])
        case cancelled
    }

    /// The words; the owner changes them when the applicant switches the language while picking.
    public var strings: StringTable
    /// What a file must be to be picked: the program's, not the toolkit's.
    public let rule: FileRule
    public let home: FileSystemPath
    /// Seconds east of UTC for showing modification times.
    public let utcOffset: Int
    public private(set) var folder: FileSystemPath
    public private(set) var entries: [FileEntry] = []
    public private(set) var verdicts: [Verdict] = []
    private var orders: [SortOrder: [Int]] = [:]
    private var names = TextSearch.Index([])
    private var hidden: [Bool] = []
    private var inspecting: Set<Int> = []
    public private(set) var list = ListSelection()
    public private(set) var sortOrder = SortOrder.name
    public private(set) var showsHidden = false
    public private(set) var picked: [PickedFile] = []
    public private(set) var loadingCount: Int?
    public private(set) var folderError: FolderError?
    /// A one-line note after an action (a refused pick).
    public private(set) var notice: String?
    public private(set) var outcome: Outcome?
    private var generation = 0
    /// The generation shown now, for the background work reading an older folder to see that it can stop.
    private let shown = ShownGeneration()
    private var size = (width: 80, height: 23)

    public init(strings: StringTable, folder: FileSystemPath, home: FileSystemPath, rule: FileRule, utcOffset: Int = 0) {
        self.strings = strings
        self.folder = folder
        self.home = home
        self.rule = rule
        self.utcOffset = utcOffset
    }

    public mutating func start() -> [Effect<Message>] { [open(folder)] }

    // MARK: Update

    public mutating func update(_ message: Message) -> [Effect<Message>] {
        switch message {
        case .input(let event):
            notice = nil
            handle(event)
        case .listingProgress(let generation, let count):
            guard generation == self.generation else { return [] }
            loadingCount = count
        case .listed(let generation, let listing):
            guard generation == self.generation else { return [] }
            loadingCount = nil
            entries = listing.entries
            orders = listing.orders
            names = listing.names
            hidden = entries.map(\.isHidden)
            verdicts = entries.map { $0.initialVerdict(rule: rule) }
            inspecting = []
            list = ListSelection()
            list.viewportHeight = listHeight
            refilter()
        case .described(let generation, let listing):
            guard generation == self.generation, listing.entries.count == entries.count else { return [] }
            entries = listing.entries
            orders = listing.orders
            // What is already inspected stays; the rest learns what its size alone decides.
            for index in verdicts.indices where verdicts[index] == .pending {
                verdicts[index] = entries[index].initialVerdict(rule: rule)
            }
            refilter()
        case .listingFailed(let generation, let error):
            guard generation == self.generation else { return [] }
            loadingCount = nil
            folderError = error
        case .inspected(let generation, let results, let sizes):
            guard generation == self.generation else { return [] }
            for (index, size) in sizes where entries.indices.contains(index) { entries[index].size = size }
            for (index, verdict) in results where verdicts.indices.contains(index) {
                verdicts[index] = verdict
                inspecting.remove(index)
                if case .refused = verdict { picked.removeAll { $0.path == folder.appending(entries[index].rawName) } }
            }
        }
        return pendingEffects()
    }

    private var pendingOpen: FileSystemPath?

    private mutating func pendingEffects() -> [Effect<Message>] {
        var effects: [Effect<Message>] = []
        if let target = pendingOpen {
            pendingOpen = nil
            effects.append(open(target))
        }
        if let inspection = inspectVisible() { effects.append(inspection) }
        if outcome != nil { effects.append(.quit) }
        return effects
    }

    private mutating func handle(_ event: InputEvent) {
        switch event {
        case .resize(let width, let height):
            size = (width, height)
            list.viewportHeight = listHeight
        case .paste(let text) where list.isEditingFilter:
            list.setFilter(list.filter + TerminalText.sanitize(text))
            refilter()
        case .paste:
            break
        case .mouse(let mouse):
            if case .activated(let index) = list.handle(mouse, area: listArea) { activate(index) }
        case .key(let key):
            handle(key)
        }
    }

    private mutating func handle(_ key: Key) {
        if !list.isEditingFilter {
            switch key {
            case .character(" "), .insert:
                toggleFocused()
                return
            case .character("."):
                showsHidden.toggle()
                refilter()
                return
            case .character("s"):
                sortOrder = sortOrder.next
                refilter()
                return
            case .character("~"):
                pendingOpen = home
                return
            case .backspace, .left, .character("h"):
                pendingOpen = folder.parent
                return
            case .right, .character("l"):
                if let index = list.focusedItem, entries[index].isFolder { activate(index) }
                return
            case .escape where list.filter.isEmpty:
                outcome = .cancelled
                return
            case .enter where !picked.isEmpty:
                if let index = list.focusedItem, entries[index].isFolder { activate(index); return }
                outcome = .picked(picked)
                return
            default:
                break
            }
        }
        switch list.handle(key) {
        case .filterChanged: refilter()
        case .activated(let index): activate(index)
        case .moved, .ignored: break
        }
    }

    /// Enter on a folder opens it; on an acceptable file with nothing else picked, picks it and finishes.
    private mutating func activate(_ index: Int) {
        let entry = entries[index]
        if entry.isFolder {
            pendingOpen = folder.appending(entry.rawName)
            return
        }
        if case .accepted(let kind) = verdicts[index] {
            outcome = .picked([PickedFile(path: folder.appending(entry.rawName), displayName: entry.displayName, size: entry.size ?? 0, kind: kind)])
        } else {
            notice = namedRefusal(index) ?? strings("picker.checking")
        }
    }

    private mutating func toggleFocused() {
        guard let index = list.focusedItem, !entries[index].isFolder else { return }
        let path = folder.appending(entries[index].rawName)
        if let existing = picked.firstIndex(where: { $0.path == path }) {
            picked.remove(at: existing)
            return
        }
        switch verdicts[index] {
        case .accepted(let kind):
            guard picked.count < rule.maxPicked else {
                notice = strings("error.too_many_attachments", ["limit": String(rule.maxPicked)])
                return
            }
            picked.append(PickedFile(path: path, displayName: entries[index].displayName, size: entries[index].size ?? 0, kind: kind))
        case .refused, .notApplicable, .pending:
            notice = namedRefusal(index) ?? strings("picker.checking")
        }
        _ = list.handle(.down)
    }

    private mutating func refilter() {
        let matches = names.matches(Array(list.filter.lowercased().utf8))
        let hidden = showsHidden ? nil : self.hidden
        list.applyFilter(order: orders[sortOrder] ?? orders[.name] ?? Array(entries.indices)) { index in
            matches[index] && hidden?[index] != true
        }
    }

    private mutating func open(_ target: FileSystemPath) -> Effect<Message> {
        generation += 1
        let generation = self.generation
        let shown = self.shown
        shown.set(generation)
        folder = target
        entries = []
        verdicts = []
        orders = [:]
        names = TextSearch.Index([])
        hidden = []
        inspecting = []
        folderError = nil
        loadingCount = 0
        list = ListSelection()
        list.viewportHeight = listHeight
        return .stream { post in
            await BlockingWork.run {
                let isWanted = { shown.is(generation) }
                switch FileInspector.list(target, progress: { post(.listingProgress(generation: generation, count: $0)) },
                                          isWanted: isWanted) {
                case .success(let entries):
                    let listing = FolderListing(folder: target, entries: entries)
                    post(.listed(generation: generation, listing))
                    guard isWanted() else { return }
                    post(.described(generation: generation, listing.described(FileInspector.describe(entries, in: target, isWanted: isWanted))))
                case .failure(let error):
                    post(.listingFailed(generation: generation, error))
                }
            }
        }
    }

    /// Reads the first bytes of the regular files on screen that are not checked yet, off the terminal
    /// thread; a huge folder is checked only as far as the user looks.
    private mutating func inspectVisible() -> Effect<Message>? {
        let wanted = list.visibleRange.map { list.visible[$0] }.filter { verdicts[$0] == .pending && !inspecting.contains($0) }
        guard !wanted.isEmpty else { return nil }
        inspecting.formUnion(wanted)
        let jobs = wanted.map { ($0, folder.appending(entries[$0].rawName), entries[$0].isSymbolicLink) }
        let generation = self.generation
        let rule = self.rule
        return .run {
            await BlockingWork.run {
                var results: [Int: Verdict] = [:]
                var sizes: [Int: Int64] = [:]
                for (index, path, isLink) in jobs {
                    let (verdict, size) = FileInspector.examine(path, isSymbolicLink: isLink, rule: rule)
                    results[index] = verdict
                    sizes[index] = size
                }
                return .inspected(generation: generation, results, sizes: sizes)
            }
        }
    }

    // MARK: Layout and view

    private var listHeight: Int { max(size.height - 5, 1) }
    private var listArea: Rect { Rect(column: 0, row: 3, width: size.width, height: listHeight) }

    public var capturesText: Bool { list.isEditingFilter }

    public var keyHints: [KeyHint] {
        if list.isEditingFilter {
            return [KeyHint(strings("tui.keycap.enter"), strings("picker.key.filter_done")),
                    KeyHint(strings("tui.keycap.esc"), strings("picker.key.filter_clear"), essential: true)]
        }
        return [
            KeyHint("↑↓", strings("tui.key.move")),
            KeyHint(strings("tui.keycap.enter"), strings("picker.key.open")),
            KeyHint(strings("tui.keycap.space"), strings("picker.key.select")),
            KeyHint("/", strings("tui.key.filter")),
            KeyHint("s", strings("picker.key.sort")),
            KeyHint(".", strings("picker.key.hidden")),
            KeyHint("~", strings("picker.key.home")),
            KeyHint(strings("tui.keycap.backspace"), strings("picker.key.parent")),
            KeyHint(strings("tui.keycap.esc"), strings("tui.key.cancel"), essential: true),
        ]
    }

    public func view(into canvas: inout Canvas) {
        let width = canvas.width
        var sortName = strings("picker.sort.\(["name", "date", "size"][sortOrder.rawValue])")
        // Sorting by date or size waits for the sizes and times; till then the rows are in name order.
        if orders[sortOrder] == nil && !entries.isEmpty { sortName += "…" }
        let state = strings("picker.state", ["sort": sortName, "hidden": strings(showsHidden ? "picker.hidden.shown" : "picker.hidden.hidden")])
        let stateWidth = DisplayWidth.of(state)
        canvas.put(strings("picker.title"), column: 0, row: 0, maxWidth: width - stateWidth - 1, style: .title)
        canvas.put(state, column: max(width - stateWidth, 0), row: 0, style: .muted)
        // The end of a long path says most: cut from the left.
        let path = strings("picker.folder", ["path": folder.displayText])
        canvas.put(truncateLeft(path, toWidth: width), column: 0, row: 1)

        let columns = ColumnLayout(width: width)
        var header = Canvas(width: width, height: 1)
        header.put(strings("picker.column.name"), column: columns.name, row: 0, style: Style(bold: true, underline: true))
        header.put(pad(strings("picker.column.size"), columns.sizeWidth, right: true), column: columns.size, row: 0, style: Style(bold: true, underline: true))
        header.put(strings("picker.column.modified"), column: columns.modified, row: 0, style: Style(bold: true, underline: true))
        header.put(strings("picker.column.type"), column: columns.type, row: 0, style: Style(bold: true, underline: true))
        canvas.draw(header, at: Position(column: 0, row: 2))

        let area = Rect(column: 0, row: 3, width: width, height: max(canvas.height - 5, 1))
        if let error = folderError {
            canvas.put(folderErrorText(error), column: 2, row: area.row, maxWidth: width - 2, style: .error)
            canvas.cursor = Position(column: 2, row: area.row)
        } else if let count = loadingCount {
            canvas.put(strings("picker.loading", count: count), column: 2, row: area.row, style: .muted)
            canvas.cursor = Position(column: 2, row: area.row)
        } else if list.visible.isEmpty {
            canvas.put(strings(list.filter.isEmpty ? "picker.empty" : "picker.no_match"), column: 2, row: area.row, style: .muted)
            canvas.cursor = Position(column: 2, row: area.row)
        } else {
            list.draw(into: &canvas, area: area) { index in row(for: index, columns: columns) }
        }

        let detailRow = canvas.height - 2
        if list.isEditingFilter || !list.filter.isEmpty {
            let label = strings("picker.filter", ["text": list.filter])
            canvas.put(label, column: 0, row: detailRow, maxWidth: width)
            if list.isEditingFilter { canvas.cursor = Position(column: min(DisplayWidth.of(label), width - 1), row: detailRow) }
        } else if let notice {
            detail(notice, into: &canvas, row: detailRow, style: .error)
        } else if let index = list.focusedItem, let refusal = namedRefusal(index) {
            detail(refusal, into: &canvas, row: detailRow, style: .refused)
        }
        let summary = strings("picker.summary", count: picked.count, ["shown": String(list.visible.count), "total": String(entries.count)])
        canvas.put(summary, column: 0, row: canvas.height - 1, maxWidth: width, style: .muted)
    }

    private struct ColumnLayout {
        let name = 8
        let sizeWidth = 9
        let modifiedWidth = 16
        let typeWidth: Int
        let nameWidth: Int
        var size: Int { name + nameWidth + 1 }
        var modified: Int { size + sizeWidth + 2 }
        var type: Int { modified + modifiedWidth + 2 }

        init(width: Int) {
            typeWidth = width >= 100 ? 24 : 16
            nameWidth = max(width - 8 - 1 - 9 - 2 - 16 - 2 - typeWidth, 8)
        }
    }

    private func row(for index: Int, columns: ColumnLayout) -> (text: String, style: Style) {
        let entry = entries[index]
        let path = folder.appending(entry.rawName)
        let mark: String
        if entry.isFolder {
            mark = "   "
        } else {
            mark = picked.contains(where: { $0.path == path }) ? "[x]" : "[ ]"
        }
        var style = Style.plain
        var flag = " "
        let name = entry.displayName + (entry.isFolder ? "/" : "") + (entry.isSymbolicLink ? " →" : "")
        if case .refused = verdicts[index] {
            style = .refused
            flag = "!"  // refusal shows without colour too
        }
        let text = mark + " " + flag + " "
            + pad(TextLayout.truncate(name, toWidth: columns.nameWidth, ellipsis: true), columns.nameWidth) + " "
            + pad(entry.kind == .regular ? entry.size.map { FileSize(strings: strings).text($0) } ?? "" : "", columns.sizeWidth, right: true) + "  "
            + pad(entry.modified.map(timestamp) ?? "", columns.modifiedWidth) + "  "
            + TextLayout.truncate(typeText(index), toWidth: columns.typeWidth, ellipsis: true)
        return (text, style)
    }

    private func typeText(_ index: Int) -> String {
        switch verdicts[index] {
        case .notApplicable: return strings("picker.type.folder")
        case .pending: return strings("picker.type.checking")
        case .accepted(let kind): return strings("picker.type.\(kind)")
        case .refused(let refusal):
            switch refusal {
            case .wrongType: return strings("picker.type.refused_type")
            case .tooLarge: return strings("picker.type.too_large")
            case .empty: return strings("picker.type.empty")
            case .unreadable: return strings("picker.type.unreadable")
            case .notRegular(let kind): return strings("picker.kind.\(kindKey(kind))")
            }
        }
    }

    /// Why the entry at `index` cannot be attached, naming it; nil when it can.
    private func namedRefusal(_ index: Int) -> String? {
        refusalText(for: verdicts[index]).map { strings("picker.refused", ["name": entries[index].displayName, "reason": $0]) }
    }

    /// A notice wrapped onto the rows ending at `row` (four at most, over the list's last rows), so a reason
    /// is never cut in the middle of a word.
    private func detail(_ text: String, into canvas: inout Canvas, row: Int, style: Style) {
        var lines = TextLayout.wrap(text, width: max(canvas.width, 1))
        if lines.count > 4 { lines = Array(lines[..<3]) + [TextLayout.truncate(lines[3...].joined(separator: " "), toWidth: canvas.width, ellipsis: true)] }
        for (offset, line) in lines.enumerated() {
            let y = row - lines.count + 1 + offset
            canvas.fill(Rect(column: 0, row: y, width: canvas.width, height: 1))
            canvas.put(line, column: 0, row: y, maxWidth: canvas.width, style: style)
        }
    }

    /// The full reason the rule refuses a file, or nil when it does not.
    public func refusalText(for verdict: Verdict) -> String? {
        guard case .refused(let refusal) = verdict else { return nil }
        switch refusal {
        case .wrongType: return strings("error.attachment_type_refused")
        case .tooLarge(let size, let limit):
            let sizes = FileSize(strings: strings)
            let (sizeText, limitText) = Formats.distinct(size, limit) { bytes, digits in sizes.text(bytes, fractionDigits: digits) }
            return strings("picker.refused.too_large", ["size": sizeText, "limit": limitText])
        case .empty: return strings("error.attachment_empty")
        case .unreadable: return strings("picker.refused.unreadable")
        case .notRegular(let kind): return strings("picker.refused.not_regular", ["kind": strings("picker.kind.\(kindKey(kind))")])
        }
    }

    public func folderErrorText(_ error: FolderError) -> String {
        let reason: String
        switch error {
        case .permissionDenied: reason = strings("picker.folder_error.permission")
        case .notFound: reason = strings("picker.folder_error.not_found")
        case .notAFolder: reason = strings("picker.folder_error.not_a_folder")
        case .other(let code): reason = strings("picker.folder_error.other", ["code": String(code)])
        }
        return strings("picker.folder_error", ["path": folder.displayText, "reason": reason])
    }

    private func kindKey(_ kind: FileKind) -> String {
        switch kind {
        case .folder: "folder"
        case .regular: "regular"
        case .fifo: "fifo"
        case .characterDevice, .blockDevice: "device"
        case .socket: "socket"
        case .danglingLink: "dangling_link"
        case .linkLoop: "link_loop"
        case .other: "other"
        }
    }

    private func timestamp(_ seconds: Int64) -> String {
        var time = time_t(seconds + Int64(utcOffset))
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min))"
    }
}

/// Pads `text` with spaces to `width` columns (on the left when `right`).
func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(width - DisplayWidth.of(text), 0))
    return right ? fill + text : text + fill
}

/// The end of `text` that fits `width` columns, with "…" in front when cut.
func truncateLeft(_ text: String, toWidth width: Int) -> String {
    guard DisplayWidth.of(text) > width else { return text }
    var result = ""
    var used = 1
    for character in text.reversed() {
        let columns = DisplayWidth.of(character)
        if used + columns > width { break }
        result.insert(character, at: result.startIndex)
        used += columns
    }
    return "…" + result
}

/// File sizes in the language's units and decimal separator.
public struct FileSize: Sendable {
    public var strings: StringTable
    public init(strings: StringTable) { self.strings = strings }

    /// `fractionDigits` nil: whole bytes, however many.
    public func text(_ bytes: Int64, fractionDigits: Int? = 1) -> String {
        guard let fractionDigits else { return strings("tui.size.bytes", ["value": String(bytes)]) }
        if bytes < 1_024 { return strings("tui.size.bytes", ["value": String(bytes)]) }
        let units = ["tui.size.kilobytes", "tui.size.megabytes", "tui.size.gigabytes"]
        var value = Double(bytes) / 1_024
        var unit = 0
        while value >= 1_024, unit < units.count - 1 {
            value /= 1_024
            unit += 1
        }
        let scale = Int(pow(10, Double(fractionDigits)))
        let scaled = Int((value * Double(scale)).rounded())
        // Sizes of ten and more in a unit drop the fraction, as file managers show them, unless asked for it.
        let fraction = String(scaled % scale)
        let number = scaled >= 10 * scale && fractionDigits == 1
            ? String(scaled / scale)
            : "\(scaled / scale)\(strings("tui.number.decimal_separator"))" + String(repeating: "0", count: fractionDigits - fraction.count) + fraction
        return strings(units[unit], ["value": number])
    }
}

/// Which folder listing the picker waits for; shared by the picker's copies and its background work.
final class ShownGeneration: Sendable {
    private let current = Atomic<Int>(0)
    func set(_ generation: Int) { current.store(generation, ordering: .relaxed) }
    func `is`(_ generation: Int) -> Bool { current.load(ordering: .relaxed) == generation }
}
