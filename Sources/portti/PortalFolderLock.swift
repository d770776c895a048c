import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A lock on a portal's data folder (`portal.lock` in it, flock(2)): every `portti serve` on the folder's
/// SQLite portal holds it shared for as long as it runs, and `officer migrate-to` takes it exclusively, so a
/// portal is never moved while it still takes in messages that the move would leave behind. The system lets
/// go of it when the process ends, however it ends.
enum PortalFolderLock {
    /// Holds the lock shared until the process ends. Answers false when the folder's lock cannot be made.
    @discardableResult
    static func holdWhileServing(_ folder: URL) -> Bool {
        guard let descriptor = open(folder) else { return false }
        // Kept open (and so held) for the life of the process.
        return flock(descriptor, LOCK_SH | LOCK_NB) == 0
    }

    /// Whether no portal serves the folder now; when so, it stays so while this process runs.
    static func takeForMoving(_ folder: URL) -> Bool {
        guard let descriptor = open(folder) else { return true }
        return flock(descriptor, LOCK_EX | LOCK_NB) == 0
    }

    private static func open(_ folder: URL) -> Int32? {
        let descriptor = Glibc.open(folder.appending(path: "portal.lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        return descriptor >= 0 ? descriptor : nil
    }
}
