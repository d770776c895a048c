import Foundation
import Glibc
import PortalTestSupport
import Testing

/// The real binary in tmux: the runtime, ncurses, UTF-8 input, resize and every way of quitting.
/// Waits for text on screen, never for a fixed time.
@Suite(.serialized)
struct EndToEndTests {
    /// The toolkit's demo (the file picker) in tmux, on a folder of its own.
    final class Session {
        let terminal: TerminalSession
        let folder: String

        init() throws {
            var template = Array("/tmp/portti-e2e-XXXXXX".utf8CString)
            guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
            folder = String(cString: created)
            try Data("%PDF-1.7\n".utf8).write(to: URL(fileURLWithPath: folder + "/hakemus.pdf"))
            try Data("text".utf8).write(to: URL(fileURLWithPath: folder + "/väärä.pdf"))
            let binary = Self.demoBinary()
            terminal = TerminalSession(
                command: "env LANG=sv_FI.UTF-8 TERM=xterm-256color NO_COLOR=1 '\(binary)' '\(folder)'; echo EXIT=$?; sleep 120")
        }

        static func demoBinary() -> String {
            let testBinary = URL(fileURLWithPath: CommandLine.arguments[0])
            var directory = testBinary.deletingLastPathComponent()
            if directory.lastPathComponent == "MacOS" || directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
            return directory.appendingPathComponent("portti-tui-demo").path
        }

        var name: String { terminal.name }
        var screen: String { terminal.screen }
        func waitFor(_ text: String) async -> Bool { await terminal.waitFor(text) }
        func waitUntilGone(_ text: String) async -> Bool { await terminal.waitUntilGone(text) }
        func keys(_ keys: String...) { terminal.tmux(["send-keys", "-t", name] + keys) }
        func literal(_ text: String) { terminal.literal(text) }
        @discardableResult func tmux(_ arguments: [String]) -> String { terminal.tmux(arguments) }
        var alternateScreen: Bool { terminal.alternateScreen }
        var programID: pid_t? { terminal.programID }

        deinit { try? FileManager.default.removeItem(atPath: folder) }
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
        #expect(await session.waitFor("Esc, F1 eller ? stänger hjälpen."))
        session.keys("Escape")
        // Esc and "/" in one read would be Alt-/, as from a terminal: let the Esc land first.
        #expect(await session.waitUntilGone("Esc, F1 eller ? stänger hjälpen."))
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
        #expect(await session.waitFor("picked hakemus.pdf pdf"))
        #expect(await session.waitFor("EXIT=0"))
    }
}
