import Foundation

/// Where a message goes: an answer to a request, additional information about an application, a message on
/// another matter (a topic code from the portal's list), or a reply to a message of the authority.
/// In JSON (`--json` output, the applicant's records): `{"kind": "request" | "application" | "topic" | "reply",
/// "id": "…"}`, a documented shape; the form written before it (`{"request": {"_0": "…"}}`) is still read.
public enum MessageTarget: Sendable, Codable, Hashable {
    case request(String)
    case application(String)
    /// A message about no application, on this topic (`MessageTopic.code`).
    case topic(String)
    /// A reply to the authority's message with this id.
    case reply(String)

    /// The `kind` written in JSON, and the key of the earlier form.
    public var kind: String {
        switch self {
        case .request: "request"
        case .application: "application"
        case .topic: "topic"
        case .reply: "reply"
        }
    }

    /// The id (or topic code) it goes to.
    public var id: String {
        switch self {
        case .request(let id), .application(let id), .topic(let id), .reply(let id): id
        }
    }

    /// The target of `kind` with `id`; nil for a kind not known.
    public init?(kind: String, id: String) {
        switch kind {
        case "request": self = .request(id)
        case "application": self = .application(id)
        case "topic": self = .topic(id)
        case "reply": self = .reply(id)
        default: return nil
        }
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        if let kind = try container.decodeIfPresent(String.self, forKey: Key("kind")) {
            let id = try container.decode(String.self, forKey: Key("id"))
            guard let target = Self(kind: kind, id: id) else {
                throw DecodingError.dataCorruptedError(
                    forKey: Key("kind"), in: container, debugDescription: "not a target: \(kind)")
            }
            self = target
            return
        }
        // The form written before: `{"request": {"_0": "…"}}`.
        for key in container.allKeys {
            let id = try container.nestedContainer(keyedBy: Key.self, forKey: key).decode(String.self, forKey: Key("_0"))
            if let target = Self(kind: key.stringValue, id: id) {
                self = target
                return
            }
        }
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a target"))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(kind, forKey: Key("kind"))
        try container.encode(id, forKey: Key("id"))
    }

    /// A stable text form, for keys in local storage.
    public var key: String { "\(kind):\(id)" }
}

/// A file the applicant attached from their disk, as it was when attached: a changed file is caught by its digest.
public struct AttachedFile: Sendable, Codable, Hashable {
    /// The file's path, to show (a name that is not UTF-8 is read with U+FFFD for its odd bytes).
    public var path: String
    /// The path's own bytes when they are not UTF-8, to open the same file again (kept as base64 in JSON);
    /// nil when `path` is exact.
    public var rawPath: Data?
    /// The name the portal is given (the file's own name unless the applicant renamed it).
    public var name: String
    public var size: Int64
    public var sha256: String

    public init(path: String, name: String, size: Int64, sha256: String, rawPath: Data? = nil) {
        self.path = path
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.rawPath = rawPath
    }

    /// The bytes that open the file: `rawPath`, else `path` in UTF-8.
    public var pathBytes: [UInt8] { rawPath.map(Array.init) ?? Array(path.utf8) }
}

/// A message being written. Saved as it is typed, offered again until it is sent.
public struct Draft: Sendable, Codable, Hashable {
    public var target: MessageTarget
    public var text: String
    public var files: [AttachedFile]
    public var updatedAt: Date

    public init(target: MessageTarget, text: String, files: [AttachedFile] = [], updatedAt: Date = Date()) {
        self.target = target
        self.text = text
        self.files = files
        self.updatedAt = updatedAt
    }
}

/// A message on its way: written to the outbox before anything is sent, with the key that makes every
/// retry the same send, and the attachments uploaded so far.
public struct OutboxItem: Sendable, Codable, Hashable, Identifiable {
    public enum State: Sendable, Codable, Hashable {
        /// Still to be delivered (again after a failure that may pass: no connection, session expired).
        case pending
        case delivered(receiptNumber: String)
        /// The portal refused it for good, or a file changed; the text stays in the draft to fix and resend.
        /// The reason is a string table key and its placeholders' values.
        case refused(reasonKey: String, arguments: [String: String])
    }

    /// Sends failing with the portal's own errors before the item is given up (and said so).
    public static let maxServerFailures = 10

    public var id: String
    public var idempotencyKey: String
    public var target: MessageTarget
    public var text: String
    public var files: [AttachedFile]
    /// The portal's attachment id for each file, once uploaded (nil until then).
    public var uploadedIDs: [String?]
    public var state: State
    public var createdAt: Date
    /// Deliveries tried that failed.
    public var failedAttempts: Int = 0
    /// Why the last try of an item still pending failed (a string table key and its placeholders' values), to
    /// say why it still waits (a receipt that did not verify, no connection); nil before any failure.
    public var lastFailure: Reason?

    /// A string table key and the values of its placeholders.
    public struct Reason: Sendable, Codable, Hashable {
        public var key: String
        public var arguments: [String: String]
        public init(key: String, arguments: [String: String]) {
            self.key = key
            self.arguments = arguments
        }
    }
    /// The number a person names it by, given by the store when it is first written (from 1, never reused);
    /// nil until then.
    public var number: Int?

    public init(draft: Draft, now: Date = Date()) {
        id = UUID().uuidString.lowercased()
        idempotencyKey = UUID().uuidString.lowercased()
        target = draft.target
        text = draft.text
        files = draft.files
        uploadedIDs = Array(repeating: nil, count: draft.files.count)
        state = .pending
        createdAt = now
    }

    /// The key of the i-th file's upload: derived from the message's key, so a retry uploads it once.
    public func uploadKey(_ index: Int) -> String { "\(idempotencyKey)-file-\(index)" }

    /// Whether `draft` is this same message (a second press of Send, or a restart before it went out).
    public func carries(_ draft: Draft) -> Bool {
        target == draft.target && text == draft.text && files == draft.files
    }
}

/// A receipt the applicant keeps as proof of delivery, with what was sent.
public struct KeptReceipt: Sendable, Codable, Hashable {
    public var receipt: Receipt
    public var target: MessageTarget
    public var message: String
    /// The `kid` (RFC 7638 thumbprint) of the portal's key whose signature on `receipt.signed` was checked when
    /// it arrived; nil for a receipt kept before receipts were signed.
    public var verifiedKey: String?

    public init(receipt: Receipt, target: MessageTarget, message: String, verifiedKey: String? = nil) {
        self.receipt = receipt
        self.target = target
        self.message = message
        self.verifiedKey = verifiedKey
    }

    /// Whether this receipt is for the same message as one with `text` and `files` to `target`: the same text
    /// and the same files' contents (by SHA-256, in any order and under any name).
    public func covers(target: MessageTarget, text: String, files: [AttachedFile]) -> Bool {
        self.target == target && message == text
            && receipt.files.map { $0.sha256.lowercased() }.sorted() == files.map { $0.sha256.lowercased() }.sorted()
    }
}

extension [KeptReceipt] {
    /// The latest kept receipt for the same message as `text` and `files` to `target` (see `covers`), if any:
    /// the authority asks that a message be sent only once, and the last time it went is what the applicant
    /// remembers. Ties in time go to the higher receipt number (numbers rise as messages arrive).
    public func earlierDelivery(to target: MessageTarget, text: String, files: [AttachedFile]) -> KeptReceipt? {
        filter { $0.covers(target: target, text: text, files: files) }.max {
            ($0.receipt.receivedAt, $0.receipt.number) < ($1.receipt.receivedAt, $1.receipt.number)
        }
    }
}
