import Foundation
import Logging
import PortalStore
import PorttiModel
import PostgresNIO

/// Attachments and decision documents in the PostgreSQL database that every portal on it reads: an upload
/// received by one portal is served by any other. Content is written as it arrives, in chunks of
/// `chunkSize` bytes, one short statement each (no connection is held while a slow sender is waited for),
/// and read back one chunk at a time; a document becomes visible only when its row is committed, once its
/// content is whole and hashed. Obtained from `PostgresPortalStore.documents`, it shares the store's pool.
public struct PostgresDocumentStorage: DocumentStorage {
    /// The size of a stored chunk: large enough that a 4 MiB file is 16 rows, small enough that the uploads
    /// received at once (the portal admits a few dozen) hold little memory.
    public static let chunkSize = 256 * 1024
    /// Content of an upload untouched this long is a crash's leftover: an upload under way writes a chunk far
    /// more often (the portal ends one that falls below its minimum pace).
    static let abandonedAfter = "1 hour"

    private let client: PostgresClient
    private let logger: Logger

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// - Throws: `PortalError(.storageUnavailable)` when the connection was lost under `body`, as the store's
    ///   statements do; `body`'s own errors.
    private func statement<Result: Sendable>(_ body: (Lease) async throws -> Result) async throws -> Result {
        do {
            return try await client.withConnection { connection in try await body(Lease(connection: connection, logger: logger)) }
        } catch let error where PostgresPortalStore.meansDatabaseLost(error) {
            throw PostgresPortalStore.unavailable("\(error)")
        }
    }

    public func receive<Chunks: AsyncSequence>(
        _ chunks: Chunks, maxBytes: Int64
    ) async throws -> StoredDocument where Chunks.Element == ArraySlice<UInt8> {
        guard let content = try await statement({ lease in
            try await lease.row("INSERT INTO document_content (touched_at) VALUES (now()) RETURNING id")?.decode(Int64.self)
        }) else { throw PortalError(.internalError) }
        do {
            var pending: [UInt8] = []
            pending.reserveCapacity(Self.chunkSize)
            var position: Int32 = 0
            func write(_ bytes: ArraySlice<UInt8>) async throws {
                let buffer = ByteBuffer(bytes: bytes)
                try await statement { lease in
                    try await lease.run("""
                        WITH touched AS (UPDATE document_content SET touched_at = now() WHERE id = \(content))
                        INSERT INTO document_chunk (content_id, position, bytes) VALUES (\(content), \(position), \(buffer))
                        """)
                }
                position += 1
            }
            let stored = try await StoredDocument.read(chunks, maxBytes: maxBytes) { chunk in
                pending += chunk
                while pending.count >= Self.chunkSize {
                    try await write(pending[..<Self.chunkSize])
                    pending.removeFirst(Self.chunkSize)
                }
            }
            if !pending.isEmpty { try await write(pending[...]) }
            // Given up on meanwhile (the answer is already a refusal): nothing is kept.
            try Task.checkCancellation()
            let kept = try await statement { lease in
                try await lease.transaction {
                    // Received twice: the first content stays, and its row is touched so that a sweep running
                    // now on another portal leaves it (`remove`).
                    let kept = try await lease.row("""
                        INSERT INTO document (sha256, content_id, size, type, written_at)
                        VALUES (\(stored.sha256), \(content), \(stored.size), \(stored.type.rawValue), \(Timestamp(Date())))
                        ON CONFLICT (sha256) DO UPDATE SET written_at = EXCLUDED.written_at
                        RETURNING content_id
                        """)?.decode(Int64.self)
                    if kept != content { try await lease.run("DELETE FROM document_content WHERE id = \(content)") }
                    return kept
                }
            }
            if kept == nil { throw PortalError(.internalError) }
            return stored
        } catch {
            await discard(content)
            throw error
        }
    }

    /// Removes the chunks of an upload that ended without a document, even when the upload's task was
    /// cancelled (a task of its own, not cancelled with it, does the work; it is waited for).
    private func discard(_ content: Int64) async {
        let client = self.client, logger = self.logger
        await Task {
            do {
                try await client.withConnection { connection in
                    try await Lease(connection: connection, logger: logger).run("DELETE FROM document_content WHERE id = \(content)")
                }
            } catch {
                // Left for `removeAbandoned`.
                logger.warning("removing the chunks of an interrupted upload failed: \(error)")
            }
        }.value
    }

    public func open(sha256: String) async throws -> DocumentContent? {
        guard let (content, size) = try await statement({ lease in
            try await lease.row("SELECT content_id, size FROM document WHERE sha256 = \(sha256)")?.decode((Int64, Int64).self)
        }) else { return nil }
        let client = self.client, logger = self.logger
        return DocumentContent(size: size, chunks: DocumentChunks { index in
            let position = Int32(index)
            return try await client.withConnection { connection in
                let row = try await Lease(connection: connection, logger: logger).row(
                    "SELECT bytes FROM document_chunk WHERE content_id = \(content) AND position = \(position)")
                return try row.map { ArraySlice(try $0.decode(ByteBuffer.self).readableBytesView) }
            }
        })
    }

    public func digests(writtenBefore date: Date) async -> [String] {
        do {
            return try await statement { lease in
                try await lease.rows("SELECT sha256 FROM document WHERE written_at < \(Timestamp(date)) ORDER BY sha256")
                    .map { try $0.decode(String.self) }
            }
        } catch {
            logger.error("listing kept documents failed: \(error)")
            return []
        }
    }

    /// Removes the document unless it was written again since `date`, and also unless an attachment or a
    /// decision refers to it by now: the portal that decided to remove it is not the only one recording.
    public func remove(sha256: String, unlessWrittenSince date: Date) async {
        do {
            try await statement { lease in
                try await lease.transaction {
                    guard let content = try await lease.row("""
                        DELETE FROM document WHERE sha256 = \(sha256) AND written_at < \(Timestamp(date))
                          AND NOT EXISTS (SELECT 1 FROM attachment WHERE attachment.sha256 = document.sha256)
                          AND NOT EXISTS (SELECT 1 FROM decision WHERE decision.document_sha256 = document.sha256)
                        RETURNING content_id
                        """)?.decode(Int64.self)
                    else { return }
                    try await lease.run("DELETE FROM document_content WHERE id = \(content)")
                }
            }
        } catch {
            logger.error("removing document \(sha256) failed: \(error)")
        }
    }

    public func removeAbandoned() async -> Int {
        do {
            return try await statement { lease in
                try await lease.row("""
                    WITH removed AS (
                        DELETE FROM document_content
                        WHERE touched_at < now() - \(Self.abandonedAfter)::interval
                          AND NOT EXISTS (SELECT 1 FROM document WHERE document.content_id = document_content.id)
                        RETURNING 1)
                    SELECT count(*) FROM removed
                    """)?.decode(Int.self) ?? 0
            }
        } catch {
            logger.error("removing abandoned uploads failed: \(error)")
            return 0
        }
    }
}

extension PostgresPortalStore {
    /// The documents kept in this store's database, through this store's pool.
    public var documents: PostgresDocumentStorage { PostgresDocumentStorage(client: client, logger: logger) }
}
