/// A path as the file system has it: bytes, since a file name need not be valid UTF-8.
public struct FileSystemPath: Sendable, Hashable {
    public var bytes: [UInt8]

    public init(_ path: String) { bytes = Array(path.utf8) }
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public func appending(_ name: [UInt8]) -> FileSystemPath {
        var result = bytes
        if result.last != UInt8(ascii: "/") { result.append(UInt8(ascii: "/")) }
        result += name
        return FileSystemPath(bytes: result)
    }

    /// The folder that holds this path; "/" is its own parent.
    public var parent: FileSystemPath {
        var trimmed = bytes
        while trimmed.count > 1, trimmed.last == UInt8(ascii: "/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return self }
        return FileSystemPath(bytes: slash == 0 ? [UInt8(ascii: "/")] : Array(trimmed[..<slash]))
    }

    /// The last component, raw.
    public var lastComponent: [UInt8] {
        let trimmed = bytes.last == UInt8(ascii: "/") && bytes.count > 1 ? Array(bytes.dropLast()) : bytes
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return trimmed }
        return Array(trimmed[(slash + 1)...])
    }

    /// Safe to draw: invalid UTF-8 and control characters made harmless.
    public var displayText: String { TerminalText.sanitize(bytes: bytes) }

    /// The path NUL-terminated, for C calls (arrays pass as pointers).
    var cString: [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }
}

/// What an entry of a folder is: from the folder itself (`d_type`), or `lstat` (and `stat` for a symbolic
/// link's target) where the folder does not say.
public enum FileKind: Sendable, Hashable {
    case folder, regular, fifo, characterDevice, blockDevice, socket, danglingLink, linkLoop, other
}

/// What `lstat` (and `stat`, for a link) tells of an entry.
struct FileDetails {
    var kind: FileKind
    var isSymbolicLink = false
    var size: Int64?
    var modified: Int64?
}

/// Why the portal would refuse a file; found before anything is uploaded.
public enum Refusal: Sendable, Hashable {
    case notRegular(FileKind)
    case wrongType
    case tooLarge(size: Int64, limit: Int64)
    case empty
    case unreadable(errno: Int32)
}

/// What the picker knows of a file's acceptability.
public enum Verdict: Sendable, Hashable {
    /// A regular file whose first bytes are not read yet.
    case pending
    /// Taken: the kind of file the rule found (`FileRule.kind`).
    case accepted(String)
    case refused(Refusal)
    /// A folder: opened, not attached.
    case notApplicable
}

/// One entry of a folder listing.
public struct FileEntry: Sendable, Hashable {
    /// The name as the file system has it.
    public var rawName: [UInt8]
    /// The name safe to draw.
    public var displayName: String
    /// Lowercased display name, computed once for filtering and sorting.
    public var foldedName: String
    public var kind: FileKind
    public var isSymbolicLink: Bool
    /// Bytes; nil until the entry is described (a folder is listed first and `stat`ed afterwards).
    public var size: Int64?
    /// Seconds since 1970, of the last modification; nil until described.
    public var modified: Int64?

    public init(rawName: [UInt8], kind: FileKind, isSymbolicLink: Bool = false, size: Int64? = nil, modified: Int64? = nil) {
        self.rawName = rawName
        if rawName.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            // Printable ASCII, the common case in a huge folder, is safe as it is and folds byte by byte.
            displayName = String(decoding: rawName, as: UTF8.self)
            foldedName = String(unsafeUninitializedCapacity: rawName.count) { buffer in
                for (offset, byte) in rawName.enumerated() { buffer[offset] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
                return rawName.count
            }
        } else {
            displayName = TerminalText.sanitize(bytes: rawName)
            foldedName = displayName.lowercased()
        }
        self.kind = kind
        self.isSymbolicLink = isSymbolicLink
        self.size = size
        self.modified = modified
    }

    public var isHidden: Bool { rawName.first == UInt8(ascii: ".") }
    public var isFolder: Bool { kind == .folder }

    /// Takes what `lstat`/`stat` found; the names, already folded, stay.
    mutating func describe(_ details: FileDetails) {
        kind = details.kind
        isSymbolicLink = details.isSymbolicLink
        size = details.size
        modified = details.modified
    }

    /// What can be decided without opening the file: folders, non-regular files, size.
    public func initialVerdict(rule: FileRule) -> Verdict {
        switch kind {
        case .folder: return .notApplicable
        case .regular:
            guard let size else { return .pending }
            if size > rule.maxBytes { return .refused(.tooLarge(size: size, limit: rule.maxBytes)) }
            if size == 0 { return .refused(.empty) }
            return .pending
        default:
            return .refused(.notRegular(kind))
        }
    }
}

/// How the listing is ordered; folders always come first.
public enum SortOrder: Int, Sendable, Hashable, CaseIterable {
    case name, date, size

    public var next: SortOrder { SortOrder(rawValue: (rawValue + 1) % SortOrder.allCases.count) ?? .name }
}

/// A folder read in the background, in two steps: first its names and the name order, which is all the
/// picker needs to show it; then, once every entry is `stat`ed, the date and size orders. Both are
/// computed off the terminal thread, so changing the sort costs nothing there.
public struct FolderListing: Sendable, Hashable {
    public var folder: FileSystemPath
    public var entries: [FileEntry]
    /// The orders known so far: `.name` at once, `.date` and `.size` when the entries are described.
    public var orders: [SortOrder: [Int]]
    /// The folded names, for filtering as the applicant types.
    public var names: TextSearch.Index

    public init(folder: FileSystemPath, entries: [FileEntry]) {
        self.folder = folder
        self.entries = entries
        // Folders first, then the folded name, then the raw name so that names folding alike keep one order.
        // The keys are taken out of the entries once: copying an entry per comparison costs more than comparing.
        let isFolder = entries.map(\.isFolder)
        let folded = entries.map(\.foldedName)
        let nameOrder = entries.indices.sorted { a, b in
            if isFolder[a] != isFolder[b] { return isFolder[a] }
            if folded[a] == folded[b] { return entries[a].rawName.lexicographicallyPrecedes(entries[b].rawName) }
            return folded[a] < folded[b]
        }
        orders = [.name: nameOrder]
        names = TextSearch.Index(folded)
    }

    /// The listing with its entries described (the same entries, in the same places), and every sort order.
    public func described(_ described: [FileEntry]) -> FolderListing {
        precondition(described.count == entries.count, "describing keeps every entry in its place")
        var listing = self
        listing.entries = described
        let nameOrder = orders[.name] ?? Array(described.indices)
        var rank = [Int](repeating: 0, count: described.count)
        for (position, index) in nameOrder.enumerated() { rank[index] = position }
        let all = Array(described.indices)
        let isFolder = described.map(\.isFolder)
        func order(by key: (FileEntry) -> Int64) -> [Int] {
            let keys = described.map(key)
            return all.sorted { a, b in
                if isFolder[a] != isFolder[b] { return isFolder[a] }
                return keys[a] != keys[b] ? keys[a] > keys[b] : rank[a] < rank[b]
            }
        }
        // Newest first, then largest first: what one looks for when attaching a fresh scan.
        listing.orders[.date] = order { $0.modified ?? .min }
        listing.orders[.size] = order { $0.size ?? .min }
        return listing
    }
}

/// Why a folder could not be read.
public enum FolderError: Error, Sendable, Hashable {
    case permissionDenied
    case notFound
    case notAFolder
    case other(errno: Int32)
}
