import Foundation
import Synchronization

/// How a run ended.
public enum RunEnding: Sendable, Hashable {
    /// The program returned `Effect.quit`.
    case quit
    /// SIGINT, SIGTERM or SIGHUP arrived; the terminal has been restored. The caller decides what follows
    /// (save drafts, exit with 128 + signal).
    case signal(Int32)
}

public enum TerminalRuntimeError: Error, Sendable, Hashable {
    case notATerminal
    case wakePipeFailed(errno: Int32)
}

/// Runs a program on the terminal. One dedicated thread owns ncurses: it waits with `poll()` on standard
/// input and a wake-up pipe, reads keys, runs `update` and `view`, and flushes the grid. Effects run as
/// Swift tasks whose messages come back through a queue and the pipe, so no key read or draw ever holds a
/// thread of the cooperative pool, and no effect blocks the screen.
public enum TerminalRuntime {
    /// Runs until the program quits or a quit signal arrives; returns the final state.
    public static func run<P: Program>(
        _ program: P,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> (program: P, ending: RunEnding) {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw TerminalRuntimeError.notATerminal }
        let mailbox = try Mailbox<P.Message>()
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                var loop = TerminalLoop(program: program, mailbox: mailbox, environment: environment)
                let ending = loop.run()
                continuation.resume(returning: (loop.program, ending))
            }
            thread.name = "portti-terminal"
            thread.start()
        }
    }
}

/// Messages from effects to the terminal thread: a locked queue, and a pipe whose byte wakes `poll()`.
final class Mailbox<Message: Sendable>: Sendable {
    private let queue = Mutex<[Message]>([])
    let readDescriptor: Int32
    let writeDescriptor: Int32

    init() throws {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw TerminalRuntimeError.wakePipeFailed(errno: errno) }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
        // Never block: a full pipe already means "wake up", and the reader drains all of it.
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
    }

    func post(_ message: Message) {
        queue.withLock { $0.append(message) }
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    func take() -> [Message] {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(readDescriptor, &buffer, buffer.count) > 0 {}
        return queue.withLock { messages in
            defer { messages.removeAll() }
            return messages
        }
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }
}

/// The terminal thread's loop; it alone holds the program state and the curses backend.
struct TerminalLoop<P: Program> {
    var program: P
    let mailbox: Mailbox<P.Message>
    let environment: [String: String]
    private var parser = InputParser()
    private let tasks = RunningEffects()
    private var running = true
    private var needsDraw = true
    /// Work waiting for the terminal to be lent to it; done on this thread, between two loop turns.
    private var lendings: [@Sendable () -> P.Message?] = []

    init(program: P, mailbox: Mailbox<P.Message>, environment: [String: String]) {
        self.program = program
        self.mailbox = mailbox
        self.environment = environment
    }

    mutating func run() -> RunEnding {
        let terminal = CursesTerminal(environment: environment, wakeDescriptor: mailbox.writeDescriptor)
        defer {
            tasks.cancelAll()
            terminal.restore()
        }
        perform(program.start())
        let size = terminal.size
        perform(program.update(P.Message.input(.resize(width: size.width, height: size.height))))
        var ending = RunEnding.quit
        while running {
            while !lendings.isEmpty {
                let work = lendings.removeFirst()
                terminal.suspend()
                let message = work()
                terminal.resume()
                if let message { perform(program.update(message)) }
            }
            if needsDraw {
                let size = terminal.size
                var canvas = Canvas(width: size.width, height: size.height)
                program.view(into: &canvas)
                terminal.flush(canvas)
                needsDraw = false
                // For the start-up benchmark: the time to the first full frame, and out.
                if environment["PORTTI_EXIT_AFTER_FIRST_FRAME"] == "1" { running = false }
            }
            var descriptors = [
                pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                pollfd(fd: mailbox.readDescriptor, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, -1)
            let signal = terminal.takePendingSignal()
            if signal != 0 {
                ending = .signal(signal)
                break
            }
            if ready > 0, descriptors[1].revents != 0 {
                for message in mailbox.take() { perform(program.update(message)) }
            }
            if descriptors[0].revents & Int16(POLLHUP | POLLERR) != 0 { break }  // the terminal went away
            // Read after every wake-up, not only when stdin is readable: after SIGWINCH (which wakes the
            // pipe or interrupts poll) ncurses reports KEY_RESIZE from get_wch. Reading never blocks.
            do {
                var raw: [RawInput] = []
                for read in terminal.readAvailable() {
                    switch read {
                    case .raw(let input):
                        raw.append(input)
                    case .resize(let width, let height):
                        deliver(parser.feed(raw))
                        raw = []
                        deliver([.resize(width: width, height: height)])
                    case .mouse(let event):
                        deliver(parser.feed(raw))
                        raw = []
                        deliver([.mouse(event)])
                    }
                }
                if !raw.isEmpty { deliver(parser.feed(raw)) }
            }
        }
        return ending
    }

    private mutating func deliver(_ events: [InputEvent]) {
        for event in events where running {
            perform(program.update(P.Message.input(event)))
        }
    }

    private mutating func perform(_ effects: [Effect<P.Message>]) {
        needsDraw = true
        for effect in effects {
            switch effect.operation {
            case .quit:
                running = false
            case .run(let work):
                let mailbox = self.mailbox
                tasks.start { if let message = await work() { mailbox.post(message) } }
            case .stream(let work):
                let mailbox = self.mailbox
                tasks.start { await work { mailbox.post($0) } }
            case .lendTerminal(let work):
                lendings.append(work)
            case .send(let message):
                perform(program.update(message))
            }
        }
    }
}

/// The effects in flight, so quitting can cancel them; each forgets itself when it ends.
final class RunningEffects: Sendable {
    private let running = Mutex<(next: Int, tasks: [Int: Task<Void, Never>])>((0, [:]))

    func start(_ work: @escaping @Sendable () async -> Void) {
        running.withLock { state in
            let id = state.next
            state.next += 1
            state.tasks[id] = Task { [weak self] in
                await work()
                self?.finished(id)
            }
        }
    }

    private func finished(_ id: Int) {
        _ = running.withLock { $0.tasks.removeValue(forKey: id) }
    }

    func cancelAll() {
        let tasks = running.withLock { state in
            defer { state.tasks.removeAll() }
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
    }
}
