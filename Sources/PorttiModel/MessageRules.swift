/// What the authority accepts as a message's text, shared by the portal and the applicant's side so that a
/// message the portal is sure to refuse is refused before it waits in the outbox.
public enum MessageRules {
    /// The longest text, in Unicode code points (as the contract's JSON Schema `maxLength` counts).
    public static let maxCharacters = 20_000
}
