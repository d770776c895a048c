import Dispatch

/// Runs blocking system calls (reading a folder, the first bytes of files) on a Dispatch thread, so they
/// never hold one of the few threads of Swift's cooperative pool that the rest of the app shares.
public enum BlockingWork {
    public static func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
