import Foundation

/// Signed receipts written out to show anyone (`portti receipts --export FILE`), with the portal's keys: a JSON
/// document that ordinary JOSE tools verify (docs/security.md describes it).
///
/// ```json
/// {"format": "portti-receipts/1", "portal": "https://…", "keys": {"keys": [JWK…]},
///  "receipts": [{"jws": "…", "text": "the message as sent", "files": [{"name": …, "size": …, "sha256": …}]}]}
/// ```
/// The JWS is the proof; `text` and `files` are what the applicant says they sent, so that a changed text or
/// file is told apart from a forged signature.
public struct ReceiptExport: Codable, Sendable, Hashable {
    /// One receipt: its JWS, and the message text and files it should cover.
    public struct Entry: Codable, Sendable, Hashable {
        public var jws: String
        public var text: String
        public var files: [ReceiptStatement.File]

        public init(jws: String, text: String, files: [ReceiptStatement.File]) {
            self.jws = jws
            self.text = text
            self.files = files
        }
    }

    public static let formatName = "portti-receipts/1"

    public var format: String
    /// The portal's address, as the applicant used it.
    public var portal: String
    /// The portal's public keys (a JWK Set, RFC 7517) that signed the receipts.
    public var keys: ReceiptKeySet
    public var receipts: [Entry]

    public init(portal: String, keys: ReceiptKeySet, receipts: [Entry]) {
        format = Self.formatName
        self.portal = portal
        self.keys = keys
        self.receipts = receipts
    }

    /// The export as written to a file: pretty JSON, keys sorted.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads an export.
    /// - Throws: `DecodingError` for anything that is not one.
    public static func decode(_ data: Data) throws -> ReceiptExport {
        let export = try JSONDecoder().decode(ReceiptExport.self, from: data)
        guard export.format == formatName else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not \(formatName)"))
        }
        return export
    }

    /// Each receipt's verdict against the keys in the export, in order.
    public func verify() async -> [ReceiptVerdict] {
        var verdicts: [ReceiptVerdict] = []
        for entry in receipts {
            verdicts.append(await ReceiptKeys.verify(entry.jws, keys: keys, text: entry.text, files: entry.files))
        }
        return verdicts
    }
}
