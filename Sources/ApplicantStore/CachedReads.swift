import Foundation
import PorttiModel

/// An answer of the portal, or, when the portal is out of reach, what it answered last time.
public struct Fresh<Value: Sendable>: Sendable {
    public var value: Value
    /// When the portal gave this answer, when it comes from the cache; nil when it is fresh.
    public var offlineSince: Date?

    public init(value: Value, offlineSince: Date?) {
        self.value = value
        self.offlineSince = offlineSince
    }
}

/// Reads through the cache: a fresh answer is kept for later; when the portal cannot be reached, the kept
/// answer is returned and marked offline. Other failures (a refusal, an expired session) are thrown.
public func readThroughCache<Value: Codable & Sendable>(
    _ store: ApplicantStore, key: String, _ fetch: () async throws -> Value
) async throws -> Fresh<Value> {
    do {
        let value = try await fetch()
        try? await store.keep(value, as: key)
        return Fresh(value: value, offlineSince: nil)
    } catch let error as ClientError where error.isTransient {
        guard let cached = try? await store.kept(Value.self, key) else { throw error }
        return Fresh(value: cached.value, offlineSince: cached.fetchedAt)
    }
}

/// What was kept last time, without asking the portal: for drawing the first screen at once.
public func cachedOnly<Value: Codable & Sendable>(_ store: ApplicantStore, key: String) -> Fresh<Value>? {
    guard let cached = try? store.cached(Value.self, key) else { return nil }
    return Fresh(value: cached.value, offlineSince: cached.fetchedAt)
}

/// The same, for async callers (the app's effects): SQLite is waited for without holding a pool thread.
public func cachedOnly<Value: Codable & Sendable>(_ store: ApplicantStore, key: String) async -> Fresh<Value>? {
    guard let cached = try? await store.kept(Value.self, key) else { return nil }
    return Fresh(value: cached.value, offlineSince: cached.fetchedAt)
}
