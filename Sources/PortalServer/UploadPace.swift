import PorttiModel
import Synchronization

/// An upload must keep coming: after `grace`, at least `minimumBytesPerSecond` on average, or it is stopped
/// and refused. A sender trickling bytes would otherwise hold one of the few places for uploads under way
/// for as long as it liked, and everyone else's uploads would wait behind it.
struct UploadPace: Sendable {
    var minimumBytesPerSecond: Int64
    var grace: Duration
    var checkEvery: Duration = .seconds(1)

    /// The bytes received so far, counted by the body as it is read and looked at by the watch.
    final class Received: Sendable {
        private let bytes = Atomic<Int64>(0)
        func add(_ count: Int) { bytes.add(Int64(count), ordering: .relaxed) }
        var count: Int64 { bytes.load(ordering: .relaxed) }
    }

    /// Runs `work` (which reports what it reads to the `Received` it is given) and cancels it, answering
    /// `upload_too_slow`, once it falls behind the pace.
    func run<T: Sendable>(_ work: @escaping @Sendable (Received) async throws -> T) async throws -> T {
        let received = Received()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work(received) }
            group.addTask {
                let start = ContinuousClock.now
                while true {
                    try await Task.sleep(for: checkEvery)
                    let elapsed = start.duration(to: .now)
                    guard elapsed >= grace else { continue }
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    if Double(received.count) < Double(minimumBytesPerSecond) * seconds {
                        throw PortalError(.uploadTooSlow)
                    }
                }
            }
            // Whichever ends first decides: the upload's result, or the watch's refusal (which cancels it).
            defer { group.cancelAll() }
            guard let result = try await group.next(), let value = result else { throw CancellationError() }
            return value
        }
    }
}
