import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A program running in a tmux pane: keys in with `send-keys`, the screen out with `capture-pane`.
/// Tests wait for what the screen shows, never for a fixed time.
public final class TerminalSession: @unchecked Sendable {
    public let name = "portti-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    /// Starts `command` (a shell command line) in a new detached session of `width`x`height`.
    /// The tests' own tmux server, without the user's configuration: a server the user (or another test run)
    /// started keeps the environment it started with, and a PORTTI_URL there sent the app to another portal.
    static let socket = "portti-tests"

    public init(command: String, width: Int = 80, height: Int = 24) {
        // What the environment may say about a portal is the test's to set, after this.
        let command = "unset PORTTI_URL PORTTI_LANG PORTTI_CA_FILE; " + command
        // Never a silent skip: without tmux the end-to-end tests fail and say what to install.
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") {
            Issue.record("tmux is not installed: apt-get install -y tmux (.ci/run installs it)")
        }
        tmux(capturing: false, ["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), command])
    }

    /// Runs tmux with posix_spawn and waitpid: Foundation's Process did not notice the client's exit here.
    @discardableResult
    public func tmux(capturing: Bool = true, _ arguments: [String]) -> String {
        var output: [Int32] = [0, 0]
        guard pipe(&output) == 0 else { return "" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // The server new-session starts keeps any inherited pipe open: give it none, or reading never ends.
        if capturing {
            posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, output[0])
        posix_spawn_file_actions_addclose(&actions, output[1])
        let argv: [UnsafeMutablePointer<CChar>?] = (["tmux", "-L", Self.socket, "-f", "/dev/null"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, "/usr/bin/tmux", &actions, nil, argv, environ)
        close(output[1])
        defer { close(output[0]) }
        guard spawned == 0 else { return "" }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(output[0], &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        var status: Int32 = 0
        waitpid(child, &status, 0)
        return String(decoding: bytes, as: UTF8.self)
    }

    public var screen: String { tmux(["capture-pane", "-p", "-t", name]) }

    /// Polls the screen until `text` shows, for at most `seconds`.
    public func waitFor(_ text: String, seconds: Double = 20) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if screen.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    public func waitUntilGone(_ text: String, seconds: Double = 20) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if !screen.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
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

    deinit { tmux(["kill-session", "-t", name]) }
}
