import PorttiModel

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

/// What an entry of a folder is, found with `lstat` (and `stat` for a symbolic link's target).
public enum FileKind: Sendable, Hashable {
    case folder, regular, fifo, characterDevice, blockDevice, socket, danglingLink, linkLoop, other
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
    case accepted(AttachmentType)
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
    public var size: Int64
    /// Seconds since 1970, of the last modification.
    public var modified: Int64

    public init(rawName: [UInt8], kind: FileKind, isSymbolicLink: Bool = false, size: Int64 = 0, modified: Int64 = 0) {
        self.rawName = rawName
        self.displayName = TerminalText.sanitize(bytes: rawName)
        self.foldedName = displayName.lowercased()
        self.kind = kind
        self.isSymbolicLink = isSymbolicLink
        self.size = size
        self.modified = modified
    }

    public var isHidden: Bool { rawName.first == UInt8(ascii: ".") }
    public var isFolder: Bool { kind == .folder }

    /// What can be decided without opening the file: folders, non-regular files, size.
    public func initialVerdict(limits: AttachmentLimits) -> Verdict {
        switch kind {
        case .folder: return .notApplicable
        case .regular:
            if size > limits.maxFileBytes { return .refused(.tooLarge(size: size, limit: limits.maxFileBytes)) }
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

/// A folder read in the background: its entries, and their order for each sort, computed off the
/// terminal thread so changing the sort costs nothing there.
public struct FolderListing: Sendable, Hashable {
    public var folder: FileSystemPath
    public var entries: [FileEntry]
    public var orders: [SortOrder: [Int]]

    public init(folder: FileSystemPath, entries: [FileEntry]) {
        self.folder = folder
        self.entries = entries
        let folderFirst: (Int, Int) -> Bool? = { a, b in
            entries[a].isFolder == entries[b].isFolder ? nil : entries[a].isFolder
        }
        let byName: (Int, Int) -> Bool = { a, b in
            if let first = folderFirst(a, b) { return first }
            if entries[a].foldedName != entries[b].foldedName { return entries[a].foldedName < entries[b].foldedName }
            return entries[a].rawName.lexicographicallyPrecedes(entries[b].rawName)
        }
        let all = Array(entries.indices)
        let nameOrder = all.sorted(by: byName)
        var rank = [Int](repeating: 0, count: entries.count)
        for (position, index) in nameOrder.enumerated() { rank[index] = position }
        orders = [
            .name: nameOrder,
            // Newest first, then largest first: what one looks for when attaching a fresh scan.
            .date: all.sorted { a, b in
                if let first = folderFirst(a, b) { return first }
                return entries[a].modified != entries[b].modified ? entries[a].modified > entries[b].modified : rank[a] < rank[b]
            },
            .size: all.sorted { a, b in
                if let first = folderFirst(a, b) { return first }
                return entries[a].size != entries[b].size ? entries[a].size > entries[b].size : rank[a] < rank[b]
            },
        ]
    }
}

/// Why a folder could not be read.
public enum FolderError: Error, Sendable, Hashable {
    case permissionDenied
    case notFound
    case notAFolder
    case other(errno: Int32)
}
