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
    static let openOperations: Set<String> = ["health", "signIn", "receiptKeys"]

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
