import Foundation
import Logging
import PortalStore
import ServiceLifecycle

/// Removes what has ended from the store while the portal runs: sessions ended more than `grace` ago and
/// failed sign-ins whose wait is over (older than `signInMemory`), at start and every `interval`. A failure
/// is logged and tried again at the next round.
struct Housekeeping: Service {
    let store: any PortalStore
    let grace: TimeInterval
    let signInMemory: TimeInterval
    let interval: Duration
    let clock: @Sendable () -> Date
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweepSessions()
                try? await Task.sleep(for: interval)
            }
        }
    }

    func sweepSessions() async {
        do {
            let removed = try await store.removeSessions(expiredBefore: clock() - grace)
            if removed > 0 { logger.info("removed \(removed) ended sessions") }
            try await store.removeSignInFailures(before: clock() - signInMemory)
        } catch is CancellationError {
            // The portal is stopping: nothing failed.
        } catch {
            logger.error("removing ended sessions failed: \(error)")
        }
    }
}
