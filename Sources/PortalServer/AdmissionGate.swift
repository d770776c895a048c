/// Lets at most `limit` pieces of work run at once; the rest wait their turn, first come, first served.
/// Uploads go through one: a waiting upload's bytes stay in the kernel's socket buffers (the request body is
/// not read), so 200 uploads at once cost the portal the memory of `limit`, and none is refused.
actor AdmissionGate {
    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var next = 0

    init(limit: Int) { self.limit = max(limit, 1) }

    func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        await enter()
        defer { leave() }
        return try await work()
    }

    /// How many are running and how many wait, for tests.
    var load: (running: Int, waiting: Int) { (running, waiting.count - next) }

    private func enter() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func leave() {
        guard next < waiting.count else {
            running -= 1
            return
        }
        // The place passes straight to the first in line.
        let first = waiting[next]
        next += 1
        if next == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            next = 0
        } else if next >= 1024 {
            // Under a queue that never empties, drop the served part now and then.
            waiting.removeFirst(next)
            next = 0
        }
        first.resume()
    }
}
