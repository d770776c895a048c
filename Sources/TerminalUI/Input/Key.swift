/// A key the user pressed, decoded from curses codes by `Key.decode`.
public enum Key: Sendable, Hashable {
    case character(Character)
    case up, down, left, right
    case wordLeft, wordRight  // Ctrl-Left / Ctrl-Right
    case home, end, documentStart, documentEnd  // Ctrl-Home / Ctrl-End
    case pageUp, pageDown
    case tab, backTab
    case enter, escape
    case backspace, delete, insert
    case function(Int)
    /// Ctrl with a letter, lowercased: Ctrl-A is `.control("a")`.
    case control(Character)
    /// Alt (or Esc then) a character.
    case alt(Character)
    case unknown(Int32)
}

/// A mouse click or wheel turn, at a zero-based cell.
public struct MouseEvent: Sendable, Hashable {
    public enum Action: Sendable, Hashable { case press(button: Int), release, wheelUp, wheelDown }
    public var action: Action
    public var position: Position
    public init(_ action: Action, at position: Position) {
        self.action = action
        self.position = position
    }
}

/// Everything the terminal can tell a program.
public enum InputEvent: Sendable, Hashable {
    case key(Key)
    case paste(String)
    case mouse(MouseEvent)
    case resize(width: Int, height: Int)
}

/// What one `get_wch` call returned: a character, or a function key code with its terminfo name.
public enum RawInput: Sendable, Hashable {
    case character(UInt32)
    case keyCode(Int32, name: String?)
}

/// The ncurses key codes (curses.h, stable across ncurses 5 and 6); a test checks them against the header.
public enum CursesKeyCode {
    public static let down: Int32 = 0o402
    public static let up: Int32 = 0o403
    public static let left: Int32 = 0o404
    public static let right: Int32 = 0o405
    public static let home: Int32 = 0o406
    public static let backspace: Int32 = 0o407
    public static let f0: Int32 = 0o410
    public static let delete: Int32 = 0o512
    public static let insert: Int32 = 0o513
    public static let pageDown: Int32 = 0o522
    public static let pageUp: Int32 = 0o523
    public static let enter: Int32 = 0o527
    public static let backTab: Int32 = 0o541
    public static let end: Int32 = 0o550
    public static let mouse: Int32 = 0o631
    public static let resize: Int32 = 0o632
}

extension Key {
    /// The key for one character `get_wch` returned (not a function key code).
    public static func decode(character code: UInt32) -> Key {
        switch code {
        case 0x09: return .tab
        case 0x0A, 0x0D: return .enter
        case 0x1B: return .escape
        case 0x08, 0x7F: return .backspace
        case 0x00: return .control(" ")
        case 0x01...0x1A:
            return .control(Character(Unicode.Scalar(UInt8(code) + 0x60)))
        case 0x1C...0x1F:
            return .unknown(Int32(code))
        default:
            guard let scalar = Unicode.Scalar(code) else { return .unknown(Int32(bitPattern: code)) }
            return .character(Character(scalar))
        }
    }

    /// The key for a function key code; `name` is the terminfo name ncurses gives extended keys
    /// (`kLFT5` for Ctrl-Left), whose codes differ between terminals.
    public static func decode(keyCode code: Int32, name: String? = nil) -> Key {
        switch code {
        case CursesKeyCode.up: return .up
        case CursesKeyCode.down: return .down
        case CursesKeyCode.left: return .left
        case CursesKeyCode.right: return .right
        case CursesKeyCode.home: return .home
        case CursesKeyCode.end: return .end
        case CursesKeyCode.pageUp: return .pageUp
        case CursesKeyCode.pageDown: return .pageDown
        case CursesKeyCode.backspace: return .backspace
        case CursesKeyCode.delete: return .delete
        case CursesKeyCode.insert: return .insert
        case CursesKeyCode.enter: return .enter
        case CursesKeyCode.backTab: return .backTab
        case (CursesKeyCode.f0 + 1)...(CursesKeyCode.f0 + 63): return .function(Int(code - CursesKeyCode.f0))
        default: break
        }
        switch name {
        case "kLFT5": return .wordLeft
        case "kRIT5": return .wordRight
        case "kHOM5": return .documentStart
        case "kEND5": return .documentEnd
        default: return .unknown(code)
        }
    }
}
