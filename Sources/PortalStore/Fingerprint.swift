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
