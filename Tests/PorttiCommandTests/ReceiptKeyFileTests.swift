import Crypto
import Foundation
import PortalTestSupport
import ReceiptProof
import Testing

/// `portti serve --receipt-key FILE` with a key made by OpenSSL: receipts are signed with it, under its RFC 7638
/// thumbprint, the JWK Set publishes it, and it stays published (and signing) after a restart without the option,
/// since the portal keeps it in its store.
@Suite struct ReceiptKeyFileTests {
    @Test func serve_signsWithTheKeyFileGiven_andKeepsPublishingItAfterARestartWithoutIt() async throws {
        let portti = try Portti()
        defer { portti.remove() }
        #expect(try await portti.run(["demo"]).status == 0)
        let pem = portti.folder.appending(path: "receipt-key.pem").path
        let publicDER = portti.folder.appending(path: "receipt-key.pub.der").path
        let made = try await offThePool { try ChildProcess.run("/usr/bin/openssl", ["genpkey", "-algorithm", "ed25519", "-out", pem]) }
        #expect(made.status == 0, "\(made.errors)")
        let exported = try await offThePool {
            try ChildProcess.run("/usr/bin/openssl", ["pkey", "-in", pem, "-pubout", "-outform", "DER", "-out", publicDER])
        }
        #expect(exported.status == 0, "\(exported.errors)")
        // The SubjectPublicKeyInfo of an Ed25519 key ends with its 32 bytes.
        let publicKey = try Data(contentsOf: URL(filePath: publicDER)).suffix(32)
        try #require(publicKey.count == 32)
        let x = ReceiptKeys.base64URL(publicKey)
        // RFC 7638: SHA-256 of the required members in lexicographic order, no blanks.
        let thumbprint = ReceiptKeys.base64URL(Data(SHA256.hash(data: Data(#"{"crv":"Ed25519","kty":"OKP","x":"\#(x)"}"#.utf8))))

        let portal = try await offThePool {
            try PortalProcess(dataFolder: URL(filePath: portti.dataFolder), arguments: ["--receipt-key", pem])
        }
        defer { portal.kill() }
        let first = try await sendSigned(portal, "Signed with the key from the file.")
        #expect(ReceiptKeys.kid(of: first) == thumbprint, "the kid is the key's RFC 7638 thumbprint")
        #expect(try Self.verifies(first, publicKey: publicKey), "signed by the key in the PEM file")
        #expect(try await published(portal)[thumbprint] == x)

        // Restarted without the option: the key is still published, and still the one that signs.
        _ = try await offThePool { portal.terminate() }
        try await offThePool { try portal.start() }
        #expect(try await published(portal)[thumbprint] == x, "still published after a restart without --receipt-key")
        let second = try await sendSigned(portal, "Signed after a restart.")
        #expect(ReceiptKeys.kid(of: second) == thumbprint)
        #expect(try Self.verifies(second, publicKey: publicKey))
    }

    /// Signs in as the demo applicant, sends `text` about its first application, and answers the receipt's JWS.
    private func sendSigned(_ portal: PortalProcess, _ text: String) async throws -> String {
        let signIn = try await portal.call(.POST, "/session", json: #"{"username":"demo","password":"demo-portti"}"#)
        #expect(signIn.status == 200)
        let token = try #require(try jsonObject(signIn.body)["token"] as? String)
        let listed = try await portal.call(.GET, "/applications", token: token)
        let applications = try #require(try jsonObject(listed.body)["applications"] as? [[String: Any]])
        let application = try #require(applications.first?["id"] as? String)
        let sent = try await portal.call(.POST, "/applications/\(application)/messages", token: token, key: UUID().uuidString,
                                         json: #"{"message":"\#(text)","attachmentIds":[]}"#)
        #expect(sent.status == 201, "\(String(decoding: sent.body, as: UTF8.self))")
        return try #require(try jsonObject(sent.body)["signed"] as? String)
    }

    /// The JWK Set at /receipt-keys: each key's `x` by its `kid`.
    private func published(_ portal: PortalProcess) async throws -> [String: String] {
        let answer = try await portal.call(.GET, "/receipt-keys")
        #expect(answer.status == 200)
        let keys = try #require(try jsonObject(answer.body)["keys"] as? [[String: Any]])
        return keys.reduce(into: [:]) { published, key in
            if let kid = key["kid"] as? String { published[kid] = key["x"] as? String }
        }
    }

    /// Whether the compact JWS's signature is `publicKey`'s over its header and payload (RFC 7515, EdDSA).
    static func verifies(_ jws: String, publicKey: Data) throws -> Bool {
        let parts = jws.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = ReceiptKeys.base64URLDecoded(String(parts[2])) else { return false }
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        return key.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8))
    }
}
