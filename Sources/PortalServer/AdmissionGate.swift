import PorttiModel

/// Lets at most `limit` pieces of work run at once, and at most `perKeyLimit` of one key (one applicant's);
/// the rest wait their turn, first come, first served among those whose key has room.
/// Uploads go through one: a waiting upload's bytes stay in the kernel's socket buffers (the request body is
/// not read), so 200 uploads at once cost the portal the memory of `limit`, and none is refused; and one
/// applicant starting many uploads holds only `perKeyLimit` of the places, so others' uploads still go on.
///
/// Waiting is bounded too: each waiting upload holds a connection (a file descriptor), so one applicant may
/// have at most `waitingPerKeyLimit` waiting and all of them together `waitingLimit`; beyond, `run` throws
/// `tooManyUploads` at once, before a byte is read, and the client tries again later with the same key.
actor AdmissionGate {
    private let limit: Int
    private let perKeyLimit: Int
    private let waitingLimit: Int
    private let waitingPerKeyLimit: Int
    private var running = 0
    private var runningByKey: [String: Int] = [:]
    private var waiting: [(key: String, turn: CheckedContinuation<Void, Never>)] = []

    init(limit: Int, perKeyLimit: Int? = nil, waitingLimit: Int = .max, waitingPerKeyLimit: Int = .max) {
        self.limit = max(limit, 1)
        self.perKeyLimit = max(perKeyLimit ?? limit, 1)
        self.waitingLimit = max(waitingLimit, 0)
        self.waitingPerKeyLimit = max(waitingPerKeyLimit, 0)
    }

    func run<T: Sendable>(for key: String = "", _ work: @Sendable () async throws -> T) async throws -> T {
        try await enter(key)
        defer { leave(key) }
        return try await work()
    }

    /// How many are running and how many wait, for tests.
    var load: (running: Int, waiting: Int) { (running, waiting.count) }

    private func hasRoom(for key: String) -> Bool {
        running < limit && runningByKey[key, default: 0] < perKeyLimit
    }

    private func enter(_ key: String) async throws {
        if hasRoom(for: key) {
            take(key)
            return
        }
        guard waiting.count < waitingLimit, waiting.count(where: { $0.key == key }) < waitingPerKeyLimit else {
            throw PortalError(.tooManyUploads, retryAfterSeconds: 5)
        }
        await withCheckedContinuation { waiting.append((key, $0)) }
    }

    private func take(_ key: String) {
        running += 1
        runningByKey[key, default: 0] += 1
    }

    private func leave(_ key: String) {
        running -= 1
        runningByKey[key, default: 1] -= 1
        if runningByKey[key] == 0 { runningByKey[key] = nil }
        // The place goes to the first in line whose key has room (one at most: one place was freed).
        guard let index = waiting.firstIndex(where: { hasRoom(for: $0.key) }) else { return }
        let next = waiting.remove(at: index)
        take(next.key)
        next.turn.resume()
    }
}
