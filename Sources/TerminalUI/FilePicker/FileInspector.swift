import Glibc

/// Reads folders and files for the picker without ever blocking on one: entries are examined with
/// `lstat`/`stat` only, and only regular files are opened, non-blocking, and checked again after opening.
/// Everything here runs off the terminal thread, inside effects.
public enum FileInspector {
    /// The folder's entries ("." and ".." left out), with `progress` called now and then with the count so far.
    /// Only names are read, with the kind the folder records for each (`d_type`), as `ls -f` does: a folder
    /// of 100,000 entries shows at once. Links, and entries whose file system records no kind, are `stat`ed
    /// here; sizes and times come afterwards from `describe`.
    /// `isWanted` is asked now and then; when it says no (the applicant left the folder), reading stops.
    public static func list(
        _ folder: FileSystemPath,
        progress: (Int) -> Void = { _ in },
        isWanted: () -> Bool = { true }
    ) -> Result<[FileEntry], FolderError> {
        guard let directory = opendir(folder.cString) else { return .failure(folderError(errno)) }
        defer { closedir(directory) }
        let descriptor = dirfd(directory)
        var entries: [FileEntry] = []
        while let record = readdir(directory) {
            let name: [UInt8] = withUnsafeBytes(of: &record.pointee.d_name) { raw in
                Array(raw.prefix(strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)))
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            if entries.count % 1_000 == 0, !isWanted() { break }
            // `d_type` is the type bits of `st_mode`, shifted down (DTTOIF shifts them back).
            switch kind(of: mode_t(record.pointee.d_type) << 12) {
            case .symbolicLink, .other:  // a link, or a file system that records no kind
                var entry = FileEntry(rawName: name, kind: .other)
                entry.describe(details(of: name, in: descriptor))
                entries.append(entry)
            case let recorded:
                entries.append(FileEntry(rawName: name, kind: recorded.fileKind))
            }
            if entries.count % 10_000 == 0 { progress(entries.count) }
        }
        return .success(entries)
    }

    /// The entries with their sizes and modification times (and kinds checked again), from `lstat` and, for
    /// links, `stat`. An entry gone in the meantime becomes `.other`.
    public static func describe(_ entries: [FileEntry], in folder: FileSystemPath, isWanted: () -> Bool = { true }) -> [FileEntry] {
        guard let directory = opendir(folder.cString) else { return entries }
        defer { closedir(directory) }
        let descriptor = dirfd(directory)
        var described = entries
        for index in described.indices where described[index].modified == nil {
            if index % 1_000 == 0, !isWanted() { break }
            described[index].describe(details(of: described[index].rawName, in: descriptor))
        }
        return described
    }

    /// What `lstat` (and `stat` for a link) says of one name in an open folder.
    static func details(of name: [UInt8], in directory: Int32) -> FileDetails {
        // A name holds no NUL (the folder gave it NUL-terminated), so it passes to C from the stack.
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: name.count + 1) { cName in
            _ = cName.initialize(from: name.lazy.map { CChar(bitPattern: $0) })
            cName[name.count] = 0
            return details(of: cName.baseAddress!, in: directory)
        }
    }

    private static func details(of cName: UnsafePointer<CChar>, in directory: Int32) -> FileDetails {
        var info = stat()
        guard fstatat(directory, cName, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return FileDetails(kind: .other) }
        guard kind(of: info.st_mode) == .symbolicLink else {
            return FileDetails(kind: kind(of: info.st_mode).fileKind, size: Int64(info.st_size), modified: Int64(info.st_mtim.tv_sec))
        }
        // A link is described by what it points at, and by why it points at nothing.
        var target = stat()
        if fstatat(directory, cName, &target, 0) != 0 {
            return FileDetails(kind: errno == ELOOP ? .linkLoop : .danglingLink, isSymbolicLink: true, modified: Int64(info.st_mtim.tv_sec))
        }
        return FileDetails(kind: kind(of: target.st_mode).fileKind, isSymbolicLink: true,
                           size: Int64(target.st_size), modified: Int64(target.st_mtim.tv_sec))
    }

    /// Reads at most the rule's `signatureLength` first bytes of a regular file, for the rule to tell its kind.
    /// Opens with O_NONBLOCK (a FIFO swapped in cannot hang the read) and O_NOFOLLOW unless the entry is a
    /// link the user sees as one; `fstat` on the open file decides, not the earlier listing.
    public static func inspect(_ path: FileSystemPath, isSymbolicLink: Bool, rule: FileRule) -> Verdict {
        examine(path, isSymbolicLink: isSymbolicLink, rule: rule).verdict
    }

    /// `inspect`, with the size of the file as opened (the listing may not have it yet).
    public static func examine(_ path: FileSystemPath, isSymbolicLink: Bool, rule: FileRule) -> (verdict: Verdict, size: Int64?) {
        var flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY
        if !isSymbolicLink { flags |= O_NOFOLLOW }
        let descriptor = open(path.cString, flags)
        guard descriptor >= 0 else {
            return (errno == ELOOP ? .refused(.notRegular(.linkLoop)) : .refused(.unreadable(errno: errno)), nil)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return (.refused(.unreadable(errno: errno)), nil) }
        let fileKind = kind(of: info.st_mode).fileKind
        guard fileKind == .regular else { return (.refused(.notRegular(fileKind)), nil) }
        let size = Int64(info.st_size)
        if size > rule.maxBytes { return (.refused(.tooLarge(size: size, limit: rule.maxBytes)), size) }
        if size == 0 { return (.refused(.empty), size) }
        var head = [UInt8](repeating: 0, count: rule.signatureLength)
        let count = pread(descriptor, &head, head.count, 0)
        guard count >= 0 else { return (.refused(.unreadable(errno: errno)), size) }
        guard let kind = rule.kind(head.prefix(count)) else { return (.refused(.wrongType), size) }
        return (.accepted(kind), size)
    }

    private enum ModeKind {
        case folder, regular, fifo, characterDevice, blockDevice, socket, symbolicLink, other
        var fileKind: FileKind {
            switch self {
            case .folder: .folder
            case .regular: .regular
            case .fifo: .fifo
            case .characterDevice: .characterDevice
            case .blockDevice: .blockDevice
            case .socket: .socket
            case .symbolicLink, .other: .other
            }
        }
    }

    private static func kind(of mode: mode_t) -> ModeKind {
        switch mode & S_IFMT {
        case S_IFDIR: .folder
        case S_IFREG: .regular
        case S_IFIFO: .fifo
        case S_IFCHR: .characterDevice
        case S_IFBLK: .blockDevice
        case S_IFSOCK: .socket
        case S_IFLNK: .symbolicLink
        default: .other
        }
    }

    static func folderError(_ code: Int32) -> FolderError {
        switch code {
        case EACCES, EPERM: .permissionDenied
        case ENOENT: .notFound
        case ENOTDIR: .notAFolder
        default: .other(errno: code)
        }
    }
}
