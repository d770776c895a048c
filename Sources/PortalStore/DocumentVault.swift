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
public struct DocumentVault: Sendable {
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

    /// What was received and kept.
    public struct Stored: Sendable, Hashable {
        public var sha256: String
        public var size: Int64
        public var type: AttachmentType
    }

    /// Receives one document from `chunks`: checks its type from the first bytes, refuses it as soon as it
    /// passes `maxBytes`, hashes it as it goes and keeps it under its digest, durably.
    public func receive<Chunks: AsyncSequence>(
        _ chunks: Chunks, maxBytes: Int64
    ) async throws -> Stored where Chunks.Element == ArraySlice<UInt8> {
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
        let stored = try await scan(chunks, maxBytes: maxBytes) { chunk in
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

    /// Reads one document from `chunks` as `receive` does, and keeps nothing: for a repeated upload, whose
    /// content is kept already if it matches and must leave nothing behind if it does not.
    public func examine<Chunks: AsyncSequence>(
        _ chunks: Chunks, maxBytes: Int64
    ) async throws -> Stored where Chunks.Element == ArraySlice<UInt8> {
        try await scan(chunks, maxBytes: maxBytes) { _ in }
    }

    private func scan<Chunks: AsyncSequence>(
        _ chunks: Chunks, maxBytes: Int64, each: (ArraySlice<UInt8>) async throws -> Void
    ) async throws -> Stored where Chunks.Element == ArraySlice<UInt8> {
        var hasher = SHA256()
        var size: Int64 = 0
        var head: [UInt8] = []
        var type: AttachmentType?
        var iterator = chunks.makeAsyncIterator()
        while true {
            let next: ArraySlice<UInt8>?
            do {
                next = try await iterator.next()
            } catch {
                // The sender stopped half-way (a dropped connection): nothing was received.
                throw PortalError(.malformedRequest, detail: "upload interrupted")
            }
            guard let chunk = next else {
                // A body cut short by cancellation (the portal gave up on it) ends like a whole one: keep nothing.
                try Task.checkCancellation()
                break
            }
            size += Int64(chunk.count)
            if size > maxBytes { throw PortalError(.attachmentTooLarge, limit: maxBytes) }
            if type == nil {
                head += chunk.prefix(AttachmentType.signatureLength - head.count)
                if head.count >= AttachmentType.signatureLength {
                    guard let detected = AttachmentType.detect(prefix: head) else {
                        throw PortalError(.attachmentTypeRefused)
                    }
                    type = detected
                }
            }
            hasher.update(data: chunk)
            try await each(chunk)
        }
        if size == 0 { throw PortalError(.attachmentEmpty) }
        // Shorter than a signature: no document of an accepted type is that small.
        guard let type else { throw PortalError(.attachmentTypeRefused) }
        return Stored(sha256: hasher.finalize().hexString, size: size, type: type)
    }

    /// Keeps a copy of a local file (a decision document from the officer) and answers its digest.
    public func keep(fileAt url: URL) async throws -> Stored {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        return try await receive(FileChunks(handle: handle), maxBytes: .max)
    }

    /// The content with this digest and its size, read in chunks as it is sent; nil when it is not kept.
    public func open(sha256: String) async throws -> (chunks: FileChunks, size: Int64)? {
        let url = location(sha256: sha256)
        return try await io {
            guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
            return (FileChunks(handle: handle), Int64(size))
        }
    }

    /// Removes a kept file, once nothing refers to its digest.
    public func remove(sha256: String) async {
        let location = self.location(sha256: sha256)
        _ = try? await io { try FileManager.default.removeItem(at: location) }
    }

    /// The digests of the kept files last written before `date`.
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
    /// Answers how many were removed.
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
}

