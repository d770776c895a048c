/// Text from outside (the portal, file names, the applicant's files) made safe to show in a terminal:
/// escape sequences and control characters are removed, so nothing can move the cursor, retitle the window
/// or rewrite what is on screen.
public enum UntrustedText {
    /// `text` without ESC sequences (CSI, OSC, DCS and the like), C0 and C1 controls and bidirectional
    /// overrides. A tab becomes a space; line breaks stay only when `keepingLineBreaks`.
    public static func sanitized(_ text: String, keepingLineBreaks: Bool = false) -> String {
        var result = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            switch scalar.value {
            case 0x1B:
                skipEscapeSequence(&scalars)
            case 0x9B:  // CSI as one C1 character
                skipUntilFinalByte(&scalars)
            case 0x90, 0x9D, 0x9E, 0x9F, 0x98:  // DCS, OSC, PM, APC, SOS: strings up to their terminator
                skipString(&scalars)
            case 0x0A, 0x0D:
                if keepingLineBreaks && scalar.value == 0x0A { result.append(scalar) }
                else if !keepingLineBreaks { result.append(" ") }
            case 0x09:
                result.append(" ")
            case 0x00...0x1F, 0x7F...0x9F:
                continue
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C:  // bidi controls
                continue
            default:
                result.append(scalar)
            }
        }
        return String(result)
    }

    private static func skipEscapeSequence(_ scalars: inout String.UnicodeScalarView.Iterator) {
        guard let next = scalars.next() else { return }
        switch next {
        case "[": skipUntilFinalByte(&scalars)
        case "]", "P", "X", "^", "_": skipString(&scalars)
        case "(", ")", "*", "+", "#", "%": _ = scalars.next()  // charset designations take one more
        default: break  // a two-character sequence
        }
    }

    /// CSI parameters and intermediates, up to the final byte (@ to ~).
    private static func skipUntilFinalByte(_ scalars: inout String.UnicodeScalarView.Iterator) {
        while let scalar = scalars.next() {
            if (0x40...0x7E).contains(scalar.value) { return }
            if !(0x20...0x3F).contains(scalar.value) { return }  // malformed: stop at anything else
        }
    }

    /// A control string, up to BEL, ST (ESC \) or C1 ST.
    private static func skipString(_ scalars: inout String.UnicodeScalarView.Iterator) {
        while let scalar = scalars.next() {
            switch scalar.value {
            case 0x07, 0x9C: return
            case 0x1B:
                _ = scalars.next()
                return
            default: continue
            }
        }
    }
}
