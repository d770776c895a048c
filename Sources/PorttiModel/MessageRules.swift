import Foundation

/// What the authority accepts as a message's text, shared by the portal and the applicant's side so that a
/// message the portal is sure to refuse is refused before it waits in the outbox.
public enum MessageRules {
    /// The longest text, in Unicode code points (as the contract's JSON Schema `maxLength` counts).
    public static let maxCharacters = 20_000

    /// The first limit a message breaks, in the portal's words (its code, and the limit when it has one); nil
    /// when it breaks none. One rule for every message, the applicant's and the authority's: at most
    /// `maxFiles` files, at most `maxCharacters` code points, and not empty (text that is only white space and no
    /// file). A file's own size is checked where its bytes are (`AttachmentLimits.maxFileBytes`).
    public static func violation(
        text: String, fileCount: Int, maxFiles: Int = AttachmentLimits().maxFilesPerMessage,
        maxCharacters: Int = Self.maxCharacters
    ) -> (code: PortalErrorCode, limit: Int64?)? {
        if fileCount > maxFiles { return (.tooManyAttachments, Int64(maxFiles)) }
        if text.unicodeScalars.count > maxCharacters { return (.messageTooLong, Int64(maxCharacters)) }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && fileCount == 0 { return (.messageEmpty, nil) }
        return nil
    }
}
