import Crypto
import Foundation
import PorttiModel

package enum Fingerprint {
    /// A SHA-256 over length-prefixed parts, so that no two different part lists collide by concatenation.
    package static func of(_ parts: [String]) -> String {
        var hasher = SHA256()
        for part in parts {
            let bytes = Array(part.utf8)
            hasher.update(data: Array("\(bytes.count):".utf8))
            hasher.update(data: bytes)
        }
        return hasher.finalize().hexString
    }
}

package enum Identifier {
    /// A new random, unguessable id with a readable prefix (122 random bits).
    package static func make(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }
}

/// The conversation id of the applicant's message: made from its receipt number (`message_2026-00000042`), so
/// every message received before conversations existed has one too. The authority's messages have random
/// ids (`message_` and 32 hexadecimal digits), which never hold a "-".
package enum ApplicantMessageID {
    package static func of(receiptNumber: String) -> String { "message_" + receiptNumber }

    /// The receipt number inside an applicant message's id; nil for any other id.
    package static func receiptNumber(in id: String) -> String? {
        guard id.hasPrefix("message_"), id.contains("-") else { return nil }
        return String(id.dropFirst("message_".count))
    }
}

/// The order a conversation is shown in, the same in every store.
package enum Conversation {
    /// Oldest first; at the same moment the applicant's message before the authority's (an answer never comes
    /// before its question), then by id.
    package static func inOrder(_ messages: [Message]) -> [Message] {
        messages.sorted {
            ($0.sentAt, $0.direction == .fromApplicant ? 0 : 1, $0.id) < ($1.sentAt, $1.direction == .fromApplicant ? 0 : 1, $1.id)
        }
    }
}
