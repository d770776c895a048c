import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import PortalStore
import PortalStorePostgres
import PortalTestSupport
import PorttiModel
import Testing

/// Attachments and decision documents kept in the PostgreSQL database that every portal on it reads: what
/// one `portti serve` received, another sends on and a third serves, with no portal's folder involved.
@Suite struct SharedDocumentsTests {
    @Test func uploadOnA_sentThroughB_servedByC() async throws {
        let world = try await TwoPortals.start()
        defer { world.stop() }
        let (portti, officer, a, b) = (world.portti, world.officer, world.a, world.b)
        let c = try await offThePool {
            try PortalProcess(dataFolder: portti.folder.appending(path: "portal-c"), arguments: ["--database", world.database.url])
        }
        defer { c.kill() }
        let signIn = try await a.call(.POST, "/session", json: #"{"username":"aino","password":"correct horse battery"}"#)
        #expect(signIn.status == 200)
        let token = try #require(try jsonObject(signIn.body)["token"] as? String)
        let listed = try await b.call(.GET, "/applications", token: token)
        let application = try #require((try jsonObject(listed.body)["applications"] as? [[String: Any]])?.first?["id"] as? String)

        // Uploaded on A: 1 MiB, several of the database's chunks.
        let contract = Samples.pdf + Array(repeating: 0x20, count: 1 << 20)
        let uploaded = try await a.call(.POST, "/attachments?filename=contract.pdf", token: token, key: "up", binary: contract)
        #expect(uploaded.status == 201, "\(String(decoding: uploaded.body, as: UTF8.self))")
        let attachment = try jsonObject(uploaded.body)
        let attachmentID = try #require(attachment["id"] as? String)
        #expect(attachment["sha256"] as? String == sha256(contract))

        // Sent through B; A is gone; the receipt is read through C.
        let sent = try await b.call(.POST, "/applications/\(application)/messages", token: token, key: "send",
                                  json: #"{"message":"The contract.","attachmentIds":["\#(attachmentID)"]}"#)
        #expect(sent.status == 201, "\(String(decoding: sent.body, as: UTF8.self))")
        let number = try #require(try jsonObject(sent.body)["number"] as? String)
        a.kill()
        let receipt = try await c.call(.GET, "/receipts/\(number)", token: token)
        #expect(receipt.status == 200)
        let files = try jsonObject(receipt.body)["files"] as? [[String: Any]]
        #expect(files?.first?["sha256"] as? String == sha256(contract))
        // The bytes are in the database, whole, under the digest the receipt shows.
        #expect(try await documentInDatabase(world.database, sha256(contract)) == contract)

        // A decision document recorded by the officer's CLI on the database, downloaded through C.
        let decision = String(decoding: Samples.pdf, as: UTF8.self) + String(repeating: "%\n", count: 200_000)
        let document = try portti.file("decision.pdf", decision)
        let decided = try await portti.run(["officer", "decide", application, "--text", "Granted.", "--document", document] + officer)
        #expect(decided.status == 0, "\(decided.err)")
        let detail = try await c.call(.GET, "/applications/\(application)", token: token)
        let decisionID = try #require(try jsonObject(detail.body)["decisionId"] as? String)
        let downloaded = try await c.call(.GET, "/decisions/\(decisionID)/document", token: token)
        #expect(downloaded.status == 200)
        #expect(sha256(downloaded.body) == sha256(Array(decision.utf8)))

        // No portal kept a document in its own folder.
        for folder in ["portal-a", "portal-b", "portal-c", "data"] {
            let documents = portti.folder.appending(path: "\(folder)/documents")
            let kept = (FileManager.default.enumerator(atPath: documents.path)?.allObjects as? [String] ?? [])
                .filter { $0.count == 2 + 1 + 64 }
            #expect(kept.isEmpty, "\(folder) kept \(kept)")
        }
    }

    /// The document's content read from the database, by a store instance of the test's own.
    private func documentInDatabase(_ database: PostgresTestDatabase, _ digest: String) async throws -> [UInt8]? {
        let store = try await PostgresPortalStore.open(configuration: database.configuration)
        let pool = Task { try await store.run() }
        defer { pool.cancel() }
        return try await content(store.documents, digest)
    }
}

extension PortalProcess {
    /// Answers the status and the body of one request to this portal's API.
    func call(
        _ method: HTTPMethod, _ path: String, token: String? = nil, key: String? = nil, json: String? = nil,
        binary: [UInt8]? = nil
    ) async throws -> (status: UInt, body: [UInt8]) {
        var request = HTTPClientRequest(url: url.absoluteString + "/api/v1" + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let key { request.headers.add(name: "Idempotency-Key", value: key) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array(json.utf8))
        }
        if let binary {
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.body = .bytes(binary)
        }
        let response = try await HTTPClient.forTests.execute(request, timeout: .seconds(30))
        return (response.status.code, Array(buffer: try await response.body.collect(upTo: 8 << 20)))
    }
}

/// A JSON object's fields.
func jsonObject(_ body: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
}

func sha256(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

/// A kept document's content, read whole; nil when it is not kept.
func content(_ documents: any DocumentStorage, _ digest: String) async throws -> [UInt8]? {
    guard let content = try await documents.open(sha256: digest) else { return nil }
    var bytes: [UInt8] = []
    for try await chunk in content.chunks { bytes += chunk }
    return bytes
}
