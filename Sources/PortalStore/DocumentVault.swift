import Crypto
import Foundation
import PorttiModel

/// Files kept beside the database, stored by their SHA-256: attachments and decision documents.
/// Content streams to disk as it arrives, so memory stays flat for any size and any number of uploads.
public struct DocumentVault: Sendable {
    public let folder: URL

    public init(folder: URL) throws {
        self.folder = folder
        try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
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
    /// passes `maxBytes`, hashes it as it goes and keeps it under its digest.
    public func receive<Chunks: AsyncSequence>(
        _ chunks: Chunks, maxBytes: Int64
    ) async throws -> Stored where Chunks.Element == ArraySlice<UInt8> {
        let temporary = incoming.appending(path: UUID().uuidString)
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let handle = try FileHandle(forWritingTo: temporary)
        var keep = false
        defer {
            try? handle.close()
            if !keep { try? FileManager.default.removeItem(at: temporary) }
        }

        var hasher = SHA256()
        var size: Int64 = 0
        var head: [UInt8] = []
        var type: AttachmentType?
        for try await chunk in chunks {
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
            try handle.write(contentsOf: chunk)
        }
        if size == 0 { throw PortalError(.attachmentEmpty) }
        // A file shorter than a signature is judged on what there is.
        guard let type = type ?? AttachmentType.detect(prefix: head) else { throw PortalError(.attachmentTypeRefused) }
        try handle.synchronize()
        let sha256 = hasher.finalize().hexString
        try place(temporary, sha256: sha256)
        keep = true
        return Stored(sha256: sha256, size: size, type: type)
    }

    /// Keeps a copy of a local file (a decision document from the officer) and answers its digest.
    public func keep(fileAt url: URL) async throws -> Stored {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        return try await receive(FileChunks(handle: handle), maxBytes: .max)
    }

    /// The content with this digest, read in chunks as it is sent.
    public func chunks(sha256: String) throws -> FileChunks {
        FileChunks(handle: try FileHandle(forReadingFrom: location(sha256: sha256)))
    }

    private func place(_ temporary: URL, sha256: String) throws {
        let destination = location(sha256: sha256)
        try FileManager.default.createDirectory(
            at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: destination.path) { return }  // same content, kept once
        // rename(2) is atomic: a reader sees the whole file or none.
        if rename(temporary.path, destination.path) != 0 { throw CocoaError(.fileWriteUnknown) }
    }
}


/// A file read in 64 KiB chunks, for streaming it out without loading it whole.
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = ArraySlice<UInt8>
    let handle: FileHandle

    public struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        public mutating func next() async throws -> ArraySlice<UInt8>? {
            guard let data = try handle.read(upToCount: 64 * 1024), !data.isEmpty else {
                try? handle.close()
                return nil
            }
            return ArraySlice(data)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle) }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal, as digests are shown and stored.
    public var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
