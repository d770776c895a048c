import Crypto
import Foundation
import HTTPTypes
import HummingbirdBcrypt
import NIOPosix
import OpenAPIRuntime
import PortalStore
import PorttiModel

/// The applicant of the request being handled, set by `AuthenticationMiddleware`.
enum SignedIn {
    @TaskLocal static var applicant: Applicant?
    @TaskLocal static var tokenHash: String?

    /// The applicant, or `unauthenticated` for an operation reached without one.
    static func current() throws -> Applicant {
        guard let applicant else { throw PortalError(.unauthenticated) }
        return applicant
    }
}

/// Session tokens: 256 random bits given to the client, only their SHA-256 kept by the portal.
enum SessionToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String { SHA256.hash(data: Data(token.utf8)).hexString }
}

/// Checks the bearer token of every operation but those that need none.
struct AuthenticationMiddleware: ServerMiddleware {
    static let openOperations: Set<String> = ["health", "signIn"]

    let store: any PortalStore
    let idleTimeout: TimeInterval
    let clock: @Sendable () -> Date
    /// The expiry is written only when it moves this much (a minute, less for short timeouts): a busy
    /// applicant's requests then read the session and wait for no write.
    var minimumSlide: TimeInterval { min(60, idleTimeout / 10) }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if Self.openOperations.contains(operationID) { return try await next(request, body, metadata) }
        guard let header = request.headerFields[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw PortalError(.unauthenticated)
        }
        let token = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        let tokenHash = SessionToken.hash(token)
        let now = clock()
        switch try await store.useSession(tokenHash: tokenHash, now: now, slidingExpiry: now + idleTimeout, minimumSlide: minimumSlide) {
        case .live(let applicant):
            return try await SignedIn.$applicant.withValue(applicant) {
                try await SignedIn.$tokenHash.withValue(tokenHash) { try await next(request, body, metadata) }
            }
        case .expired: throw PortalError(.sessionExpired)
        case .unknown: throw PortalError(.unauthenticated)
        }
    }
}

/// bcrypt, off the cooperative pool: a hash at cost 12 takes a quarter of a second of CPU.
public enum Passwords {
    public static func hash(_ password: String, cost: UInt8) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// The cost (work factor) a bcrypt hash was made with: `$2b$12$…` is 12. Nil for what is not such a hash.
    public static func cost(of hash: String) -> UInt8? {
        let fields = hash.split(separator: "$", omittingEmptySubsequences: true)
        guard fields.count >= 3, fields[0].hasPrefix("2") else { return nil }
        return UInt8(fields[1])
    }
}

/// Slows down repeated failed sign-ins for a user name: after the free attempts, each further one must wait
/// twice as long as the last, up to a ceiling. Kept in memory: a restart forgives, which is acceptable.
actor SignInThrottle {
    private struct Record {
        var failures: Int
        var lastFailure: Date
    }

    private var records: [String: Record] = [:]
    private let freeAttempts: Int
    private let maxDelay: TimeInterval
    /// Names tracked at most (memory is bounded however many names are tried).
    private let maxTracked: Int

    init(freeAttempts: Int, maxDelay: TimeInterval, maxTracked: Int = 100_000) {
        self.freeAttempts = freeAttempts
        self.maxDelay = maxDelay
        self.maxTracked = max(maxTracked, 2)
    }

    /// Starts an attempt for `username`: answers the seconds to wait when it may not try now; otherwise
    /// counts the attempt as failed until `succeeded` says otherwise.
    func begin(_ username: String, now: Date) -> Int? {
        let key = username.lowercased()
        if let record = records[key], record.failures >= freeAttempts {
            let remaining = record.lastFailure.addingTimeInterval(delay(after: record.failures)).timeIntervalSince(now)
            if remaining > 0 { return Int(remaining.rounded(.up)) }
        }
        if records[key] == nil, records.count >= maxTracked { forgetOld(now: now) }
        var record = records[key] ?? Record(failures: 0, lastFailure: now)
        record.failures += 1
        record.lastFailure = now
        records[key] = record
        return nil
    }

    /// Full: records quiet for longer than the longest delay go first; if that is not enough, the names with
    /// the fewest failures. A flood of made-up names must not wipe the count of the one being guessed at.
    private func forgetOld(now: Date) {
        records = records.filter { now.timeIntervalSince($0.value.lastFailure) <= maxDelay }
        guard records.count >= maxTracked else { return }
        let kept = records.sorted { ($0.value.failures, $0.value.lastFailure) > ($1.value.failures, $1.value.lastFailure) }
            .prefix(maxTracked / 2)
        records = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
    }

    func succeeded(_ username: String) { records[username.lowercased()] = nil }

    private func delay(after failures: Int) -> TimeInterval {
        min(maxDelay, pow(2, Double(failures - freeAttempts)))
    }
}

/// Bounds the bcrypt work strangers can queue: beyond `limit` checks under way, sign-ins are told to wait.
actor PasswordChecks {
    private var underWay = 0
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func verify(_ password: String, hash: String) async throws -> Bool {
        guard underWay < limit else { throw PortalError(.tooManyAttempts, retryAfterSeconds: 1) }
        underWay += 1
        defer { underWay -= 1 }
        return try await Passwords.verify(password, hash: hash)
    }
}
