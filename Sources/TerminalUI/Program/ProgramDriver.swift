/// The test backend: runs a program like the terminal runtime does, without a terminal. Input events
/// and messages go through `update`; effects are awaited and their messages fed back; `screen` is the
/// grid the curses backend would flush, as plain text.
public struct ProgramDriver<P: Program>: Sendable {
    public private(set) var program: P
    public private(set) var size: (width: Int, height: Int)
    public private(set) var didQuit = false
    private var queue: [Effect<P.Message>] = []

    public init(_ program: P, width: Int = 80, height: Int = 24) {
        self.program = program
        self.size = (width, height)
        queue = self.program.start()
        queue += self.program.update(P.Message.input(.resize(width: width, height: height)))
    }

    /// Delivers an input event; its effects run on the next `settle`.
    public mutating func send(_ event: InputEvent) {
        if case .resize(let width, let height) = event { size = (width, height) }
        queue += program.update(P.Message.input(event))
    }

    public mutating func press(_ keys: Key...) {
        for key in keys { send(.key(key)) }
    }

    /// Types each character as a key press.
    public mutating func type(_ text: String) {
        for character in text { send(.key(.character(character))) }
    }

    public mutating func send(message: P.Message) {
        queue += program.update(message)
    }

    /// Performs queued effects, and the effects their messages cause, until none are left.
    public mutating func settle() async {
        while !queue.isEmpty {
            let effect = queue.removeFirst()
            switch effect.operation {
            case .quit:
                didQuit = true
            case .lendTerminal(let work):
                // No terminal to lend in tests: the work runs as it would between suspend and resume.
                if let message = work() { queue += program.update(message) }
            case .run(let work):
                if let message = await work() { queue += program.update(message) }
            case .stream(let work):
                let collected = MessageCollector<P.Message>()
                await work { collected.append($0) }
                for message in collected.drain() { queue += program.update(message) }
            }
        }
    }

    /// Effects returned and not yet performed.
    public var pendingEffects: Int { queue.count }

    /// The screen as the terminal would show it.
    public var canvas: Canvas {
        var canvas = Canvas(width: size.width, height: size.height)
        program.view(into: &canvas)
        return canvas
    }

    public var screen: String { canvas.text }
}

import Synchronization

/// Messages posted from any thread, taken in order by the one that owns the program.
final class MessageCollector<Message: Sendable>: Sendable {
    private let messages = Mutex<[Message]>([])

    func append(_ message: Message) { messages.withLock { $0.append(message) } }

    func drain() -> [Message] { messages.withLock { taken in defer { taken.removeAll() }; return taken } }
}
