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
        switch try await store.useSession(tokenHash: tokenHash, now: now, slidingExpiry: now + idleTimeout) {
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

    init(freeAttempts: Int, maxDelay: TimeInterval) {
        self.freeAttempts = freeAttempts
        self.maxDelay = maxDelay
    }

    /// Seconds to wait before `username` may try again, or nil when it may try now.
    func wait(for username: String, now: Date) -> Int? {
        guard let record = records[username.lowercased()], record.failures >= freeAttempts else { return nil }
        let delay = delay(after: record.failures)
        let remaining = record.lastFailure.addingTimeInterval(delay).timeIntervalSince(now)
        if remaining > maxDelay * 2 { records[username.lowercased()] = nil }  // long forgotten
        return remaining > 0 ? Int(remaining.rounded(.up)) : nil
    }

    func failed(_ username: String, now: Date) {
        var record = records[username.lowercased()] ?? Record(failures: 0, lastFailure: now)
        record.failures += 1
        record.lastFailure = now
        records[username.lowercased()] = record
    }

    func succeeded(_ username: String) { records[username.lowercased()] = nil }

    private func delay(after failures: Int) -> TimeInterval {
        min(maxDelay, pow(2, Double(failures - freeAttempts)))
    }
}
