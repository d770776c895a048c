import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Foundation
import PortalTestSupport
import PorttiModel
import Synchronization
import Testing

/// Several `portti serve` processes over one real PostgreSQL database, and the officer's CLI on the same
/// database: what one instance receives, another serves.
@Suite struct SeveralPortalsTests {
    struct Instance {
        let process: PortalProcess
        var base: String { process.url.absoluteString + "/api/v1" }
    }

    func call(
        _ instance: Instance, _ method: HTTPMethod, _ path: String, token: String? = nil, key: String? = nil, json: String? = nil
    ) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: instance.base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let key { request.headers.add(name: "Idempotency-Key", value: key) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array(json.utf8))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    @Test func twoPortalsOnOneDatabase_serveOneRecord() async throws {
        let database = try await PostgresServer.makeDatabase()
        let portti = try Portti()
        defer { portti.remove() }
        let password = try portti.file("password", "correct horse battery\n")
        let officer = ["--database", database.url]
        let created = try await portti.run(["officer", "create-applicant", "--username", "aino", "--name", "Aino",
                                            "--password-file", password, "--bcrypt-cost", "4"] + officer)
        #expect(created.status == 0, "\(created.err)")
        #expect(try await portti.run(["officer", "create-application", "--username", "aino", "--type", "citizenship"] + officer).status == 0)

        let folders = (0..<2).map { _ in FileManager.default.temporaryDirectory.appending(path: "portti-pg-\(UUID().uuidString)") }
        defer { for folder in folders { try? FileManager.default.removeItem(at: folder) } }
        let (a, b) = try await offThePool {
            (try PortalProcess(dataFolder: folders[0], arguments: ["--database", database.url]),
             try PortalProcess(dataFolder: folders[1], arguments: ["--database", database.url]))
        }
        defer { a.kill(); b.kill() }
        let first = Instance(process: a), second = Instance(process: b)

        // Signed in on A, served on B.
        let signIn = try await call(first, .POST, "/session", json: #"{"username":"aino","password":"correct horse battery"}"#)
        #expect(signIn.status == 200, "\(signIn.body)")
        let token = try #require(try JSONSerialization.jsonObject(with: Data(signIn.body.utf8)) as? [String: Any])["token"] as? String
        let listed = try await call(second, .GET, "/applications", token: token)
        #expect(listed.status == 200)
        let applications = try #require(try JSONSerialization.jsonObject(with: Data(listed.body.utf8)) as? [String: Any])["applications"] as? [[String: Any]]
        let application = try #require(applications?.first?["id"] as? String)

        // The same send raced on A and B: one message, one receipt.
        let json = #"{"message":"New address: Mannerheimintie 1","attachmentIds":[]}"#
        async let onA = call(first, .POST, "/applications/\(application)/messages", token: token, key: "raced", json: json)
        async let onB = call(second, .POST, "/applications/\(application)/messages", token: token, key: "raced", json: json)
        let (answerA, answerB) = try await (onA, onB)
        #expect(answerA.status == 201 && answerB.status == 201, "\(answerA) \(answerB)")
        let number = { (body: String) in (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["number"] as? String }
        #expect(number(answerA.body) != nil && number(answerA.body) == number(answerB.body))
        let messages = try await portti.run(["officer", "messages", "--json"] + officer)
        #expect(messages.out.components(separatedBy: "Mannerheimintie").count == 2, "one message: \(messages.out)")

        // A stream open on B hears what the officer's CLI writes, through LISTEN/NOTIFY (no portal polls).
        let signIn2 = try await call(first, .POST, "/session", json: #"{"username":"aino","password":"correct horse battery"}"#)
        let streamToken = try #require((try JSONSerialization.jsonObject(with: Data(signIn2.body.utf8)) as? [String: Any])?["token"] as? String)
        var streamRequest = HTTPClientRequest(url: second.base + "/notifications/stream")
        streamRequest.headers.add(name: "Authorization", value: "Bearer \(streamToken)")
        let streamResponse = try await HTTPClient.shared.execute(streamRequest, timeout: .seconds(60))
        let heard = Heard()
        let reader = Task {
            for try await chunk in streamResponse.body { heard.append(String(buffer: chunk)) }
        }
        defer { reader.cancel() }
        try await within(10, "B's stream to open") { try await heard.wait(for: "event: open") }
        let issued = try await portti.run(["officer", "request", application, "--text", "Send your passport.",
                                           "--deadline", "2099-01-01"] + officer)
        #expect(issued.status == 0, "\(issued.err)")
        try await within(5, "the officer's request on B's stream") { try await heard.wait(for: "event: notification") }
        #expect(heard.text.contains("request_sent"), "\(heard.text)")

        // Signed out on A: the token ends on B too, and B's stream ends at once.
        #expect(try await call(first, .DELETE, "/session", token: streamToken).status == 204)
        #expect(try await call(second, .GET, "/applications", token: streamToken).status == 401)
        try await within(5, "B's stream to end after sign-out on A") { _ = try await reader.value }

        // The throttle is shared: wrong passwords alternating between A and B count together, so two portals
        // do not give twice the guesses.
        let wrong = #"{"username":"aino","password":"wrong"}"#
        for attempt in 0..<5 {
            let answer = try await call(attempt.isMultiple(of: 2) ? first : second, .POST, "/session", json: wrong)
            #expect(answer.status == 401, "attempt \(attempt): \(answer)")
        }
        let slowed = try await call(second, .POST, "/session", json: #"{"username":"aino","password":"correct horse battery"}"#)
        #expect(slowed.status == 429, "\(slowed)")

        // Signed out on B: the token ends on A too.
        #expect(try await call(second, .DELETE, "/session", token: token).status == 204)
        #expect(try await call(first, .GET, "/applications", token: token).status == 401)
    }
}

/// What a stream has sent so far.
final class Heard: Sendable {
    private let received = Mutex("")
    var text: String { received.withLock { $0 } }
    func append(_ chunk: String) { received.withLock { $0 += chunk } }
    /// Returns once `words` have arrived (bounded by the caller's `within`).
    func wait(for words: String) async throws {
        while !text.contains(words) { try await Task.sleep(for: .milliseconds(20)) }
    }
}
