import Foundation

/// A wait for a condition that did not end in time.
public struct TimedOut: Error, CustomStringConvertible {
    let what: String
    public var description: String { "timed out waiting for \(what)" }
}

/// Runs `operation`, failing with `TimedOut` if it has not finished within `seconds`: a bound on a wait for
/// a condition, never a sleep that the test relies on.
public func within<T: Sendable>(
    _ seconds: Double, _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TimedOut(what: what)
        }
        guard let first = try await group.next() else { throw TimedOut(what: what) }
        group.cancelAll()
        return first
    }
}

/// Waits until `condition` holds, looking again every 50 ms, failing with `TimedOut` after `seconds`: the one
/// poll loop for conditions nothing announces (a file written by another process, a row in another's records).
public func eventually(
    _ seconds: Double, _ what: String, _ condition: @escaping @Sendable () async throws -> Bool
) async throws {
    try await within(seconds, what) {
        while try await !condition() { try await Task.sleep(for: .milliseconds(50)) }
    }
}

/// Runs blocking work (a process's start or end, a pipe read to its end) on a thread of its own: the cooperative
/// pool has as many threads as cores, two here, and every in-process portal of the run serves on them.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
