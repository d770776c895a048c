/// Text from outside (the portal, file names, the applicant's files) made safe to show in a terminal:
/// escape sequences and control characters are removed, so nothing can move the cursor, retitle the window
/// or rewrite what is on screen. Terminal programs have had CVEs for drawing such text raw.
public enum UntrustedText {
    /// Decodes `bytes` as UTF-8 (invalid sequences become U+FFFD), then sanitizes.
    public static func sanitized(bytes: some Collection<UInt8>, keepingLineBreaks: Bool = false, tabWidth: Int = 1) -> String {
        sanitized(String(decoding: Array(bytes), as: UTF8.self), keepingLineBreaks: keepingLineBreaks, tabWidth: tabWidth)
    }

    /// Drops C0/C1 controls, escape sequences (CSI, OSC, DCS, SOS, PM, APC and two-byte ones) and
    /// bidirectional overrides; turns tabs into spaces; keeps line breaks (as "\n") only when asked,
    /// otherwise makes each a space so words stay apart.
    /// `tabWidth` 0 keeps each tab as it is (text the user writes is stored byte for byte; the editor draws it).
    public static func sanitized(_ text: String, keepingLineBreaks multiline: Bool = false, tabWidth: Int = 1) -> String {
        var output = String.UnicodeScalarView()
        var state = State.text
        var previousWasCarriageReturn = false
        for scalar in text.unicodeScalars {
            let value = scalar.value
            switch state {
            case .text:
                break
            case .escape:
                switch value {
                case 0x5B: state = .controlSequence  // ESC [
                case 0x5D, 0x50, 0x58, 0x5E, 0x5F: state = .controlString  // ESC ] P X ^ _
                case 0x20...0x2F: state = .escapeIntermediate
                default: state = .text  // ESC + one final character, or a stray ESC: both dropped
                }
                continue
            case .escapeIntermediate:
                if !(0x20...0x2F).contains(value) { state = .text }
                continue
            case .controlSequence:
                // Parameters and intermediates run on until a final byte in 0x40...0x7E.
                if (0x40...0x7E).contains(value) || !(0x20...0x3F).contains(value) { state = .text }
                continue
            case .controlString:
                if value == 0x07 || value == 0x9C { state = .text } else if value == 0x1B { state = .controlStringEscape }
                continue
            case .controlStringEscape:
                // ESC \ is the string terminator; any other ESC inside the string keeps it going.
                state = value == 0x5C ? .text : .controlString
                continue
            }
            switch value {
            case 0x1B:
                state = .escape
            case 0x9B:
                state = .controlSequence
            case 0x90, 0x98, 0x9D, 0x9E, 0x9F:
                state = .controlString
            case 0x09 where tabWidth == 0:
                output.append(scalar)
            case 0x09:
                output.append(contentsOf: String(repeating: " ", count: tabWidth).unicodeScalars)
            case 0x0A:
                if !previousWasCarriageReturn { output.append(multiline ? "\n" : " ") }
            case 0x0D, 0x2028, 0x2029, 0x85:
                output.append(multiline ? "\n" : " ")
            case 0x00...0x1F, 0x7F...0x9F:
                break
            case 0x202A...0x202E, 0x2066...0x2069:
                break  // bidi overrides can make a name read differently from what it is
            default:
                output.append(scalar)
            }
            previousWasCarriageReturn = value == 0x0D
        }
        return String(output)
    }

    private enum State {
        case text, escape, escapeIntermediate, controlSequence, controlString, controlStringEscape
    }
}
