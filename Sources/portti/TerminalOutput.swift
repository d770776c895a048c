import Foundation
import PorttiModel

/// Text for the terminal. The literal text written in the code goes out as written; every value put into it
/// goes through `UntrustedText.sanitized`, so nothing from the portal, the database or another person can move
/// the cursor, retitle the window or forge a line or a column. `say` and `note` print nothing else: a plain
/// string is written `say("\(text)")`, and is made safe like any other value.
struct TerminalText: ExpressibleByStringInterpolation {
    fileprivate(set) var text: String

    init(stringLiteral literal: String) { text = literal }
    init(stringInterpolation: StringInterpolation) { text = stringInterpolation.text }

    static func + (start: TerminalText, end: TerminalText) -> TerminalText {
        var joined = start
        joined.text += end.text
        return joined
    }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var text = ""

        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity) }

        mutating func appendLiteral(_ literal: String) { text += literal }

        /// A value on one line: its line breaks and tabs become spaces.
        mutating func appendInterpolation(_ value: some CustomStringConvertible) {
            text += UntrustedText.sanitized(value.description)
        }

        /// Text made earlier: already safe.
        mutating func appendInterpolation(_ line: TerminalText) { text += line.text }

        /// Text of several lines (a message, a decision), each line starting with `indent`.
        /// A line break at the end ends the last line (as in a file): it starts no line of its own. An empty
        /// line stays empty, without the indent.
        mutating func appendInterpolation(lines value: String, indent: String = "") {
            var lines = UntrustedText.sanitized(value, keepingLineBreaks: true).split(separator: "\n", omittingEmptySubsequences: false)
            while lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
            text += lines.map { $0.isEmpty ? "" : indent + $0 }.joined(separator: "\n")
        }
    }
}

/// Prints a line on standard output at once, also when it is a pipe (scripts and tests wait for it).
func say(_ line: TerminalText) { write(line.text + "\n", to: .standardOutput) }

/// Prints a line on standard error: failures, and what happened besides the answer (offline, sent from the outbox).
func note(_ line: TerminalText, terminator: String = "\n") { write(line.text + terminator, to: .standardError) }

/// Prints `value` as JSON for scripts: the data whole, with every control and bidi character written as a `\u`
/// escape, so nothing in it is one a terminal would act on. (The encoder escapes only C0.)
func sayJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    sayJSON(encoded: try encoder.encode(value))
}

/// Prints JSON already encoded (`receipts --export -`), escaped as `sayJSON` escapes it: the same data, with
/// nothing in it a terminal would act on.
func sayJSON(encoded: Data) {
    var json = ""
    for scalar in String(decoding: encoded, as: UTF8.self).unicodeScalars {
        switch scalar.value {
        case 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x061C:
            json += String(format: "\\u%04x", scalar.value)
        default:
            json.unicodeScalars.append(scalar)
        }
    }
    write(json + "\n", to: .standardOutput)
}

/// Writes, or ends the program quietly as a closed pipe ends other tools (`portti applications | head -1`):
/// the reader has gone, so there is nobody to tell. 141 is the shell's status for SIGPIPE, which is ignored
/// here (the network libraries ask for that).
private func write(_ text: String, to handle: FileHandle) {
    do {
        try handle.write(contentsOf: Data(text.utf8))
    } catch {
        exit(141)
    }
}
