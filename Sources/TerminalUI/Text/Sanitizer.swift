import PorttiModel

/// Makes text from outside (the portal, file names, the user's files) safe to draw. The rules live in the
/// model's `UntrustedText`, shared with the command line; this is the toolkit's spelling of them.
public enum TerminalText {
    /// Decodes `bytes` as UTF-8 (invalid sequences become U+FFFD), then sanitizes.
    public static func sanitize(bytes: some Collection<UInt8>, multiline: Bool = false, tabWidth: Int = 4) -> String {
        UntrustedText.sanitized(bytes: bytes, keepingLineBreaks: multiline, tabWidth: tabWidth)
    }

    public static func sanitize(_ text: String, multiline: Bool = false, tabWidth: Int = 4) -> String {
        UntrustedText.sanitized(text, keepingLineBreaks: multiline, tabWidth: tabWidth)
    }
}
