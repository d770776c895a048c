import Crypto
import Foundation
import NIOPosix
import PorttiModel

/// A file of the vault could not be written: which, doing what, and the system's reason, for the log.
public struct VaultError: Error, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public var description: String { "cannot \(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Files kept beside the database, stored by their SHA-256: attachments and decision documents.
/// Content streams to disk as it arrives, so memory stays flat for any size and any number of uploads.
/// Disk calls run on NIO's thread pool, never on the cooperative pool that serves requests.
public struct DocumentVault: DocumentStorage {
    public let folder: URL

    public init(folder: URL) throws {
        self.folder = folder
        try FileManager.default.createDirectory(
            at: incoming, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    private var incoming: URL { folder.appending(path: "incoming", directoryHint: .isDirectory) }

    /// Where the content with this digest lives.
    public func location(sha256: String) -> URL {
        folder.appending(path: String(sha256.prefix(2)), directoryHint: .isDirectory).appending(path: sha256)
    }

    /// Receives one document into a file of `incoming`, and renames it into place under its digest once it is
    /// whole and on disk.
    public func receive<Chunks: AsyncSequence>(
        _ chunks: Chunks, maxBytes: Int64
    ) async throws -> StoredDocument where Chunks.Element == ArraySlice<UInt8> {
        let temporary = incoming.appending(path: UUID().uuidString)
        let handle = try await io {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw VaultError(operation: "create", path: temporary.path, errno: errno)
            }
            let handle = try FileHandle(forWritingTo: temporary)
            // Held while the file is written and released by the kernel if this process dies: a file in
            // `incoming` nobody holds is a crash's leftover (`removeAbandoned`).
            flock(handle.fileDescriptor, LOCK_EX)
            return handle
        }
        var placed = false
        defer {
            try? handle.close()
            if !placed { try? FileManager.default.removeItem(at: temporary) }
        }
        let stored = try await StoredDocument.read(chunks, maxBytes: maxBytes) { chunk in
            try await io { try handle.write(contentsOf: chunk) }
        }
        let destination = location(sha256: stored.sha256)
        // Given up on meanwhile (the answer is already a refusal): nothing is kept.
        try Task.checkCancellation()
        try await io {
            try handle.synchronize()
            try Self.place(temporary, at: destination)
        }
        placed = true
        return stored
    }

    public func open(sha256: String) async throws -> DocumentContent? {
        let url = location(sha256: sha256)
        return try await io {
            guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
            return DocumentContent(size: Int64(size), chunks: FileChunks(handle: handle).documentChunks)
        }
    }

    public func remove(sha256: String, unlessWrittenSince date: Date) async {
        let location = self.location(sha256: sha256)
        _ = try? await io {
            let modified = try FileManager.default.attributesOfItem(atPath: location.path)[.modificationDate] as? Date
            if let modified, modified < date { try FileManager.default.removeItem(at: location) }
        }
    }

    public func digests(writtenBefore date: Date) async -> [String] {
        let folder = self.folder
        return (try? await io {
            var digests: [String] = []
            for shard in try FileManager.default.contentsOfDirectory(atPath: folder.path) where shard.count == 2 {
                let shardFolder = folder.appending(path: shard, directoryHint: .isDirectory)
                for name in (try? FileManager.default.contentsOfDirectory(atPath: shardFolder.path)) ?? [] where name.hasPrefix(shard) {
                    let modified = (try? FileManager.default.attributesOfItem(
                        atPath: shardFolder.appending(path: name).path)[.modificationDate]) as? Date
                    if let modified, modified < date { digests.append(name) }
                }
            }
            return digests
        }) ?? []
    }

    /// Removes the partial uploads a crash left in `incoming`: every file no process holds (an upload under
    /// way holds its file locked, and the kernel lets go of the lock when its process dies, however it dies).
    @discardableResult
    public func removeAbandoned() async -> Int {
        let incoming = self.incoming
        return (try? await io {
            var removed = 0
            for name in try FileManager.default.contentsOfDirectory(atPath: incoming.path) {
                let path = incoming.appending(path: name).path
                // Non-blocking, so that a FIFO someone put there cannot hold the start; only regular files count.
                let descriptor = Foundation.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
                guard descriptor >= 0 else { continue }
                var status = stat()
                guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
                    Foundation.close(descriptor)
                    continue
                }
                defer { Foundation.close(descriptor) }
                if flock(descriptor, LOCK_EX | LOCK_NB) == 0, unlink(path) == 0 { removed += 1 }
            }
            return removed
        }) ?? 0
    }

    private static func place(_ temporary: URL, at destination: URL) throws {
        let shard = destination.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: shard, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: destination.path) {
            try? FileManager.default.removeItem(at: temporary)  // the same content is kept once
            // Written again now: a sweep that started before this does not remove it (`remove`).
            try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: destination.path)
            return
        }
        // rename(2) is atomic: a reader sees the whole file or none. Syncing the folder makes the new name
        // survive a power loss, before the database row that points to it is committed.
        guard rename(temporary.path, destination.path) == 0 else {
            throw VaultError(operation: "rename into place", path: destination.path, errno: errno)
        }
        for folder in [shard, shard.deletingLastPathComponent()] {
            let descriptor = Foundation.open(folder.path, O_RDONLY | O_DIRECTORY)
            if descriptor >= 0 {
                fsync(descriptor)
                close(descriptor)
            }
        }
    }

    private func io<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }
}

/// A file read in 64 KiB chunks on NIO's thread pool, for streaming it out without loading it whole.
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = ArraySlice<UInt8>
    let handle: FileHandle

    public struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        public mutating func next() async throws -> ArraySlice<UInt8>? {
            let handle = self.handle
            let data = try await NIOThreadPool.singleton.runIfActive { try handle.read(upToCount: 64 * 1024) }
            guard let data, !data.isEmpty else {
                try? handle.close()
                return nil
            }
            return ArraySlice(data)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle) }

    /// The file as `DocumentChunks`: the n-th chunk is read from where the (n-1)-th ended.
    var documentChunks: DocumentChunks {
        let handle = self.handle
        return DocumentChunks { _ in
            var iterator = AsyncIterator(handle: handle)
            return try await iterator.next()
        }
    }
}

