import Foundation
import Logging
import PortalStore
import ServiceLifecycle

/// Knows the newest notification sequence in the store, so that each open stream queries the store only
/// when something new exists. A store that tells of its changes (PostgreSQL: what any portal or the officer's
/// CLI writes) wakes it; otherwise one poll serves all streams and sees what the officer's CLI writes from
/// another process. A write in this process calls `poke()` to be heard at once.
actor NotificationFeed: Service {
    private let store: any PortalStore
    private let interval: Duration
    private let logger: Logger
    private(set) var latest: Int64 = 0
    private(set) var isClosed = false
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    /// Each applicant's open streams, oldest first, by the task that writes each.
    private var streams: [String: [(id: UUID, producer: Task<Void, Never>)]] = [:]

    init(store: any PortalStore, interval: Duration, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.poke()
            if let changes = self.store.changes() {
                // Told by the store as things happen, on any portal: nothing is polled.
                for await change in changes {
                    switch change {
                    case .notification: await self.poke()
                    case .sessionEnded: await self.sessionEnded()
                    }
                }
            } else {
                while !Task.isCancelled {
                    await self.poke()
                    try? await Task.sleep(for: self.interval)
                }
            }
        }
        close()
    }

    /// Reads the newest sequence and wakes the streams waiting for a newer one.
    func poke() async {
        do {
            let newest = try await store.latestNotificationSequence()
            if newest > latest {
                latest = newest
                wakeAll()
            }
        } catch is CancellationError {
            // The portal is stopping.
        } catch {
            logger.warning("notification poll failed: \(error)")
        }
    }

    /// Records a stream of `applicant`'s; beyond `limit` open ones their oldest ends, so that one applicant's
    /// streams cannot hold connections without bound.
    func opened(_ id: UUID, applicant: String, producer: Task<Void, Never>, limit: Int) {
        var open = streams[applicant, default: []]
        open.append((id, producer))
        while open.count > max(limit, 1) { open.removeFirst().producer.cancel() }
        streams[applicant] = open
    }

    func closed(_ id: UUID, applicant: String) {
        streams[applicant]?.removeAll { $0.id == id }
        if streams[applicant]?.isEmpty == true { streams[applicant] = nil }
    }

    /// Wakes every stream to look at its session again: one was signed out.
    func sessionEnded() { wakeAll() }

    /// Returns once a sequence above `seen` exists, the feed closes, or `timeout` passes.
    func wait(above seen: Int64, timeout: Duration) async {
        if latest > seen || isClosed { return }
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.wake(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in waiters[id] = continuation }
        } onCancel: {
            Task { await self.wake(id) }
        }
        timer.cancel()
    }

    private func wake(_ id: UUID) { waiters.removeValue(forKey: id)?.resume() }

    private func wakeAll() {
        let all = waiters
        waiters = [:]
        for continuation in all.values { continuation.resume() }
    }

    /// Ends every open stream: the server's graceful shutdown waits for open responses to finish.
    func close() {
        isClosed = true
        wakeAll()
    }
}
