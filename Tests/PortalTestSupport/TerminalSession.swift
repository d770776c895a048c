import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A program running in a tmux pane: keys in with `send-keys`, the screen out with `capture-pane`.
/// Tests wait for what the screen shows, never for a fixed time.
///
/// Each session has a tmux server of its own (its own socket, no configuration file, a clean environment):
/// a server shared with other programs on the machine hands its panes that server's environment (a
/// `PORTTI_URL` set by whoever started it), and lives on after the test.
public final class TerminalSession: @unchecked Sendable {
    public let name = "portti-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    /// Starts `command` (a shell command line) in a new detached session of `width`x`height`.
    public init(command: String, width: Int = 80, height: Int = 24) {
        // Never a silent skip: without tmux the end-to-end tests fail and say what to install.
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") {
            Issue.record("tmux is not installed: apt-get install -y tmux (.ci/run installs it)")
        }
        tmux(capturing: false, ["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), command])
    }

    /// What the server and its panes start with; a test names anything else on the command line.
    private static let environment: [String] = {
        let inherited = ProcessInfo.processInfo.environment
        return ["PATH=" + (inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"), "HOME=" + (inherited["HOME"] ?? "/tmp"),
                "LANG=C.UTF-8", "TERM=xterm-256color"]
    }()

    /// Runs tmux with posix_spawn and waitpid: Foundation's Process did not notice the client's exit here.
    @discardableResult
    public func tmux(capturing: Bool = true, _ arguments: [String]) -> String {
        var output: [Int32] = [0, 0]
        guard pipe(&output) == 0 else { return "" }
        for descriptor in output { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if capturing {
            posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Nothing else goes with it: the server new-session starts would keep any descriptor it inherits open
        // for its whole life, and a test reading a pipe that happened to be open then would wait as long.
        SpawnActions.closeFrom(&actions, 3)
        let argv: [UnsafeMutablePointer<CChar>?] = (["tmux", "-L", name, "-f", "/dev/null"] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = Self.environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, "/usr/bin/tmux", &actions, nil, argv, envp)
        close(output[1])
        defer { close(output[0]) }
        guard spawned == 0 else { return "" }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(output[0], &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
        return String(decoding: bytes, as: UTF8.self)
    }

    public var screen: String { tmux(["capture-pane", "-p", "-t", name]) }

    /// Polls the screen until `condition` holds for it, for at most `seconds`.
    public func waitUntil(seconds: Double = 20, _ condition: (String) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if condition(screen) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Polls the screen until `text` shows, for at most `seconds`.
    public func waitFor(_ text: String, seconds: Double = 20) async -> Bool {
        await waitUntil(seconds: seconds) { $0.contains(text) }
    }

    /// Polls until `text` shows whole, wrapped over rows or not: an instruction cut at the screen's edge
    /// never does. Rows are joined with blanks, box sides and the blanks around them dropped.
    public func waitForWhole(_ text: String, seconds: Double = 20) async -> Bool {
        func words(_ text: String) -> String {
            text.split(whereSeparator: { $0.isWhitespace || $0 == "│" }).joined(separator: " ")
        }
        let wanted = words(text)
        return await waitUntil(seconds: seconds) { words($0).contains(wanted) }
    }

    public func waitUntilGone(_ text: String, seconds: Double = 20) async -> Bool {
        await waitUntil(seconds: seconds) { !$0.contains(text) }
    }

    /// Sends `keys` and waits until the screen is no longer what it was: the program took them.
    @discardableResult
    public func keysAndWait(_ keys: String..., seconds: Double = 20) async -> Bool {
        let before = screen
        tmux(["send-keys", "-t", name] + keys)
        return await waitUntil(seconds: seconds) { $0 != before }
    }

    public func keys(_ keys: String...) { tmux(["send-keys", "-t", name] + keys) }
    public func literal(_ text: String) { tmux(["send-keys", "-t", name, "-l", text]) }
    public func resize(width: Int, height: Int) {
        tmux(["resize-window", "-t", name, "-x", String(width), "-y", String(height)])
    }
    public var alternateScreen: Bool { tmux(["display-message", "-p", "-t", name, "#{alternate_on}"]).hasPrefix("1") }

    /// The program's process id: the child of the pane's shell.
    public var programID: pid_t? {
        let shell = tmux(["display-message", "-p", "-t", name, "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let children = (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").first.flatMap { pid_t($0) }
    }

    /// The server ends with its only session (kill-server left servers whose panes still ran, with tmux 3.3a);
    /// its socket goes too.
    deinit {
        tmux(["kill-session", "-t", name])
        unlink("/tmp/tmux-\(getuid())/\(name)")
    }
}
