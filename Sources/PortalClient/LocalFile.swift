import Crypto
import Foundation
import HTTPTypes
import OpenAPIRuntime
import PorttiModel

/// A file on the applicant's disk, measured and hashed in constant memory.
public enum LocalFile {
    public struct Digest: Sendable, Hashable {
        public var size: Int64
        public var sha256: String
    }

    /// Size and SHA-256 of a regular file, read in chunks. Throws for anything that is not a readable regular file.
    public static func digest(path: String) throws -> Digest { try digest(pathBytes: Array(path.utf8)) }

    /// The same, for a path given by its bytes (a name that is not UTF-8 is opened as it is).
    public static func digest(pathBytes path: [UInt8]) throws -> Digest {
        let handle = try openRegularFile(path)
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let data = try handle.read(upToCount: 256 * 1024), !data.isEmpty {
            hasher.update(data: data)
            size += Int64(data.count)
        }
        return Digest(size: size, sha256: hasher.finalize().hexString)
    }

    /// The size of a readable regular file, from the open file.
    public static func size(path: String) throws -> Int64 { try size(pathBytes: Array(path.utf8)) }

    /// The same, for a path given by its bytes.
    public static func size(pathBytes path: [UInt8]) throws -> Int64 {
        let handle = try openRegularFile(path)
        defer { try? handle.close() }
        var info = stat()
        guard fstat(handle.fileDescriptor, &info) == 0 else { throw CocoaError(.fileReadUnknown) }
        return Int64(info.st_size)
    }

    /// Why a path cannot be read as a file to attach: each reason is told apart, so the applicant is told
    /// what to do about it.
    public enum Problem: Error, Sendable, Hashable {
        case missing
        case folder
        /// A named pipe, device or socket: never opened, since reading one could block or never end.
        case special
        /// There, and a regular file, but not readable by this user (permissions, an I/O error).
        case unreadable
    }

    /// What stands in the way of reading `path` as a regular file, or nil when it can be read.
    public static func problem(at path: String) -> Problem? { problem(atBytes: Array(path.utf8)) }

    /// The same, for a path given by its bytes.
    public static func problem(atBytes path: [UInt8]) -> Problem? {
        var info = stat()
        guard withCPath(path, { stat($0, &info) }) == 0 else { return errno == ENOENT || errno == ENOTDIR ? .missing : .unreadable }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .folder
        default: return .special
        }
        guard let handle = try? openRegularFile(path) else { return .unreadable }
        try? handle.close()
        return nil
    }

    /// Writes a new file at `path` with `contents`, readable by the owner only, and never over an existing one.
    /// - Throws: `ClientError.fileExists`, `.folderMissing` (the folder is not there), `.fileUnwritable`.
    public static func writeNew(_ contents: Data, to path: String) throws(PorttiModel.ClientError) {
        let temporary = try temporaryBeside(path)
        guard FileManager.default.createFile(atPath: temporary, contents: contents, attributes: [.posixPermissions: 0o600]) else {
            throw .fileUnwritable(path: path)
        }
        try publish(temporary, as: path)
    }

    /// A new private file beside `path` to write into first, so a half-written file never has the name asked for.
    /// - Throws: `ClientError.fileExists` when `path` is taken already, `.folderGiven` when it names a folder
    ///   (or nothing), `.folderMissing` when its folder is not there.
    public static func temporaryBeside(_ path: String) throws(PorttiModel.ClientError) -> String {
        guard !path.isEmpty, !path.hasSuffix("/") else { throw .folderGiven(path: path.isEmpty ? "." : path) }
        let destination = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        let folder = destination.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .folderMissing(path: folder)
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue { throw .folderGiven(path: path) }
        if FileManager.default.fileExists(atPath: path) || (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil {
            throw .fileExists(path: path)
        }
        return destination.deletingLastPathComponent().appending(path: ".\(destination.lastPathComponent).\(UUID().uuidString).part").path
    }

    /// Gives the finished `temporary` the name `path` unless something took that name meanwhile: link(2)
    /// never replaces, where rename(2) would. The temporary name goes either way.
    public static func publish(_ temporary: String, as path: String) throws(PorttiModel.ClientError) {
        defer { unlink(temporary) }
        guard link(temporary, path) == 0 else { throw errno == EEXIST ? .fileExists(path: path) : .fileUnwritable(path: path) }
    }

    /// The first `count` bytes of a regular file (fewer when it is shorter); nil when it cannot be read.
    public static func prefix(pathBytes path: [UInt8], count: Int) -> [UInt8]? {
        guard let handle = try? openRegularFile(path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: count)).map { Array($0 ?? Data()) }
    }

    /// Calls `body` with `path` as a C string: the bytes as they are, so a name that is not UTF-8 is the same name.
    static func withCPath<T>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        let terminated = path.map { CChar(bitPattern: $0) } + [0]
        return terminated.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Opens `path` for reading only if it is a regular file; a FIFO or device is never opened (it could block).
    static func openRegularFile(_ path: [UInt8]) throws -> FileHandle {
        var info = stat()
        guard withCPath(path, { stat($0, &info) }) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw CocoaError(.fileReadNoPermission)
        }
        let descriptor = withCPath(path) { open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        guard descriptor >= 0 else { throw CocoaError(.fileReadNoPermission) }
        // Checked again on the open file: the path may have been swapped in between.
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw CocoaError(.fileReadNoPermission)
        }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }
}

/// A file streamed from disk in 64 KiB chunks, reporting bytes sent of the total as it goes. With an expected
/// digest it hashes what it reads, and fails before the last chunk when the file is not the one attached: the
/// portal then never receives a whole body, and keeps nothing.
struct FileChunkSequence: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    let path: String
    let pathBytes: [UInt8]
    let total: Int64
    let expectedSHA256: String?
    let progress: @Sendable (Int64, Int64) -> Void

    /// `total` is the size measured before the upload: a file that grows or shrinks from it is refused. `path`
    /// names it in errors; `pathBytes` opens it.
    init(path: String, pathBytes: [UInt8], total: Int64, expectedSHA256: String?, progress: @escaping @Sendable (Int64, Int64) -> Void) {
        self.path = path
        self.pathBytes = pathBytes
        self.total = total
        self.expectedSHA256 = expectedSHA256
        self.progress = progress
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        let total: Int64
        let progress: @Sendable (Int64, Int64) -> Void
        let expectedSHA256: String?
        var hasher = SHA256()
        var sent: Int64 = 0

        mutating func next() async throws -> ArraySlice<UInt8>? {
            // The file vanished, grew or shrank since it was measured: what was attached is not what would go.
            guard let handle else { throw PorttiModel.ClientError.fileChanged(path: path) }
            let wanted = Int(Swift.min(64 * 1024, total - sent))
            guard wanted > 0 else {
                if let extra = try handle.read(upToCount: 1), !extra.isEmpty { throw PorttiModel.ClientError.fileChanged(path: path) }
                try? handle.close()
                return nil
            }
            guard let data = try handle.read(upToCount: wanted), !data.isEmpty else {
                throw PorttiModel.ClientError.fileChanged(path: path)
            }
            sent += Int64(data.count)
            if let expectedSHA256 {
                hasher.update(data: data)
                if sent == total, hasher.finalize().hexString != expectedSHA256 {
                    throw PorttiModel.ClientError.fileChanged(path: path)
                }
            }
            progress(sent, total)
            return ArraySlice(data)
        }
        let path: String
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: try? LocalFile.openRegularFile(pathBytes), total: total, progress: progress,
                      expectedSHA256: expectedSHA256, path: path)
    }
}

/// Thrown when an answer is larger than any answer of the contract can be.
struct ReplyTooLarge: Error {}

/// Refuses answers beyond a size, so a hostile or broken portal cannot fill the applicant's memory.
struct ReplySizeLimit: ClientMiddleware {
    let maxBytes: Int

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let (response, responseBody) = try await next(request, body, baseURL)
        // A stream's or a document's successful answer is read piece by piece, and limited, by its caller;
        // everything else (errors of those too) is held to the limit.
        let isStreamed = operationID == "streamNotifications" || operationID == "downloadDecisionDocument"
        guard let responseBody, !(isStreamed && response.status == .ok) else { return (response, responseBody) }
        if case .known(let length) = responseBody.length, length > maxBytes { throw ReplyTooLarge() }
        let guarded = HTTPBody(
            LimitedChunks(base: responseBody, limit: maxBytes), length: responseBody.length, iterationBehavior: .single)
        return (response, guarded)
    }
}

/// Passes chunks on until more than `limit` bytes were seen, then throws.
struct LimitedChunks<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ArraySlice<UInt8> {
    typealias Element = ArraySlice<UInt8>
    let base: Base
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int
        var seen = 0
        mutating func next() async throws -> ArraySlice<UInt8>? {
            guard let chunk = try await base.next() else { return nil }
            seen += chunk.count
            if seen > limit { throw ReplyTooLarge() }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), limit: limit) }
}
