import PorttiModel
import Synchronization

/// An upload must keep coming: after `grace`, at least `minimumBytesPerSecond` on average and never `grace`
/// without a byte, or it is stopped and refused. A sender trickling bytes, or stopping half-way, would
/// otherwise hold one of the few places for uploads under way, and everyone else's uploads would wait.
struct UploadPace: Sendable {
    var minimumBytesPerSecond: Int64
    var grace: Duration
    var checkEvery: Duration = .seconds(1)

    /// The bytes of the body read so far, and whether it has ended; counted as it is read, watched by the pace.
    final class Received: Sendable {
        private let bytes = Atomic<Int64>(0)
        private let ended = Atomic<Bool>(false)
        var count: Int64 { bytes.load(ordering: .relaxed) }
        var hasEnded: Bool { ended.load(ordering: .relaxed) }

        /// `body`, counted.
        func counting<Body: AsyncSequence>(_ body: Body) -> Counted<Body> { Counted(base: body, received: self) }

        fileprivate func add(_ count: Int) { bytes.add(Int64(count), ordering: .relaxed) }
        fileprivate func end() { ended.store(true, ordering: .relaxed) }
    }

    struct Counted<Base: AsyncSequence>: AsyncSequence where Base.Element == ArraySlice<UInt8> {
        let base: Base
        let received: Received

        struct AsyncIterator: AsyncIteratorProtocol {
            var base: Base.AsyncIterator
            let received: Received

            mutating func next() async throws -> ArraySlice<UInt8>? {
                guard let chunk = try await base.next() else {
                    received.end()
                    return nil
                }
                received.add(chunk.count)
                return chunk
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), received: received) }
    }

    /// Runs `work`, which reads the body through `Received.counting`, and cancels it, answering
    /// `upload_too_slow`, once the body falls behind. Once the body has ended the pace no longer counts: storing
    /// it is the portal's own time.
    func run<T: Sendable>(_ work: @escaping @Sendable (Received) async throws -> T) async throws -> T {
        let received = Received()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work(received) }
            group.addTask {
                let start = ContinuousClock.now
                var lastCount: Int64 = 0
                var lastByte = start
                while true {
                    try await Task.sleep(for: checkEvery)
                    if received.hasEnded { return nil }
                    let now = ContinuousClock.now
                    let count = received.count
                    if count > lastCount { (lastCount, lastByte) = (count, now) }
                    let elapsed = start.duration(to: now)
                    guard elapsed >= grace else { continue }
                    if lastByte.duration(to: now) >= grace || Double(count) < Double(minimumBytesPerSecond) * (elapsed / .seconds(1)) {
                        throw PortalError(.uploadTooSlow)
                    }
                }
            }
            // The upload's result, or the watch's refusal (which cancels the upload); the watch ending quietly
            // (the body is all in) decides nothing.
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let value = result { return value }
            }
            throw CancellationError()
        }
    }
}
