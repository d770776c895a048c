import Foundation
import GRDB
import PorttiModel
import ReceiptProof

/// The applicant's records could not be used. `folder` is where they are kept: the place to check.
public enum ApplicantStoreError: Error, Sendable, Equatable {
    /// The folder or the database cannot be created or opened: not writable, a file where a folder should be
    /// (or a folder where the file should be), not a database.
    case cannotOpen(folder: String)
    /// A read or a write failed once open: the disk is full, the file was removed or damaged.
    case cannotReadOrWrite(folder: String)
}

/// The applicant's own records for one portal and account: drafts, the outbox, kept receipts and a cache of
/// what the portal showed last, readable offline. One SQLite file in WAL mode; every write is durable
/// before it returns, so a `kill -9` loses nothing that was saved.
public final class ApplicantStore: Sendable {
    private let database: DatabasePool
    /// The account's folder, named in errors: what the applicant can check.
    private let folder: String

    public init(path: String) throws(ApplicantStoreError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        self.folder = folder.path
        do {
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            database = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw .cannotOpen(folder: folder.path)
        }
    }

    /// `$XDG_DATA_HOME/portti/accounts/<portal>/<username>/applicant.sqlite`: one store per portal and account.
    public static func path(portal: URL, username: String, environment: [String: String]) -> String {
        path(portal: PortalIdentity(portal), username: username, environment: environment)
    }

    /// `$XDG_DATA_HOME/portti/accounts/<identity>/<username>/applicant.sqlite`.
    public static func path(portal: PortalIdentity, username: String, environment: [String: String]) -> String {
        accountsFolder(portal, environment: environment)
            .appending(path: XDG.safeName(username)).appending(path: "applicant.sqlite").path
    }

    /// The folder holding every account's records for `portal`.
    public static func accountsFolder(_ portal: PortalIdentity, environment: [String: String]) -> URL {
        XDG.dataHome(environment).appending(path: "portti/accounts", directoryHint: .isDirectory)
            .appending(path: portal.name, directoryHint: .isDirectory)
    }

    /// The receipt keys this machine has kept for `portal`, over every account's records; empty when it has
    /// kept none (no account, or no signed receipt yet). Records that cannot be read are passed over.
    public static func keptReceiptKeys(portal: PortalIdentity, environment: [String: String]) async -> ReceiptKeySet {
        let folder = accountsFolder(portal, environment: environment)
        let accounts = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var keys: [PublicReceiptKey] = []
        for account in accounts.sorted() {
            let path = folder.appending(path: account).appending(path: "applicant.sqlite").path
            guard FileManager.default.fileExists(atPath: path), let store = try? ApplicantStore(path: path),
                  let kept = try? await store.receiptKeys()
            else { continue }
            keys += kept.keys.filter { key in !keys.contains { $0.kid == key.kid } }
        }
        return ReceiptKeySet(keys: keys)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: drafts, outbox, receipts, cache") { db in
            try db.create(table: "draft") { t in
                t.primaryKey("target", .text)
                t.column("content", .jsonText).notNull()
            }
            try db.create(table: "outbox") { t in
                t.primaryKey("id", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("content", .jsonText).notNull()
            }
            try db.create(table: "keptReceipt") { t in
                t.primaryKey("number", .text)
                t.column("receivedAt", .datetime).notNull()
                t.column("content", .jsonText).notNull()
            }
            try db.create(table: "cache") { t in
                t.primaryKey("key", .text)
                t.column("fetchedAt", .datetime).notNull()
                t.column("content", .blob).notNull()
            }
        }
        migrator.registerMigration("v2: outbox numbers") { db in
            // The number a person names an item by (`portti outbox --discard 3`): given once, never reused, so
            // a number read from one listing never names another message in the next.
            try db.alter(table: "outbox") { t in t.add(column: "number", .integer) }
            try db.create(table: "outboxNumber") { t in
                t.primaryKey("id", .integer)
                t.column("last", .integer).notNull()
            }
            try db.execute(sql: "UPDATE outbox SET number = (SELECT COUNT(*) FROM outbox AS earlier WHERE earlier.rowid <= outbox.rowid)")
            try db.execute(sql: "INSERT INTO outboxNumber (id, last) VALUES (1, (SELECT COUNT(*) FROM outbox))")
        }
        migrator.registerMigration("v3: the portal's receipt keys seen") { db in
            // Each key as first seen (a JWK); a key the portal later publishes under a known kid is not taken.
            try db.create(table: "receiptKey") { t in
                t.primaryKey("kid", .text)
                t.column("jwk", .jsonText).notNull()
                t.column("firstSeen", .datetime).notNull()
            }
        }
        return migrator
    }

    /// Writes an item: a new one is given the next outbox number, one written before keeps its number.
    private static func upsert(_ db: Database, _ item: OutboxItem, content: String) throws {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM outbox WHERE id = ?", arguments: [item.id]) == true {
            try db.execute(sql: "UPDATE outbox SET createdAt = ?, content = ? WHERE id = ?",
                           arguments: [item.createdAt, content, item.id])
            return
        }
        try db.execute(sql: "UPDATE outboxNumber SET last = last + 1 WHERE id = 1")
        try db.execute(sql: """
            INSERT INTO outbox (id, createdAt, content, number) VALUES (?, ?, ?, (SELECT last FROM outboxNumber WHERE id = 1))
            """, arguments: [item.id, item.createdAt, content])
    }

    // MARK: Drafts

    public func save(_ draft: Draft) throws(ApplicantStoreError) {
        try records {
            let content = try Self.encode(draft)
            try database.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO draft (target, content) VALUES (?, ?)",
                               arguments: [draft.target.key, content])
            }
        }
    }

    public func draft(for target: MessageTarget) throws(ApplicantStoreError) -> Draft? {
        try records {
            try database.read { db in
                try String.fetchOne(db, sql: "SELECT content FROM draft WHERE target = ?", arguments: [target.key])
            }.map { try Self.decode(Draft.self, $0) }
        }
    }

    public func drafts() throws(ApplicantStoreError) -> [Draft] {
        try records {
            try database.read { db in try String.fetchAll(db, sql: "SELECT content FROM draft") }
                .map { try Self.decode(Draft.self, $0) }
        }
    }

    public func discardDraft(for target: MessageTarget) throws(ApplicantStoreError) {
        try records {
            try database.write { db in try db.execute(sql: "DELETE FROM draft WHERE target = ?", arguments: [target.key]) }
        }
    }

    // MARK: Outbox

    public func put(_ item: OutboxItem) throws(ApplicantStoreError) {
        try records {
            let content = try Self.encode(item)
            try database.write { db in try Self.put(item, content: content, in: db) }
        }
    }

    /// `put`, for async callers (the courier): the write waits on GRDB's queue, not on the cooperative pool.
    public func put(_ item: OutboxItem) async throws(ApplicantStoreError) {
        try await records {
            let content = try Self.encode(item)
            try await database.write { db in try Self.put(item, content: content, in: db) }
        }
    }

    /// The pending item that carries `draft`, else a new one for it, found or written in one transaction: two
    /// sends of one draft at once (a double press) get the same item, so the message goes out once.
    public func enqueue(_ draft: Draft) async throws(ApplicantStoreError) -> OutboxItem {
        try await records {
            let fresh = OutboxItem(draft: draft)
            let content = try Self.encode(fresh)
            return try await database.write { db in
                if let waiting = try Self.outbox(in: db).first(where: { $0.state == .pending && $0.carries(draft) }) {
                    return waiting
                }
                try Self.put(fresh, content: content, in: db)
                return fresh
            }
        }
    }

    private static func put(_ item: OutboxItem, content: String, in db: Database) throws {
        try upsert(db, item, content: content)
    }

    /// Every item, oldest first, each with its number.
    public func outbox() throws(ApplicantStoreError) -> [OutboxItem] {
        try records { try database.read { db in try Self.outbox(in: db) } }
    }

    /// `outbox`, for async callers, likewise.
    public func outbox() async throws(ApplicantStoreError) -> [OutboxItem] {
        try await records { try await database.read { db in try Self.outbox(in: db) } }
    }

    private static func outbox(in db: Database) throws -> [OutboxItem] {
        try Row.fetchAll(db, sql: "SELECT content, number FROM outbox ORDER BY createdAt, id").map { row in
            var item = try decode(OutboxItem.self, row["content"])
            item.number = row["number"]
            return item
        }
    }

    public func removeFromOutbox(id: String) throws(ApplicantStoreError) {
        try records {
            try database.write { db in try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [id]) }
        }
    }

    /// Records a delivery in one step: the receipt is kept, the item marked delivered and the draft it came
    /// from removed, so no crash can leave the message both sent and still looking unsent.
    public func delivered(_ item: OutboxItem, receipt: Receipt, verifiedKey: String? = nil) throws(ApplicantStoreError) {
        try records {
            let record = try Self.delivery(item, receipt: receipt, verifiedKey: verifiedKey)
            try database.write(record)
        }
    }

    /// `delivered`, for async callers, likewise.
    public func delivered(_ item: OutboxItem, receipt: Receipt, verifiedKey: String? = nil) async throws(ApplicantStoreError) {
        try await records {
            let record = try Self.delivery(item, receipt: receipt, verifiedKey: verifiedKey)
            try await database.write(record)
        }
    }

    /// The one write that records a delivery.
    private static func delivery(_ item: OutboxItem, receipt: Receipt, verifiedKey: String?) throws
        -> @Sendable (Database) throws -> Void
    {
        var item = item
        item.state = .delivered(receiptNumber: receipt.number)
        let itemContent = try encode(item)
        let kept = try encode(KeptReceipt(receipt: receipt, target: item.target, message: item.text, verifiedKey: verifiedKey))
        return { [item] db in
            try ApplicantStore.put(item, content: itemContent, in: db)
            try db.execute(sql: "INSERT OR REPLACE INTO keptReceipt (number, receivedAt, content) VALUES (?, ?, ?)",
                           arguments: [receipt.number, receipt.receivedAt, kept])
            if let draftContent = try String.fetchOne(db, sql: "SELECT content FROM draft WHERE target = ?",
                                                      arguments: [item.target.key]),
                let draft = try? ApplicantStore.decode(Draft.self, draftContent), item.carries(draft)
            {
                try db.execute(sql: "DELETE FROM draft WHERE target = ?", arguments: [item.target.key])
            }
        }
    }

    // MARK: Receipts

    /// Every receipt kept, newest first.
    public func receipts() throws(ApplicantStoreError) -> [KeptReceipt] {
        try records {
            try database.read { db in
                try String.fetchAll(db, sql: "SELECT content FROM keptReceipt ORDER BY receivedAt DESC, number DESC")
            }.map { try Self.decode(KeptReceipt.self, $0) }
        }
    }

    /// The receipt kept under `number`, for async callers (read off the cooperative pool); nil when none is.
    public func receipt(number: String) async throws(ApplicantStoreError) -> KeptReceipt? {
        try await records {
            try await database.read { db in
                try String.fetchOne(db, sql: "SELECT content FROM keptReceipt WHERE number = ?", arguments: [number])
            }.map { try Self.decode(KeptReceipt.self, $0) }
        }
    }

    /// The receipt of an earlier delivery of the same message as `draft` (`KeptReceipt.covers`), unless an
    /// outbox item still pending carries it: sending that item is the same message once more under its own
    /// key, not a second message, and needs no warning.
    public func earlierDelivery(of draft: Draft) throws(ApplicantStoreError) -> KeptReceipt? {
        if try outbox().contains(where: { $0.state == .pending && $0.carries(draft) }) { return nil }
        return try receipts().earlierDelivery(to: draft.target, text: draft.text, files: draft.files)
    }

    // MARK: The portal's receipt keys

    /// The portal's receipt signing keys seen so far, as a JWK Set, in the order first seen.
    public func receiptKeys() async throws(ApplicantStoreError) -> ReceiptKeySet {
        try await records {
            try await database.read { db in
                ReceiptKeySet(keys: try String.fetchAll(db, sql: "SELECT jwk FROM receiptKey ORDER BY firstSeen, kid")
                    .map { try Self.decode(PublicReceiptKey.self, $0) })
            }
        }
    }

    /// Remembers the well-formed keys of `keys` whose kid is new; a known kid keeps the key first seen.
    public func remember(receiptKeys keys: ReceiptKeySet, now: Date = Date()) async throws(ApplicantStoreError) {
        try await records {
            let rows = try keys.keys.filter(\.isWellFormed).map { ($0.kid, try Self.encode($0)) }
            try await database.write { db in
                for (kid, jwk) in rows {
                    try db.execute(sql: "INSERT OR IGNORE INTO receiptKey (kid, jwk, firstSeen) VALUES (?, ?, ?)",
                                   arguments: [kid, jwk, now])
                }
            }
        }
    }

    // MARK: Cache

    /// Something the portal showed, and when.
    public struct Cached<Value: Sendable>: Sendable {
        public var value: Value
        public var fetchedAt: Date
    }

    public func cache<Value: Encodable>(_ value: Value, as key: String, at now: Date = Date()) throws(ApplicantStoreError) {
        try records {
            let content = try Self.encoder.encode(value)
            try database.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO cache (key, fetchedAt, content) VALUES (?, ?, ?)",
                               arguments: [key, now, content])
            }
        }
    }

    public func cached<Value: Decodable & Sendable>(_ type: Value.Type, _ key: String) throws(ApplicantStoreError) -> Cached<Value>? {
        try records {
            let row = try database.read { db in try Row.fetchOne(db, sql: "SELECT fetchedAt, content FROM cache WHERE key = ?", arguments: [key]) }
            guard let row, let fetchedAt: Date = row["fetchedAt"], let content: Data = row["content"] else { return nil }
            // A cache written by another version that no longer decodes is simply not there.
            guard let value = try? Self.decoder.decode(Value.self, from: content) else { return nil }
            return Cached(value: value, fetchedAt: fetchedAt)
        }
    }

    /// `cache`, for async callers: the write waits on GRDB's queue, not on a thread of the cooperative pool.
    public func keep<Value: Encodable>(_ value: Value, as key: String, at now: Date = Date()) async throws {
        let content = try Self.encoder.encode(value)
        try await database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO cache (key, fetchedAt, content) VALUES (?, ?, ?)",
                           arguments: [key, now, content])
        }
    }

    /// `cached`, for async callers, likewise.
    func kept<Value: Decodable & Sendable>(_ type: Value.Type, _ key: String) async throws -> Cached<Value>? {
        let found: (Date, Data)? = try await database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT fetchedAt, content FROM cache WHERE key = ?", arguments: [key]),
                let fetchedAt: Date = row["fetchedAt"], let content: Data = row["content"]
            else { return nil }
            return (fetchedAt, content)
        }
        guard let (fetchedAt, content) = found, let value = try? Self.decoder.decode(Value.self, from: content) else { return nil }
        return Cached(value: value, fetchedAt: fetchedAt)
    }

    /// Runs a read or a write, its failure (SQLite's, the coder's) as the error the applicant can act on.
    private func records<T>(_ work: () throws -> T) throws(ApplicantStoreError) -> T {
        do { return try work() } catch { throw .cannotReadOrWrite(folder: folder) }
    }

    private func records<T>(_ work: () async throws -> T) async throws(ApplicantStoreError) -> T {
        do { return try await work() } catch { throw .cannotReadOrWrite(folder: folder) }
    }

    // MARK: Coding

    // Dates as exact numbers: what is read back equals what was saved.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .deferredToDate
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .deferredToDate
        return decoder
    }()

    private static func encode<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, _ text: String) throws -> Value {
        try decoder.decode(type, from: Data(text.utf8))
    }
}
