import Crypto
import Foundation
import PorttiModel

/// Where attachments and decision documents are kept, by their SHA-256: a folder beside one portal's SQLite
/// file (`DocumentVault`), or the PostgreSQL database that several portals share. Content streams in and out
/// in chunks, so memory stays flat for any size and any number of uploads; a document half received is never
/// seen, and the same content arriving twice (even at once, on two portals) is kept once.
public protocol DocumentStorage: Sendable {
    /// Receives one document from `chunks` (see `StoredDocument.read`) and keeps it under its digest once it
    /// is whole; what was received before a refusal or an interruption is never seen and does not stay.
    /// - Throws: `PortalError` (`attachmentTooLarge` past `maxBytes`, `attachmentTypeRefused`,
    ///   `attachmentEmpty`, `malformedRequest` when the sender stopped half-way); `CancellationError`; the
    ///   storage's own error when it cannot write.
    func receive<Chunks: AsyncSequence>(_ chunks: Chunks, maxBytes: Int64) async throws -> StoredDocument
    where Chunks.Element == ArraySlice<UInt8>

    /// The content with this digest, read in chunks as it is sent; nil when it is not kept.
    func open(sha256: String) async throws -> DocumentContent?

    /// The digests of the documents last written (received, or received again) before `date`.
    func digests(writtenBefore date: Date) async -> [String]

    /// Removes the document with this digest unless it was written again at or after `date`: that is an upload
    /// of the same content under way (on another portal, perhaps), whose record will refer to it.
    func remove(sha256: String, unlessWrittenSince date: Date) async

    /// Removes what uploads interrupted by a crash left behind, never an upload under way (on any portal).
    /// Answers how many were removed.
    @discardableResult
    func removeAbandoned() async -> Int
}

extension DocumentStorage {
    /// Reads one document from `chunks` as `receive` does, and keeps nothing: for a repeated upload, whose
    /// content is kept already if it matches and must leave nothing behind if it does not.
    public func examine<Chunks: AsyncSequence>(
        _ chunks: Chunks, maxBytes: Int64
    ) async throws -> StoredDocument where Chunks.Element == ArraySlice<UInt8> {
        try await StoredDocument.read(chunks, maxBytes: maxBytes) { _ in }
    }

    /// Keeps a copy of a local file (a decision document from the officer) and answers its digest.
    /// - Throws: what `receive` throws; the system's error when the file cannot be opened.
    public func keep(fileAt url: URL) async throws -> StoredDocument {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        return try await receive(FileChunks(handle: handle), maxBytes: .max)
    }
}

/// What was received and kept: the content's SHA-256 (lower-case hex), its size in bytes, its detected type.
public struct StoredDocument: Sendable, Hashable {
    public var sha256: String
    public var size: Int64
    public var type: AttachmentType

    public init(sha256: String, size: Int64, type: AttachmentType) {
        self.sha256 = sha256
        self.size = size
        self.type = type
    }

    /// Reads one document from `chunks`, passing each chunk to `each` as it comes: checks its type from the first
    /// bytes, refuses it as soon as it passes `maxBytes`, and hashes it as it goes.
    /// - Throws: `PortalError` `attachmentTooLarge`, `attachmentTypeRefused` (also for a document shorter than
    ///   a type's signature), `attachmentEmpty`, `malformedRequest` when `chunks` fails (the sender stopped
    ///   half-way); `CancellationError` when a body is cut short by cancellation; what `each` throws.
    public static func read<Chunks: AsyncSequence>(
        _ chunks: Chunks, maxBytes: Int64, each: (ArraySlice<UInt8>) async throws -> Void
    ) async throws -> StoredDocument where Chunks.Element == ArraySlice<UInt8> {
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
        return StoredDocument(sha256: hasher.finalize().hexString, size: size, type: type)
    }
}

/// A kept document opened for reading: its size in bytes and its content, read chunk by chunk as it is sent.
public struct DocumentContent: Sendable {
    public var size: Int64
    public var chunks: DocumentChunks

    public init(size: Int64, chunks: DocumentChunks) {
        self.size = size
        self.chunks = chunks
    }
}

/// A document's content as chunks, each read only when asked for: `readChunk(n)` answers the n-th chunk
/// (from 0), or nil after the last.
public struct DocumentChunks: AsyncSequence, Sendable {
    public typealias Element = ArraySlice<UInt8>
    private let readChunk: @Sendable (Int) async throws -> ArraySlice<UInt8>?

    public init(readChunk: @escaping @Sendable (Int) async throws -> ArraySlice<UInt8>?) {
        self.readChunk = readChunk
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let readChunk: @Sendable (Int) async throws -> ArraySlice<UInt8>?
        var index = 0

        public mutating func next() async throws -> ArraySlice<UInt8>? {
            guard let chunk = try await readChunk(index) else { return nil }
            index += 1
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(readChunk: readChunk) }
}
