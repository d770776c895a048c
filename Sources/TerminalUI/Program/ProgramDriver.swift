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
        absorb(self.program.start())
        absorb(self.program.update(P.Message.input(.resize(width: width, height: height))))
    }

    /// Delivers an input event; its effects run on the next `settle` (a `send` at once, as the runtime does).
    public mutating func send(_ event: InputEvent) {
        if case .resize(let width, let height) = event { size = (width, height) }
        absorb(program.update(P.Message.input(event)))
    }

    private mutating func absorb(_ effects: [Effect<P.Message>]) {
        for effect in effects {
            if let message = effect.message { absorb(program.update(message)) } else { queue.append(effect) }
        }
    }

    public mutating func press(_ keys: Key...) {
        for key in keys { send(.key(key)) }
    }

    /// Types each character as a key press.
    public mutating func type(_ text: String) {
        for character in text { send(.key(.character(character))) }
    }

    public mutating func send(message: P.Message) {
        absorb(program.update(message))
    }

    /// Performs queued effects, and the effects their messages cause, until none are left.
    public mutating func settle() async {
        while !queue.isEmpty {
            let effect = queue.removeFirst()
            switch effect.operation {
            case .quit:
                didQuit = true
            case .send(let message):
                absorb(program.update(message))
            case .lendTerminal, .run, .stream:
                // No terminal to lend in tests: lent work runs as it would between suspend and resume.
                for message in await effect.perform() { absorb(program.update(message)) }
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
