import PorttiLocalization

/// A side effect as a value: `update` returns it, the runtime performs it off the terminal thread, and
/// what it yields comes back to `update` as messages.
public struct Effect<Message: Sendable>: Sendable {
    enum Operation: Sendable {
        /// Async work that ends in at most one message.
        case run(@Sendable () async -> Message?)
        /// Async work that posts any number of messages (a folder listed in batches).
        case stream(@Sendable (_ post: @escaping @Sendable (Message) -> Void) async -> Void)
        /// Ends the program; the runtime restores the terminal.
        case quit
        /// Blocking work that needs the terminal for itself (an external editor): the runtime lends the
        /// terminal, runs it on the terminal thread, takes the terminal back and redraws.
        case lendTerminal(@Sendable () -> Message?)
        /// A message handled at once, before any other input or effect: what a child asks of its parent
        /// (open a screen), so the next key already reaches what was opened.
        case send(Message)
    }

    let operation: Operation
    /// What the effect does, in a word, for tests and logs ("send", "load"); empty when not named.
    public let name: String

    init(operation: Operation, name: String = "") {
        self.operation = operation
        self.name = name
    }

    public static func run(_ name: String = "", _ work: @escaping @Sendable () async -> Message?) -> Effect {
        Effect(operation: .run(work), name: name)
    }

    public static func stream(
        _ name: String = "", _ work: @escaping @Sendable (_ post: @escaping @Sendable (Message) -> Void) async -> Void
    ) -> Effect {
        Effect(operation: .stream(work), name: name)
    }

    public static var quit: Effect { Effect(operation: .quit, name: "quit") }

    /// Runs `work` with the terminal lent to it (curses suspended, the screen as the shell left it), then
    /// takes the terminal back; `work`'s message comes back like any other.
    public static func lendTerminal(_ name: String = "", _ work: @escaping @Sendable () -> Message?) -> Effect {
        Effect(operation: .lendTerminal(work), name: name)
    }

    /// `message`, handled by the program at once (before the next key), not by a task.
    public static func send(_ message: Message) -> Effect {
        Effect(operation: .send(message), name: "send")
    }

    public var isQuit: Bool {
        if case .quit = operation { return true }
        return false
    }

    /// The message of a `send`, for a parent that handles its children's requests itself.
    public var message: Message? {
        if case .send(let message) = operation { return message }
        return nil
    }

    /// The same effect speaking a parent's message type, so screens compose.
    public func map<Parent: Sendable>(_ transform: @escaping @Sendable (Message) -> Parent) -> Effect<Parent> {
        switch operation {
        case .run(let work):
            return .run(name) { await work().map(transform) }
        case .stream(let work):
            return .stream(name) { post in await work { post(transform($0)) } }
        case .quit:
            return .quit
        case .lendTerminal(let work):
            return .lendTerminal(name) { work().map(transform) }
        case .send(let message):
            return .send(transform(message))
        }
    }

    /// Performs the effect to its end, as the runtime would, and answers the messages it yields in order:
    /// for testing an effect against a test environment without a terminal.
    public func perform() async -> [Message] {
        switch operation {
        case .run(let work):
            return await work().map { [$0] } ?? []
        case .stream(let work):
            let collected = MessageCollector<Message>()
            await work { collected.append($0) }
            return collected.drain()
        case .quit:
            return []
        case .lendTerminal(let work):
            return work().map { [$0] } ?? []
        case .send(let message):
            return [message]
        }
    }
}

/// A key and what it does, for the status bar and the help overlay. `action` is already translated.
public struct KeyHint: Sendable, Hashable {
    public var keys: String
    public var action: String
    /// A key the user needs to leave the screen or to read it (back, quit, help, language): the status bar
    /// keeps it when others must go for lack of room.
    public var essential: Bool
    public init(_ keys: String, _ action: String, essential: Bool = false) {
        self.keys = keys
        self.action = action
        self.essential = essential
    }
}

/// A screen's message type: it can carry terminal input. An enum case `input(InputEvent)` satisfies this.
public protocol InputMessage: Sendable {
    static func input(_ event: InputEvent) -> Self
}

/// A screen: state, messages, an update function and a view. Nothing else draws or mutates state.
public protocol Program: Sendable {
    associatedtype Message: InputMessage

    /// Effects to perform when the program starts (read a folder, load data).
    mutating func start() -> [Effect<Message>]

    /// The new state for `message`, and the effects to perform.
    mutating func update(_ message: Message) -> [Effect<Message>]

    /// Draws the state; sets `canvas.cursor` on the focused item.
    func view(into canvas: inout Canvas)

    /// The keys of this screen, for the status bar and help.
    var keyHints: [KeyHint] { get }

    /// True while the screen takes typed text (a field, a filter), so `?` is text rather than help.
    var capturesText: Bool { get }
}

extension Program {
    public mutating func start() -> [Effect<Message>] { [] }
    public var keyHints: [KeyHint] { [] }
    public var capturesText: Bool { false }
}
