import Crypto
import Foundation
import JWTKit
import PorttiModel

/// What a signed confirmation of receipt states, exactly as the portal signed it: the payload of its JWS.
/// Field names are short and stable, since third parties read them with ordinary JOSE tools (docs/security.md).
public struct ReceiptStatement: JWTPayload, Hashable {
    /// Who sent the message, as the portal knows them.
    public struct Applicant: Codable, Sendable, Hashable {
        public var id: String
        public var username: String
        public init(id: String, username: String) {
            self.id = id
            self.username = username
        }
    }

    /// The application the message is about; nil for a message about no application.
    public struct Application: Codable, Sendable, Hashable {
        public var id: String
        /// The reference number the authority writes (`MIG-2026-000042`).
        public var reference: String?
        public init(id: String, reference: String?) {
            self.id = id
            self.reference = reference
        }
    }

    /// One received file: its name, size in bytes, and SHA-256 in lower-case hex (`{"name","size","sha256"}`).
    public typealias File = Receipt.File

    /// The receipt number (`2026-00000042`).
    public var receipt: String
    /// When the portal received the message: RFC 3339 in UTC with milliseconds (`2026-05-04T09:30:00.123Z`).
    public var receivedAt: String
    public var applicant: Applicant
    public var application: Application?
    /// The request the message answers, if any.
    public var request: String?
    /// The conversation's topic and the message it answers, for messages in a conversation; omitted when nil.
    public var topic: String?
    public var inReplyTo: String?
    /// SHA-256 (lower-case hex) of the message text's UTF-8 bytes, exactly as the portal stored it.
    public var textSHA256: String
    public var files: [File]

    public init(
        receipt: String, receivedAt: Date, applicant: Applicant, application: Application?, request: String?,
        topic: String? = nil, inReplyTo: String? = nil, textSHA256: String, files: [File]
    ) {
        self.receipt = receipt
        self.receivedAt = Self.timeText(receivedAt)
        self.applicant = applicant
        self.application = application
        self.request = request
        self.topic = topic
        self.inReplyTo = inReplyTo
        self.textSHA256 = textSHA256
        self.files = files
    }

    /// The statement for `receipt` of a message whose text was `text`, sent by `applicant`.
    public init(_ receipt: Receipt, text: String, applicant: Applicant) {
        self.init(
            receipt: receipt.number, receivedAt: receipt.receivedAt, applicant: applicant,
            application: receipt.applicationID.map { Application(id: $0, reference: receipt.applicationReference) },
            request: receipt.requestID, topic: receipt.topic, inReplyTo: receipt.inReplyTo, textSHA256: Self.sha256(text),
            files: receipt.files)
    }

    /// The time as it is written in a statement.
    public static func timeText(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    /// When it was received, read back; nil if the text is not RFC 3339.
    public var receivedDate: Date? { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(receivedAt) }

    /// SHA-256 of `text`'s UTF-8 bytes, in lower-case hex.
    public static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Nothing to check beyond the signature: a receipt does not expire.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    private enum CodingKeys: String, CodingKey {
        case receipt, receivedAt, applicant, application, request, topic, inReplyTo, textSHA256, files
    }
}

/// A portal's receipt signing key pair (Ed25519). Its `kid` is the RFC 7638 thumbprint of the public key,
/// which is also the fingerprint shown to people.
public struct ReceiptSigningKey: Sendable, Hashable {
    public var kid: String
    /// The 32 bytes of the private key: kept in the portal's store (or a PEM file), never sent or logged.
    public var privateKey: Data
    public var createdAt: Date

    public init(privateKey: Data, createdAt: Date) throws {
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: privateKey)
        self.privateKey = privateKey
        self.createdAt = createdAt
        self.kid = ReceiptKeys.thumbprint(publicKey: key.publicKey.rawRepresentation)
    }

    /// A fresh key made at `now`.
    public static func generate(now: Date) -> ReceiptSigningKey {
        // A fresh key's bytes always make a key.
        try! ReceiptSigningKey(privateKey: Curve25519.Signing.PrivateKey().rawRepresentation, createdAt: now)
    }

    /// The key from a PKCS#8 PEM file's text (`openssl genpkey -algorithm ed25519`).
    public init(pem: String, createdAt: Date) throws {
        try self.init(privateKey: Curve25519.Signing.PrivateKey(pemRepresentation: pem).rawRepresentation,
                      createdAt: createdAt)
    }

    /// The public half, as a JWK with `kid`, `alg: EdDSA` and `use: sig` (RFC 8037).
    public var publicJWK: PublicReceiptKey {
        let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: privateKey)  // checked in init
        return PublicReceiptKey(kid: kid, x: ReceiptKeys.base64URL(key.publicKey.rawRepresentation))
    }

    /// Signs `statement` as a compact JWS (EdDSA over the canonical JSON: keys sorted, no spaces).
    public func sign(_ statement: ReceiptStatement) async throws -> String {
        let keys = JWTKeyCollection()
        let key = try EdDSA.PrivateKey(backing: Curve25519.Signing.PrivateKey(rawRepresentation: privateKey))
        await keys.add(eddsa: key, kid: JWKIdentifier(string: kid), serializer: DefaultJWTSerializer(jsonEncoder: ReceiptKeys.canonicalEncoder))
        var header = JWTHeader()
        header.typ = "JWT"
        return try await keys.sign(statement, kid: JWKIdentifier(string: kid), header: header)
    }

    // The private key never shows in a description (a log line, a test failure).
    public var description: String { "ReceiptSigningKey(\(kid))" }
}

extension ReceiptSigningKey: CustomStringConvertible, CustomDebugStringConvertible {
    public var debugDescription: String { description }
}

/// A public receipt key as a JWK (RFC 7517, RFC 8037): `{"kty":"OKP","crv":"Ed25519","x":…,"kid":…}`.
public struct PublicReceiptKey: Codable, Sendable, Hashable {
    public var kty = "OKP"
    public var crv = "Ed25519"
    public var x: String
    public var kid: String
    public var alg = "EdDSA"
    public var use = "sig"

    public init(kid: String, x: String) {
        self.kid = kid
        self.x = x
    }

    private enum CodingKeys: String, CodingKey { case kty, crv, x, kid, alg, use }

    /// `alg` and `use` are optional in a JWK (RFC 7517 §4.2, §4.4): a key set written by another JOSE tool
    /// without them is read, and the key is still checked by `isWellFormed`.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        kty = try values.decode(String.self, forKey: .kty)
        crv = try values.decode(String.self, forKey: .crv)
        x = try values.decode(String.self, forKey: .x)
        kid = try values.decode(String.self, forKey: .kid)
        alg = try values.decodeIfPresent(String.self, forKey: .alg) ?? "EdDSA"
        use = try values.decodeIfPresent(String.self, forKey: .use) ?? "sig"
    }

    /// Whether `kid` is this key's RFC 7638 thumbprint, so a key cannot be passed off under another's name.
    public var isWellFormed: Bool {
        guard kty == "OKP", crv == "Ed25519", let raw = ReceiptKeys.base64URLDecoded(x), raw.count == 32 else { return false }
        return ReceiptKeys.thumbprint(publicKey: raw) == kid
    }
}

/// A JWK Set (RFC 7517 §5) of receipt keys.
public struct ReceiptKeySet: Codable, Sendable, Hashable {
    public var keys: [PublicReceiptKey]
    public init(keys: [PublicReceiptKey]) { self.keys = keys }

    public func key(kid: String) -> PublicReceiptKey? { keys.first { $0.kid == kid } }
}

/// How a signed receipt fared against keys and what was sent.
public enum ReceiptVerdict: Sendable, Hashable {
    /// Signed by the key `kid` and covering exactly the text and files given.
    case valid(ReceiptStatement, kid: String)
    /// Signed, but the text given is not the text it covers.
    case textChanged(ReceiptStatement)
    /// Signed, but a file given differs from the files it covers (name, size or SHA-256), or one is missing or extra.
    case fileChanged(ReceiptStatement)
    /// Signed with a key none of those given has (or a JWS with no `kid`).
    case unknownKey(kid: String?)
    /// Not a JWS, or its signature does not match its content under the key it names.
    case badSignature

    /// The word a person is shown for it: a string table key.
    public var messageKey: String {
        switch self {
        case .valid: "receipt.verdict.valid"
        case .textChanged: "receipt.verdict.text_changed"
        case .fileChanged: "receipt.verdict.file_changed"
        case .unknownKey: "receipt.verdict.unknown_key"
        case .badSignature: "receipt.verdict.bad_signature"
        }
    }

    public var isValid: Bool { if case .valid = self { true } else { false } }
}

/// Checking signed receipts: with the JOSE library, nothing hand-made but the thumbprint and base64url.
public enum ReceiptKeys {
    /// JSON with keys sorted and no spaces, so one statement always signs as the same bytes.
    static var canonicalEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The `kid` a JWS names in its protected header, read without checking anything.
    public static func kid(of jws: String) -> String? {
        guard let header = jws.split(separator: ".", omittingEmptySubsequences: false).first,
              let data = base64URLDecoded(String(header)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["kid"] as? String
    }

    /// Verifies `jws` against `keys`, then, when given, the text and files it should cover.
    /// - Parameters:
    ///   - text: the message text sent; nil to leave it unchecked.
    ///   - files: the files sent (name, size, SHA-256); nil to leave them unchecked.
    public static func verify(
        _ jws: String, keys: ReceiptKeySet, text: String?, files: [ReceiptStatement.File]?
    ) async -> ReceiptVerdict {
        guard jws.split(separator: ".", omittingEmptySubsequences: false).count == 3 else { return .badSignature }
        guard let kid = kid(of: jws), let jwk = keys.key(kid: kid), jwk.isWellFormed else {
            return .unknownKey(kid: kid(of: jws))
        }
        let statement: ReceiptStatement
        do {
            let collection = JWTKeyCollection()
            try await collection.add(eddsa: EdDSA.PublicKey(x: jwk.x, curve: .ed25519), kid: JWKIdentifier(string: kid))
            statement = try await collection.verify(jws, as: ReceiptStatement.self)
        } catch {
            return .badSignature
        }
        // Hex is hex in either case: `ABC…` and `abc…` name the same bytes.
        if let text, sha256(text) != statement.textSHA256.lowercased() { return .textChanged(statement) }
        if let files, !sameFiles(files, statement.files) { return .fileChanged(statement) }
        return .valid(statement, kid: kid)
    }

    /// Whether `given` are the files `signed` states, in order: name, size and SHA-256 (hex in any case).
    static func sameFiles(_ given: [ReceiptStatement.File], _ signed: [ReceiptStatement.File]) -> Bool {
        given.count == signed.count && zip(given, signed).allSatisfy { mine, theirs in
            mine.name == theirs.name && mine.size == theirs.size && mine.sha256.lowercased() == theirs.sha256.lowercased()
        }
    }

    /// The statement `jws` carries, read WITHOUT checking its signature: only to name a receipt whose signature
    /// fails (its number), never as proof of anything. Nil when the payload is not a statement.
    public static func unverifiedStatement(of jws: String) -> ReceiptStatement? {
        let parts = jws.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = base64URLDecoded(String(parts[1])) else { return nil }
        return try? JSONDecoder().decode(ReceiptStatement.self, from: payload)
    }

    static func sha256(_ text: String) -> String { ReceiptStatement.sha256(text) }

    /// The RFC 7638 thumbprint of an Ed25519 public key: SHA-256 over `{"crv":"Ed25519","kty":"OKP","x":…}`, base64url.
    public static func thumbprint(publicKey: Data) -> String {
        let members = #"{"crv":"Ed25519","kty":"OKP","x":""# + base64URL(publicKey) + #""}"#
        return base64URL(Data(SHA256.hash(data: Data(members.utf8))))
    }

    /// Base64url without padding (RFC 7515 §2).
    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of base64url text, padded or not; nil when it is not base64url.
    public static func base64URLDecoded(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
