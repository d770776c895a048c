import Foundation
import Glibc
import Testing

/// The real binary in tmux: the runtime, ncurses, UTF-8 input, resize and every way of quitting.
/// Waits for text on screen, never for a fixed time.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")), .serialized)
struct EndToEndTests {
    final class Session {
        let name = "portti-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let folder: String

        init() throws {
            var template = Array("/tmp/portti-e2e-XXXXXX".utf8CString)
            guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
            folder = String(cString: created)
            try Data("%PDF-1.7\n".utf8).write(to: URL(fileURLWithPath: folder + "/hakemus.pdf"))
            try Data("text".utf8).write(to: URL(fileURLWithPath: folder + "/väärä.pdf"))
            let binary = Self.demoBinary()
            tmux(capturing: false, ["new-session", "-d", "-s", name, "-x", "80", "-y", "24",
                  "env LANG=sv_FI.UTF-8 TERM=xterm-256color NO_COLOR=1 '\(binary)' '\(folder)'; echo EXIT=$?; sleep 120"])
        }

        static func demoBinary() -> String {
            let testBinary = URL(fileURLWithPath: CommandLine.arguments[0])
            var directory = testBinary.deletingLastPathComponent()
            if directory.lastPathComponent == "MacOS" || directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
            return directory.appendingPathComponent("portti-tui-demo").path
        }

        /// Runs tmux with posix_spawn and waitpid: Foundation's Process did not notice the client's exit here.
        @discardableResult
        func tmux(capturing: Bool = true, _ arguments: [String]) -> String {
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
            let argv = (["tmux"] + arguments).map { strdup($0) } + [nil]
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

        var screen: String { tmux(["capture-pane", "-p", "-t", name]) }

        /// Polls the screen until `text` shows, for at most 15 s.
        func waitFor(_ text: String) async -> Bool {
            for _ in 0..<300 {
                if screen.contains(text) { return true }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return false
        }

        func waitUntilGone(_ text: String) async -> Bool {
            for _ in 0..<300 {
                if !screen.contains(text) { return true }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return false
        }

        func keys(_ keys: String...) { tmux(["send-keys", "-t", name] + keys) }
        func literal(_ text: String) { tmux(["send-keys", "-t", name, "-l", text]) }
        var alternateScreen: Bool { tmux(["display-message", "-p", "-t", name, "#{alternate_on}"]).hasPrefix("1") }

        /// The demo's process id: the child of the pane's shell.
        var programID: pid_t? {
            let shell = tmux(["display-message", "-p", "-t", name, "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
            let children = (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)) ?? ""
            return children.split(separator: " ").first.flatMap { pid_t($0) }
        }

        deinit {
            tmux(["kill-session", "-t", name])
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    @Test func picker_inTheTerminal_resizeTypingAndCtrlC() async throws {
        let session = try Session()
        #expect(await session.waitFor("Välj bilagor"))  // sv_FI is not installed: C.UTF-8 keeps letters whole
        #expect(await session.waitFor("! Fel typ"))
        #expect(session.alternateScreen)
        session.keys("Down")
        #expect(await session.waitFor("› [ ] ! väärä.pdf"))
        session.tmux(["resize-window", "-t", session.name, "-x", "60", "-y", "20"])
        #expect(await session.waitFor("Terminalen är för liten"))
        session.tmux(["resize-window", "-t", session.name, "-x", "80", "-y", "24"])
        #expect(await session.waitFor("› [ ] ! väärä.pdf"))  // the focus survived the resize
        session.keys("?")
        #expect(await session.waitFor("Esc eller ? stänger hjälpen."))
        session.keys("Escape")
        // Esc and "/" in one read would be Alt-/, as from a terminal: let the Esc land first.
        #expect(await session.waitUntilGone("Esc eller ? stänger hjälpen."))
        session.keys("/")
        session.literal("väär")
        #expect(await session.waitFor("Filter: väär"))
        #expect(await session.waitFor("0 valda · 1 av 2 visas"))
        session.keys("C-c")
        #expect(await session.waitFor("ended by signal 2"))
        #expect(await session.waitFor("EXIT=130"))
        #expect(!session.alternateScreen)  // the terminal is restored
    }

    @Test func sigterm_andCrash_restoreTheTerminal() async throws {
        let session = try Session()
        #expect(await session.waitFor("Välj bilagor"))
        let program = try #require(session.programID)
        kill(program, SIGTERM)
        #expect(await session.waitFor("EXIT=143"))
        #expect(!session.alternateScreen)

        let crashing = try Session()
        #expect(await crashing.waitFor("Välj bilagor"))
        let crashingProgram = try #require(crashing.programID)
        kill(crashingProgram, SIGSEGV)
        #expect(await crashing.waitFor("EXIT=139"))  // re-raised after restoring
        #expect(!crashing.alternateScreen)
    }

    @Test func mouse_clickFocusesARow_andTheWheelScrolls() async throws {
        let session = try Session()
        #expect(await session.waitFor("! Fel typ"))
        session.literal("\u{1B}[<0;10;5M")  // SGR 1006 press on the second file row (1-based row 5)
        session.literal("\u{1B}[<0;10;5m")
        #expect(await session.waitFor("› [ ] ! väärä.pdf"))
        session.literal("\u{1B}[<64;10;5M")  // wheel up
        #expect(await session.waitFor("› [ ]   hakemus.pdf"))
    }

    @Test func picking_printsTheChosenFile() async throws {
        let session = try Session()
        #expect(await session.waitFor("hakemus.pdf"))
        #expect(await session.waitFor("PDF"))
        session.keys("Enter")
        #expect(await session.waitFor("picked hakemus.pdf application/pdf"))
        #expect(await session.waitFor("EXIT=0"))
    }
}
