/// Turns what `get_wch` returns into input events, recognising what ncurses does not: bracketed paste
/// (`ESC [200~ … ESC [201~`), SGR 1006 mouse reports (`ESC [< b;x;y M/m`) and Alt-combinations.
/// Pure and incremental: a sequence split across reads is completed by the next `feed`.
public struct InputParser: Sendable {
    private var pending: [RawInput] = []
    private var pasting = false
    private var pasted: [UInt32] = []

    public init() {}

    /// Whether a paste has started and not yet ended.
    public var isPasting: Bool { pasting }

    /// The events in `inputs`. At the end of a read a lone ESC is the Esc key; an unfinished sequence waits.
    public mutating func feed(_ inputs: [RawInput]) -> [InputEvent] {
        pending.append(contentsOf: inputs)
        var events: [InputEvent] = []
        var index = 0
        while index < pending.count {
            if pasting {
                if let end = match(Self.pasteEnd, at: index) {
                    if end == .incomplete { break }
                    events.append(.paste(TerminalText.sanitize(
                        String(String.UnicodeScalarView(pasted.compactMap(Unicode.Scalar.init))), multiline: true, tabWidth: 0)))
                    pasted.removeAll()
                    pasting = false
                    index += Self.pasteEnd.count
                    continue
                }
                if case .character(let code) = pending[index] { pasted.append(code) }
                index += 1
                continue
            }
            guard case .character(0x1B) = pending[index] else {
                switch pending[index] {
                case .character(let code): events.append(.key(Key.decode(character: code)))
                case .keyCode(let code, let name): events.append(.key(Key.decode(keyCode: code, name: name)))
                }
                index += 1
                continue
            }
            // An escape sequence.
            if index + 1 >= pending.count {
                events.append(.key(.escape))
                index += 1
                continue
            }
            guard case .character(let next) = pending[index + 1] else {
                events.append(.key(.escape))
                index += 1
                continue
            }
            // SS3 (ESC O + one letter): arrows, Home/End and F1–F4 in application mode, as xterm and tmux send
            // them where terminfo names other codes.
            if next == 0x4F, index + 2 < pending.count, case .character(let final) = pending[index + 2],
                let key = Self.singleShiftKeys[final] {
                events.append(.key(key))
                index += 3
                continue
            }
            // Esc pressed twice in one read is two presses: each goes back one screen, and none is lost.
            if next == 0x1B {
                events.append(.key(.escape))
                index += 1
                continue
            }
            if next != 0x5B {  // not CSI: Alt + character
                events.append(.key(.alt(Character(Unicode.Scalar(next) ?? "?"))))
                index += 2
                continue
            }
            switch parseControlSequence(at: index + 2) {
            case .incomplete:
                pending.removeFirst(index)
                return events
            case .complete(let event, let length):
                if let event { events.append(event) }
                index += 2 + length
            }
        }
        pending.removeFirst(min(index, pending.count))
        return events
    }

    private enum Parsed { case incomplete, complete(InputEvent?, length: Int) }
    private enum Match: Equatable { case incomplete, complete }

    private static let pasteStart: [UInt32] = Array("\u{1B}[200~".unicodeScalars.map(\.value))
    private static let pasteEnd: [UInt32] = Array("\u{1B}[201~".unicodeScalars.map(\.value))

    private func match(_ sequence: [UInt32], at index: Int) -> Match? {
        for offset in sequence.indices {
            guard index + offset < pending.count else { return .incomplete }
            guard case .character(let code) = pending[index + offset], code == sequence[offset] else { return nil }
        }
        return .complete
    }

    /// Parses a CSI body (after `ESC [`): parameters 0x30–0x3F, intermediates 0x20–0x2F, a final byte.
    private mutating func parseControlSequence(at start: Int) -> Parsed {
        var body: [UInt32] = []
        var index = start
        while index < pending.count {
            guard case .character(let code) = pending[index] else { return .complete(nil, length: index - start) }
            body.append(code)
            index += 1
            if (0x40...0x7E).contains(code) {
                return .complete(event(forControlSequence: body), length: index - start)
            }
            if !(0x20...0x3F).contains(code) { return .complete(nil, length: index - start) }
        }
        return .incomplete
    }

    private mutating func event(forControlSequence body: [UInt32]) -> InputEvent? {
        let text = String(String.UnicodeScalarView(body.compactMap(Unicode.Scalar.init)))
        if text == "200~" {
            pasting = true
            return nil
        }
        if text.hasPrefix("<"), let final = text.last, final == "M" || final == "m" {
            let numbers = text.dropFirst().dropLast().split(separator: ";").compactMap { Int($0) }
            guard numbers.count == 3 else { return nil }
            return Self.mouseEvent(button: numbers[0], column: numbers[1] - 1, row: numbers[2] - 1, released: final == "m")
        }
        // Keys some terminals send that terminfo did not name: each key's common encodings (xterm, VT220,
        // rxvt, the Linux console, tmux and screen differ for Home, End and the function keys).
        switch text {
        case "A": return .key(.up)
        case "B": return .key(.down)
        case "C": return .key(.right)
        case "D": return .key(.left)
        case "H", "1;1H": return .key(.home)
        case "F", "1;1F": return .key(.end)
        case "Z": return .key(.backTab)
        case "1;5D", "1;3D": return .key(.wordLeft)
        case "1;5C", "1;3C": return .key(.wordRight)
        case "1;5H": return .key(.documentStart)
        case "1;5F": return .key(.documentEnd)
        default: break
        }
        guard text.hasSuffix("~"), let number = Int(text.dropLast().prefix { $0 != ";" }) else { return nil }
        return Self.tildeKeys[number].map { .key($0) }
    }

    /// `ESC [ n ~` keys by n (VT220 and rxvt numbering).
    private static let tildeKeys: [Int: Key] = [
        1: .home, 7: .home, 4: .end, 8: .end, 2: .insert, 3: .delete, 5: .pageUp, 6: .pageDown,
        11: .function(1), 12: .function(2), 13: .function(3), 14: .function(4), 15: .function(5),
        17: .function(6), 18: .function(7), 19: .function(8), 20: .function(9), 21: .function(10),
        23: .function(11), 24: .function(12),
    ]

    /// `ESC O x` keys by x.
    private static let singleShiftKeys: [UInt32: Key] = [
        0x41: .up, 0x42: .down, 0x43: .right, 0x44: .left, 0x48: .home, 0x46: .end,
        0x50: .function(1), 0x51: .function(2), 0x52: .function(3), 0x53: .function(4),
    ]

    /// An SGR 1006 report: button bits 0–1 name the button, 64 marks the wheel, 32 motion (ignored).
    static func mouseEvent(button: Int, column: Int, row: Int, released: Bool) -> InputEvent? {
        let position = Position(column: max(column, 0), row: max(row, 0))
        if button & 32 != 0 { return nil }
        if button & 64 != 0 {
            return .mouse(MouseEvent(button & 1 == 0 ? .wheelUp : .wheelDown, at: position))
        }
        if released { return .mouse(MouseEvent(.release, at: position)) }
        return .mouse(MouseEvent(.press(button: (button & 3) + 1), at: position))
    }
}
