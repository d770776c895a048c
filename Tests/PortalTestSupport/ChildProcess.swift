import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program started with posix_spawn, for the tests. Foundation's `Process.run()` on Linux (Swift 6.3.1) reads
/// each entry of /proc/self/fd 256 bytes at a time and crashes now and then when one sits at the end of a
/// page (swift-corelibs-foundation#5472); the more descriptors a parallel test run holds, the more often.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    /// The program's standard output and error, for reading, when they were asked for.
    public let output: Int32?
    public let errors: Int32?
    private let status = NSLock()
    private var exitStatus: Int32?

    public enum Failure: Error { case cannotStart(errno: Int32) }

    /// Starts `executable`; its standard input is `input` (then closed), else `inputDescriptor` (left open here),
    /// else nothing. Its output and errors go to pipes to read when asked for, else appended to the file `log`
    /// (both), else nowhere. No other descriptor of this process goes with it.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        folder: String? = nil, input: [UInt8]? = nil, inputDescriptor: Int32? = nil,
        captureOutput: Bool = true, captureErrors: Bool = true, log: String? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var opened: [Int32] = []
        defer { for descriptor in opened { close(descriptor) } }
        func pipePair() throws -> (read: Int32, write: Int32) {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw Failure.cannotStart(errno: errno) }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            return (ends[0], ends[1])
        }
        var stdinWrite: Int32?
        if input != nil {
            let ends = try pipePair()
            posix_spawn_file_actions_adddup2(&actions, ends.read, 0)
            opened.append(ends.read)
            stdinWrite = ends.write
        } else if let inputDescriptor {
            posix_spawn_file_actions_adddup2(&actions, inputDescriptor, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        var reads: [Int32: Int32] = [:]
        for (target, captured) in [(Int32(1), captureOutput), (2, captureErrors)] {
            if captured {
                let ends = try pipePair()
                posix_spawn_file_actions_adddup2(&actions, ends.write, target)
                opened.append(ends.write)
                reads[target] = ends.read
            } else if let log {
                posix_spawn_file_actions_addopen(&actions, target, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
            }
        }
        if let folder { SpawnActions.changeFolder(&actions, folder) }
        SpawnActions.closeFrom(&actions, 3)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // The test process blocks and ignores signals (SIGTERM, SIGPIPE) for its own threads; a child inherits
        // both, and nginx, told to stop with SIGTERM, would run on after the test. It starts with none of them.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            for descriptor in Array(reads.values) + [stdinWrite].compactMap({ $0 }) { close(descriptor) }
            throw Failure.cannotStart(errno: spawned)
        }
        pid = child
        output = reads[1]
        errors = reads[2]
        if let stdinWrite, let input {
            input.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(stdinWrite, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { break }
                    offset += written
                }
            }
            close(stdinWrite)
        }
    }

    /// Reads standard output and errors to their ends, together (neither can fill and stop the program).
    public func readAll() -> (output: String, errors: String) {
        var buffers: [Int32: [UInt8]] = [:]
        var open = [output, errors].compactMap { $0 }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !open.isEmpty {
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&descriptors, nfds_t(descriptors.count), -1) >= 0 || errno == EINTR else { break }
            for descriptor in descriptors where descriptor.revents != 0 {
                let count = read(descriptor.fd, &chunk, chunk.count)
                if count > 0 {
                    buffers[descriptor.fd, default: []] += chunk[0..<count]
                } else if count == 0 || errno != EINTR {
                    open.removeAll { $0 == descriptor.fd }
                    close(descriptor.fd)
                }
            }
        }
        func text(_ descriptor: Int32?) -> String { descriptor.map { String(decoding: buffers[$0] ?? [], as: UTF8.self) } ?? "" }
        return (text(output), text(errors))
    }

    /// Waits for the program to end: its exit status, or 128 + the signal that ended it.
    @discardableResult
    public func wait() -> Int32 {
        status.lock()
        defer { status.unlock() }
        if let exitStatus { return exitStatus }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        let ended = Self.ended(raw)
        exitStatus = ended
        return ended
    }

    /// Whether the program still runs (it is reaped here when it has ended; `wait()` then answers at once).
    public var isRunning: Bool {
        status.lock()
        defer { status.unlock() }
        guard exitStatus == nil else { return false }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return true }
        exitStatus = Self.ended(raw)
        return false
    }

    /// Asks the program to stop (SIGTERM) and reaps it on a thread of its own, so nothing here waits for it.
    public func terminate() {
        kill(pid, SIGTERM)
        Thread.detachNewThread { self.wait() }
    }

    private static func ended(_ raw: Int32) -> Int32 { raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F) }

    /// Reads to the end and waits, on a thread of its own (never one of the cooperative pool's few).
    public func finish() async -> (status: Int32, output: String, errors: String) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let (output, errors) = self.readAll()
                continuation.resume(returning: (self.wait(), output, errors))
            }
        }
    }

    /// Runs a program to its end: its exit status, output and errors. It blocks: call it off the cooperative pool.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        folder: String? = nil, input: [UInt8]? = nil
    ) throws -> (status: Int32, output: String, errors: String) {
        let child = try ChildProcess(executable, arguments, environment: environment, folder: folder, input: input)
        let (output, errors) = child.readAll()
        return (child.wait(), output, errors)
    }

    /// The same, waited for off the cooperative pool.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        folder: String? = nil, input: [UInt8]? = nil
    ) async throws -> (status: Int32, output: String, errors: String) {
        try await ChildProcess(executable, arguments, environment: environment, folder: folder, input: input).finish()
    }
}

/// Free loopback ports below the kernel's ephemeral range (32768 on): a portal restarted on the port it had
/// must find it free, and a port the kernel chose for port 0 could meanwhile go to another test's portal.
public enum LoopbackPort {
    public static func free() -> Int {
        for _ in 0..<500 {
            let port = Int.random(in: 20_000..<32_000)
            if isFree(port) { return port }
        }
        return 0
    }

    static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// What posix_spawn can be told in glibc that Swift's Glibc module does not show (glibc 2.29 and 2.34).
enum SpawnActions {
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChangeFolder = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    private static let addCloseFrom = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }
    private static let addChangeFolder = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChangeFolder.self) }

    /// The child gets no descriptor from `first` on: a long-lived child (a tmux server) would otherwise keep
    /// open a pipe another test is reading at that moment, and that test would wait for it to end.
    static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ first: Int32) {
        if let addCloseFrom {
            _ = addCloseFrom(&actions, first)
            return
        }
        // An older glibc: every descriptor up to well past the highest open now (closing a free one is no error).
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for descriptor in first..<((open.max() ?? 1024) + 256) { posix_spawn_file_actions_addclose(&actions, descriptor) }
    }

    static func changeFolder(_ actions: inout posix_spawn_file_actions_t, _ folder: String) {
        _ = addChangeFolder.map { $0(&actions, folder) }
    }
}
