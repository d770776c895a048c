import Foundation
import Logging
import PorttiModel
import PostgresNIO

/// A pooled connection lent to one unit of work (a statement or a transaction), with the logger its
/// statements log to. Every statement's rows are read to the end here, so that an error the server sends
/// after the first row is thrown by the statement that caused it.
struct Lease {
    let connection: PostgresConnection
    let logger: Logger

    /// How a transaction sees the others running beside it.
    enum Isolation {
        /// Every statement sees what was committed when it started; writers add the locks they need.
        case readCommitted
        /// Read only, and every statement sees the one snapshot taken at its first: a read of several
        /// statements sees one state, as a SQLite read does.
        case snapshot
    }

    /// Transaction-scoped advisory locks, the same keys in every portal on the database (that is what makes
    /// them shared); released at commit or rollback.
    enum AdvisoryLock: Int64 {
        /// Held while the schema is brought up to date.
        case migration = 0x706F_7274_7469_0001  // "portti" and a number
        /// Held by every transaction that takes a message or notification number, from before it takes it
        /// until it commits: numbers then become visible in the order they were taken, so a reader that has
        /// seen number n never finds n - 1 appearing later (the notification stream reads "after n").
        case arrival = 0x706F_7274_7469_0002
        /// Held while the first receipt signing key is made, so portals starting together make one.
        case receiptKey = 0x706F_7274_7469_0003
    }

    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await connection.query(query, logger: logger).collect()
    }

    /// The first row of the answer, or nil when there is none.
    func row(_ query: PostgresQuery) async throws -> PostgresRow? {
        try await rows(query).first
    }

    func run(_ query: PostgresQuery) async throws {
        try await rows(query)
    }

    /// Waits for `lock`, until the transaction ends.
    func lock(_ lock: AdvisoryLock) async throws {
        try await run("SELECT pg_advisory_xact_lock(\(lock.rawValue))")
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws (the error is
    /// rethrown as it was, so callers see the server's error and not a wrapper).
    func transaction<Result: Sendable>(
        _ isolation: Isolation = .readCommitted, _ body: () async throws -> Result
    ) async throws -> Result {
        switch isolation {
        case .readCommitted: try await run("BEGIN")
        case .snapshot: try await run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        }
        do {
            let result = try await body()
            try await run("COMMIT")
            return result
        } catch {
            // A connection that cannot roll back is broken, and the pool drops it; the body's error is the news.
            try? await run("ROLLBACK")
            throw error
        }
    }
}

/// An instant as PostgreSQL's `timestamptz` keeps it: whole microseconds since 2000-01-01 UTC.
///
/// postgres-nio encodes a `Date` by truncating, and a `Date` read back is a binary fraction that may fall a
/// hair below its microsecond: written again it would move a microsecond earlier. Rounding to the nearest
/// microsecond makes writing what was read a no-op, and `date` is exactly what a later read answers.
struct Timestamp: PostgresNonThrowingEncodable, Comparable {
    let microseconds: Int64

    init(_ date: Date) {
        microseconds = Int64((date.timeIntervalSince(Self.epoch) * 1_000_000).rounded())
    }

    /// The instant as a read answers it (postgres-nio's arithmetic).
    var date: Date { Date(timeInterval: Double(microseconds) / 1_000_000, since: Self.epoch) }

    static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    private static let epoch = Date(timeIntervalSince1970: 946_684_800)

    static var psqlType: PostgresDataType { .timestamptz }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeInteger(microseconds)
    }
}

extension PSQLError {
    /// Whether the server refused a statement for breaking the named unique constraint.
    func violates(_ constraint: String) -> Bool {
        serverInfo?[.sqlState] == PostgresError.Code.uniqueViolation.raw && serverInfo?[.constraintName] == constraint
    }
}

/// A stored text that names no value of the model's enumeration: written by a newer portal, or by hand.
struct UnknownStoredValue: Error, CustomStringConvertible {
    var type: String
    var text: String
    var description: String { "\(text) is no \(type) this portal knows" }
}

extension RawRepresentable where RawValue == String {
    /// The model's value stored as `text` (enumerations are stored as their raw text).
    /// - Throws: `UnknownStoredValue` when no value has that raw text.
    static func stored(_ text: String) throws -> Self {
        guard let value = Self(rawValue: text) else { throw UnknownStoredValue(type: "\(Self.self)", text: text) }
        return value
    }
}
