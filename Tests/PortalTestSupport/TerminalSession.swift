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
    private static let environment: [String: String] = {
        let inherited = ProcessInfo.processInfo.environment
        return ["PATH": inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", "HOME": inherited["HOME"] ?? "/tmp",
                "LANG": "C.UTF-8", "TERM": "xterm-256color"]
    }()

    /// tmux's own options: this session's server, no configuration file.
    private var client: [String] { ["-L", name, "-f", "/dev/null"] }

    /// Runs tmux to its end and answers its output. `ChildProcess` passes it no other descriptor: the server
    /// new-session starts would keep any it inherits open for its whole life, and a test reading a pipe that
    /// happened to be open then would wait as long.
    @discardableResult
    public func tmux(capturing: Bool = true, _ arguments: [String]) -> String {
        guard let child = try? ChildProcess("/usr/bin/tmux", client + arguments,
                                            environment: Self.environment, captureOutput: capturing, captureErrors: false)
        else { return "" }
        let output = child.readAll().output
        child.wait()
        return output
    }

    public var screen: String { tmux(["capture-pane", "-p", "-t", name]) }

    /// The screen, read by a tmux client waited for off the cooperative pool: the walks poll it often, and a
    /// loaded machine makes each client slow enough that polls on the pool stalled the run's in-process portals.
    private func capturedScreen() async -> String {
        (try? await ChildProcess.run("/usr/bin/tmux", client + ["capture-pane", "-p", "-t", name],
                                     environment: Self.environment))?.output ?? ""
    }

    /// Polls the screen until `condition` holds for it, for at most `seconds` (a bound for a machine loaded far
    /// beyond its cores: a program in tmux took over 15 s to draw its first screen in a loaded parallel run).
    /// When it never holds, the last screen goes to the test's output, to show what was there instead.
    public func waitUntil(seconds: Double = 45, _ condition: (String) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var shown = ""
        while ContinuousClock.now < deadline {
            shown = await capturedScreen()
            if condition(shown) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        print("tmux session \(name) still showed, after \(seconds) s:\n\(shown)")
        return false
    }

    /// Polls the screen until `text` shows, for at most `seconds`.
    public func waitFor(_ text: String, seconds: Double = 45) async -> Bool {
        await waitUntil(seconds: seconds) { $0.contains(text) }
    }

    /// Polls until `text` shows whole, wrapped over rows or not: an instruction cut at the screen's edge
    /// never does. Rows are joined with blanks, box sides and the blanks around them dropped.
    public func waitForWhole(_ text: String, seconds: Double = 45) async -> Bool {
        func words(_ text: String) -> String {
            text.split(whereSeparator: { $0.isWhitespace || $0 == "│" }).joined(separator: " ")
        }
        let wanted = words(text)
        return await waitUntil(seconds: seconds) { words($0).contains(wanted) }
    }

    public func waitUntilGone(_ text: String, seconds: Double = 45) async -> Bool {
        await waitUntil(seconds: seconds) { !$0.contains(text) }
    }

    /// Sends `keys` and waits until the screen is no longer what it was: the program took them.
    @discardableResult
    public func keysAndWait(_ keys: String..., seconds: Double = 45) async -> Bool {
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
