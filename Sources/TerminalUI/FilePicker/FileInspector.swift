import Glibc
import PorttiModel

/// Reads folders and files for the picker without ever blocking on one: entries are examined with
/// `lstat`/`stat` only, and only regular files are opened, non-blocking, and checked again after opening.
/// Everything here runs off the terminal thread, inside effects.
public enum FileInspector {
    /// The folder's entries ("." and ".." left out), with `progress` called now and then with the count so far.
    public static func list(
        _ folder: FileSystemPath,
        progress: (Int) -> Void = { _ in }
    ) -> Result<[FileEntry], FolderError> {
        guard let directory = opendir(folder.cString) else { return .failure(folderError(errno)) }
        defer { closedir(directory) }
        let descriptor = dirfd(directory)
        var entries: [FileEntry] = []
        while let record = readdir(directory) {
            if Task.isCancelled { break }
            let name: [UInt8] = withUnsafeBytes(of: record.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            entries.append(entry(named: name, in: descriptor))
            if entries.count % 10_000 == 0 { progress(entries.count) }
        }
        return .success(entries)
    }

    static func entry(named name: [UInt8], in directory: Int32) -> FileEntry {
        var info = stat()
        let cName = name.map { CChar(bitPattern: $0) } + [0]
        let found = fstatat(directory, cName, &info, AT_SYMLINK_NOFOLLOW)
        guard found == 0 else { return FileEntry(rawName: name, kind: .other) }
        guard kind(of: info.st_mode) == .symbolicLink else {
            return FileEntry(rawName: name, kind: kind(of: info.st_mode).fileKind, size: Int64(info.st_size),
                             modified: Int64(info.st_mtim.tv_sec))
        }
        // A link is described by what it points at, and by why it points at nothing.
        var target = stat()
        let followed = fstatat(directory, cName, &target, 0)
        if followed != 0 {
            let kind: FileKind = errno == ELOOP ? .linkLoop : .danglingLink
            return FileEntry(rawName: name, kind: kind, isSymbolicLink: true, modified: Int64(info.st_mtim.tv_sec))
        }
        return FileEntry(rawName: name, kind: kind(of: target.st_mode).fileKind, isSymbolicLink: true,
                         size: Int64(target.st_size), modified: Int64(target.st_mtim.tv_sec))
    }

    /// Reads at most the first `AttachmentType.signatureLength` bytes of a regular file to tell its type.
    /// Opens with O_NONBLOCK (a FIFO swapped in cannot hang the read) and O_NOFOLLOW unless the entry is a
    /// link the user sees as one; `fstat` on the open file decides, not the earlier listing.
    public static func inspect(_ path: FileSystemPath, isSymbolicLink: Bool, limits: AttachmentLimits) -> Verdict {
        var flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY
        if !isSymbolicLink { flags |= O_NOFOLLOW }
        let descriptor = open(path.cString, flags)
        guard descriptor >= 0 else {
            return errno == ELOOP ? .refused(.notRegular(.linkLoop)) : .refused(.unreadable(errno: errno))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .refused(.unreadable(errno: errno)) }
        let fileKind = kind(of: info.st_mode).fileKind
        guard fileKind == .regular else { return .refused(.notRegular(fileKind)) }
        let size = Int64(info.st_size)
        if size > limits.maxFileBytes { return .refused(.tooLarge(size: size, limit: limits.maxFileBytes)) }
        if size == 0 { return .refused(.empty) }
        var head = [UInt8](repeating: 0, count: AttachmentType.signatureLength)
        let count = pread(descriptor, &head, head.count, 0)
        guard count >= 0 else { return .refused(.unreadable(errno: errno)) }
        guard let type = AttachmentType.detect(prefix: head.prefix(count)) else { return .refused(.wrongType) }
        return .accepted(type)
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
