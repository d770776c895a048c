import Crypto
import Foundation
import PortalStore
import PortalStorePostgres
import PortalTestSupport
import PorttiModel
import PostgresNIO
import Testing

/// `bytes` as an upload arrives: pieces of `piece` bytes (a size that matches no storage's chunk).
private struct Pieces: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    let bytes: [UInt8]
    var piece = 10_007
    /// After this many bytes the sender stops half-way (the sequence fails), when set.
    var failAfter: Int?

    struct Interrupted: Error {}

    struct AsyncIterator: AsyncIteratorProtocol {
        let pieces: Pieces
        var offset = 0
        mutating func next() async throws -> ArraySlice<UInt8>? {
            if let failAfter = pieces.failAfter, offset >= failAfter { throw Interrupted() }
            guard offset < pieces.bytes.count else { return nil }
            let end = Swift.min(offset + pieces.piece, pieces.bytes.count)
            defer { offset = end }
            return pieces.bytes[offset..<end]
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pieces: self) }
}

/// A PDF of `size` bytes whose content depends on `seed`.
private func pdf(size: Int, seed: UInt8 = 0) -> [UInt8] {
    let head = Array("%PDF-1.4\n".utf8)
    return head + (0..<(size - head.count)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
}

private func sha256(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

private func read(_ storage: any DocumentStorage, _ digest: String) async throws -> (size: Int64, bytes: [UInt8])? {
    guard let content = try await storage.open(sha256: digest) else { return nil }
    var bytes: [UInt8] = []
    for try await chunk in content.chunks { bytes += chunk }
    return (content.size, bytes)
}

/// The contract of the storage of attachments and decision documents, run on the folder beside a SQLite
/// portal and on the PostgreSQL database several portals share.
@Suite struct DocumentStorageContractTests {
    /// A document in many pieces (several of PostgreSQL's chunks, with a short last one) reads back whole,
    /// under its SHA-256, with its size and the type its first bytes show.
    @Test(arguments: StoreKind.allCases)
    func received_readsBackWhole_underItsDigest(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let documents = try await data.openDocuments()
            let content = pdf(size: 3 * 256 * 1024 + 12_345)
            let stored = try await documents.receive(Pieces(bytes: content), maxBytes: 4 << 20)
            #expect(stored == StoredDocument(sha256: sha256(content), size: Int64(content.count), type: .pdf))
            let back = try #require(try await read(documents, stored.sha256))
            #expect(back.size == Int64(content.count))
            #expect(back.bytes == content)
            // Read by another instance (another portal) as well.
            #expect(try await read(try await data.openDocuments(), stored.sha256)?.bytes == content)
            for (bytes, type) in [(Samples.png, AttachmentType.png), (Samples.jpeg, .jpeg)] {
                #expect(try await documents.receive(Pieces(bytes: bytes), maxBytes: 4 << 20).type == type)
            }
            #expect(try await documents.open(sha256: sha256([1, 2, 3])) == nil)
        }
    }

    /// Refused or interrupted uploads leave no document, and `examine` keeps none.
    @Test(arguments: StoreKind.allCases)
    func refusedInterruptedOrExamined_keepsNothing(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let documents = try await data.openDocuments()
            let content = pdf(size: 600 * 1024)
            await #expect(throws: PortalError(.attachmentTooLarge, limit: 500 * 1024)) {
                _ = try await documents.receive(Pieces(bytes: content), maxBytes: 500 * 1024)
            }
            await #expect(throws: PortalError(.attachmentTypeRefused)) {
                _ = try await documents.receive(Pieces(bytes: Samples.zip), maxBytes: 4 << 20)
            }
            await #expect(throws: PortalError(.attachmentEmpty)) {
                _ = try await documents.receive(Pieces(bytes: []), maxBytes: 4 << 20)
            }
            await #expect(throws: PortalError(.malformedRequest, detail: "upload interrupted")) {
                _ = try await documents.receive(Pieces(bytes: content, failAfter: 400 * 1024), maxBytes: 4 << 20)
            }
            let examined = try await documents.examine(Pieces(bytes: content), maxBytes: 4 << 20)
            #expect(examined.sha256 == sha256(content))
            #expect(await documents.digests(writtenBefore: .distantFuture).isEmpty)
            #expect(try await documents.open(sha256: examined.sha256) == nil)
            if let database = data.database {
                // Not even the chunks written before the refusal stay.
                #expect(try await count("document_content", in: database) == 0)
            }
        }
    }

    /// The same content arriving at once on two instances (two portals) is one document.
    @Test(arguments: StoreKind.allCases)
    func sameContentAtOnce_onTwoInstances_isOneDocument(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let instances = [try await data.openDocuments(), try await data.openDocuments()]
            let content = pdf(size: 700 * 1024, seed: 3)
            let digests = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<8 {
                    let documents = instances[index % 2]
                    group.addTask { try await documents.receive(Pieces(bytes: content), maxBytes: 4 << 20).sha256 }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(digests == [sha256(content)])
            #expect(await instances[1].digests(writtenBefore: .distantFuture) == [sha256(content)])
            #expect(try await read(instances[0], sha256(content))?.bytes == content)
            if let database = data.database {
                #expect(try await count("document_content", in: database) == 1, "the other copies' chunks are gone")
            }
        }
    }

    /// A sweep removes a document written before it began, and leaves one written again since (an upload of
    /// the same content under way, perhaps on another portal).
    @Test(arguments: StoreKind.allCases)
    func remove_leavesADocumentWrittenAgainSinceTheSweepBegan(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let documents = try await data.openDocuments()
            let content = pdf(size: 1000)
            let stored = try await documents.receive(Pieces(bytes: content), maxBytes: 4 << 20)
            #expect(await documents.digests(writtenBefore: Date() - 3600).isEmpty, "written just now")
            let began = Date()
            _ = try await documents.receive(Pieces(bytes: content), maxBytes: 4 << 20)
            await documents.remove(sha256: stored.sha256, unlessWrittenSince: began)
            #expect(try await read(documents, stored.sha256)?.bytes == content)
            await documents.remove(sha256: stored.sha256, unlessWrittenSince: Date() + 60)
            #expect(try await documents.open(sha256: stored.sha256) == nil)
            #expect(await documents.digests(writtenBefore: .distantFuture).isEmpty)
        }
    }

    /// An upload under way on one instance is not taken for a crash's leftover by another starting up.
    @Test(arguments: StoreKind.allCases)
    func uploadUnderWay_isNotAbandoned(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let (first, second) = (try await data.openDocuments(), try await data.openDocuments())
            let content = pdf(size: 900 * 1024)
            let (pieces, sender) = AsyncStream<ArraySlice<UInt8>>.makeStream()
            let upload = Task { try await first.receive(pieces, maxBytes: 4 << 20) }
            sender.yield(content[..<(600 * 1024)])
            if let database = data.database {
                try await within(10, "the first chunks to be written") {
                    while try await count("document_chunk", in: database) < 2 { try await Task.sleep(for: .milliseconds(20)) }
                }
            }
            #expect(await second.removeAbandoned() == 0)
            sender.yield(content[(600 * 1024)...])
            sender.finish()
            let stored = try await upload.value
            #expect(try await read(second, stored.sha256)?.bytes == content)
        }
    }
}

/// How many rows `table` has in `database`, asked on a connection of its own.
private func count(_ table: String, in database: PostgresTestDatabase) async throws -> Int {
    let client = PostgresClient(configuration: database.configuration)
    return try await withThrowingTaskGroup(of: Int?.self) { group in
        group.addTask {
            await client.run()
            return nil
        }
        defer { group.cancelAll() }
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"))
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }
}
