/// A refusal by the portal, with its stable code and, where one applies, the limit that was exceeded.
public struct PortalError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: PortalErrorCode
    /// The limit broken (bytes, files or characters), for the translated message.
    public var limit: Int64?
    public var retryAfterSeconds: Int?
    /// English detail for logs and developers; never shown as the user's message.
    public var detail: String

    public init(_ code: PortalErrorCode, limit: Int64? = nil, retryAfterSeconds: Int? = nil, detail: String = "") {
        self.code = code
        self.limit = limit
        self.retryAfterSeconds = retryAfterSeconds
        self.detail = detail.isEmpty ? code.rawValue : detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }

    public static let notFound = PortalError(.notFound)
}
