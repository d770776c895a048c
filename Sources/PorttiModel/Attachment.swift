import Foundation

/// The document types the portal accepts, recognised by their content, never by their name.
public enum AttachmentType: String, Sendable, Codable, CaseIterable {
    case pdf = "application/pdf"
    case jpeg = "image/jpeg"
    case png = "image/png"

    /// A short name for words and file names: "pdf", "jpeg", "png".
    public var name: String {
        switch self {
        case .pdf: "pdf"
        case .jpeg: "jpeg"
        case .png: "png"
        }
    }

    /// How many leading bytes `detect(prefix:)` needs to decide.
    public static let signatureLength = 8

    /// The type whose magic bytes start `prefix`, or nil when the content is none of the accepted types.
    public static func detect<Bytes: Collection>(prefix: Bytes) -> AttachmentType? where Bytes.Element == UInt8 {
        let head = Array(prefix.prefix(signatureLength))
        if head.starts(with: [0x25, 0x50, 0x44, 0x46, 0x2D]) { return .pdf }  // "%PDF-"
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        return nil
    }
}

/// A file the applicant uploaded, ready to be attached to a message.
public struct Attachment: Sendable, Codable, Hashable, Identifiable {
    public var id: String
    public var fileName: String
    public var size: Int64
    /// Lowercase hexadecimal SHA-256 of the content.
    public var sha256: String
    public var type: AttachmentType
    public var uploadedAt: Date

    public init(id: String, fileName: String, size: Int64, sha256: String, type: AttachmentType, uploadedAt: Date) {
        self.id = id
        self.fileName = fileName
        self.size = size
        self.sha256 = sha256
        self.type = type
        self.uploadedAt = uploadedAt
    }
}

/// The limits the portal puts on attachments; the authority's own are the defaults.
public struct AttachmentLimits: Sendable, Codable, Hashable {
    public var maxFileBytes: Int64
    public var maxFilesPerMessage: Int

    public init(maxFileBytes: Int64 = 4 * 1024 * 1024, maxFilesPerMessage: Int = 10) {
        self.maxFileBytes = maxFileBytes
        self.maxFilesPerMessage = maxFilesPerMessage
    }
}

public enum FileName {
    /// A file name safe to store and show: the last path component only, no control or reserved
    /// characters, no leading dots, at most 255 bytes of UTF-8.
    public static func sanitized(_ raw: String) -> String {
        let lastComponent = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var scalars = String.UnicodeScalarView()
        for scalar in lastComponent.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                continue
            default:
                break
            }
            // U+FFFD stands for bytes of the file's name that were not UTF-8: the portal is given "_" for them.
            if "<>:\"|?*\u{FFFD}".unicodeScalars.contains(scalar) {
                scalars.append("_")
            } else {
                scalars.append(scalar)
            }
        }
        var name = String(scalars).trimmingCharacters(in: .whitespaces)
        while name.hasPrefix(".") { name.removeFirst() }
        while name.utf8.count > 255 { name.removeLast() }
        return name.isEmpty ? "attachment" : name
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal, as digests are shown and stored.
    public var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
