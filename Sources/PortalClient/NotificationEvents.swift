import Foundation
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime
import PortalAPI
import PorttiModel
import Synchronization

/// What the notification stream reports.
public enum NotificationEvent: Sendable, Equatable {
    /// Connected (again); `after` is the last notification sequence already delivered.
    case connected(after: Int64)
    case notification(PortalNotification)
    /// The connection dropped or could not be made; the stream reconnects by itself unless the session ended.
    case disconnected(PorttiModel.ClientError)
}

extension PortalClient {
    /// New notifications as they are created, for as long as the returned stream is iterated. Reconnects by
    /// itself with backoff and resumes after the last notification delivered, so none is missed or repeated.
    /// Pass the last sequence already known (from a list or the cache) as `after`; nil means "from now on".
    /// Ends when the session ends (`disconnected(.sessionExpired)` or `.notSignedIn` comes last).
    public func notificationEvents(after sequence: Int64?, idleTimeout: Duration = .seconds(45)) -> AsyncStream<NotificationEvent> {
        let (events, continuation) = AsyncStream<NotificationEvent>.makeStream(bufferingPolicy: .bufferingOldest(1024))
        let streamClient = makeStreamClient()
        let retry = settings.retry
        let task = Task {
            // Shared with the reading task; only one reader runs at a time.
            let position = Shared<Int64?>(sequence)
            var failures = 0
            reconnect: while !Task.isCancelled {
                let delivered = Shared(false)
                do {
                    let output = try await streamClient.streamNotifications(
                        headers: .init(lastEventID: position.withLock { $0 }.map(String.init)))
                    switch output {
                    case .ok(let ok):
                        let body = try ok.body.textEventStream
                        try await Self.read(body, idleTimeout: idleTimeout) { event in
                            switch event.event {
                            case "open":
                                let after = position.withLock { cursor in
                                    if cursor == nil { cursor = event.id.flatMap { Int64($0) } }
                                    return cursor ?? 0
                                }
                                continuation.yield(.connected(after: after))
                            case "notification":
                                guard let id = event.id.flatMap({ Int64($0) }) else { throw PorttiModel.ClientError.malformedReply }
                                guard id > (position.withLock { $0 } ?? -1) else { return }  // never the same twice
                                // One this client cannot read (a kind added later) is passed over, not retried
                                // for ever: the stream goes on after it.
                                if let data = event.data,
                                    let value = try? Self.eventDecoder.decode(Components.Schemas.Notification.self, from: Data(data.utf8)),
                                    let notification = try? PortalNotification(value)
                                {
                                    // A full buffer means the reader is far behind: reconnect from here rather than lose it.
                                    if case .dropped = continuation.yield(.notification(notification)) {
                                        throw PorttiModel.ClientError.timeout
                                    }
                                    delivered.withLock { $0 = true }
                                }
                                position.withLock { $0 = id }
                            default:
                                break  // keep-alives and events of later versions
                            }
                        }
                        continuation.yield(.disconnected(.portalUnreachable))
                    case .default(let status, let problem):
                        let error = Self.error(status, problem)
                        continuation.yield(.disconnected(error))
                        if error == .sessionExpired || error == .notSignedIn { break reconnect }
                    }
                } catch {
                    if Task.isCancelled { break }
                    continuation.yield(.disconnected(Self.classify(error)))
                }
                // Back off, unless the connection was worth something: a portal that answers and drops at
                // once must not be hammered.
                failures = delivered.withLock { $0 } ? 1 : failures + 1
                try? await Task.sleep(for: retry.delay(beforeRetry: min(failures, 8)))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return events
    }

    /// Reads events until the stream ends, throwing when nothing (not even a keep-alive) came for `idleTimeout`:
    /// a connection that died without a word is noticed and replaced.
    private static func read(
        _ body: HTTPBody, idleTimeout: Duration, _ handle: @escaping @Sendable (ServerSentEvent) throws -> Void
    ) async throws {
        let lastActivity = Shared(ContinuousClock.now)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // An event is a few hundred bytes: a line that never ends is refused, not buffered for ever.
                let lines = HTTPBody(LineLengthLimit(base: body, limit: 256 * 1024), length: .unknown, iterationBehavior: .single)
                for try await event in lines.asDecodedServerSentEvents() {
                    lastActivity.withLock { $0 = .now }
                    try handle(event)
                }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: idleTimeout / 3)
                    if ContinuousClock.now - lastActivity.withLock({ $0 }) > idleTimeout { throw PorttiModel.ClientError.timeout }
                }
            }
            // The first to finish decides: the stream ended, failed, or went quiet.
            try await group.next()
            group.cancelAll()
        }
    }

    static let eventDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// Passes chunks on, throwing once a line grows past `limit` bytes without ending.
struct LineLengthLimit<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ArraySlice<UInt8> {
    typealias Element = ArraySlice<UInt8>
    let base: Base
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int
        var sinceNewline = 0
        mutating func next() async throws -> ArraySlice<UInt8>? {
            guard let chunk = try await base.next() else { return nil }
            if let last = chunk.lastIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                sinceNewline = chunk.distance(from: last, to: chunk.endIndex) - 1
            } else {
                sinceNewline += chunk.count
            }
            if sinceNewline > limit { throw ReplyTooLarge() }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), limit: limit) }
}
