import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Foundation
import PortalDeployment
import PortalServer
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
        let (status, body) = try await instance.process.call(method, path, token: token, key: key, json: json)
        return (status, String(decoding: body, as: UTF8.self))
    }

    /// Opens the notification stream on `instance` and returns once its first event (`open`) has arrived, with
    /// what it hears and the task reading it (cancel it to close the stream).
    func openStream(on instance: Instance, token: String) async throws -> (Heard, Task<Void, any Error>) {
        var request = HTTPClientRequest(url: instance.base + "/notifications/stream")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.forTests.execute(request, timeout: .seconds(120))
        let heard = Heard()
        let reader = Task {
            for try await chunk in response.body { heard.append(String(buffer: chunk)) }
        }
        do {
            try await within(10, "the stream on \(instance.base) to open") { try await heard.wait(for: "event: open") }
        } catch {
            reader.cancel()
            throw error
        }
        return (heard, reader)
    }

    /// A connection kept open to a portal must retire before the portal closes it for idleness, or a request
    /// sent on it as it closes fails (`remoteConnectionClosed`, seen on a loaded CI machine): so nginx's and the
    /// tests' idle timeouts are shorter than the portal's.
    @Test func keptConnections_retireBeforeThePortalClosesThem() throws {
        let portalCloses = PortalConfiguration(dataFolder: URL(filePath: "/tmp/x")).requestHeadTimeout
        let nginx = NginxConfiguration.forPortals(listenPort: 1, portalPorts: [2, 3], folder: "/tmp/x")
        let match = try #require(nginx.firstMatch(of: /keepalive_timeout (\d+)s;/), "nginx keeps connections: \(nginx)")
        #expect(Duration.seconds(Int(match.1)!) < portalCloses)
        #expect(testsIdleTimeout < TimeAmount(portalCloses))
    }

    @Test func twoPortalsOnOneDatabase_serveOneRecord() async throws {
        let world = try await TwoPortals.start()
        defer { world.stop() }
        let (portti, officer, a, b) = (world.portti, world.officer, world.a, world.b)
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
        let (heard, reader) = try await openStream(on: second, token: streamToken)
        defer { reader.cancel() }
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
        // do not give twice the guesses (ten, five each). After the five free ones, an attempt must wait 1 s after
        // the last failure, then 2, 4, 8: on a loaded machine an attempt can come after the first wait, never all.
        let wrong = #"{"username":"aino","password":"wrong"}"#
        var statuses: [UInt] = []
        for attempt in 0..<9 where !statuses.contains(429) {
            statuses.append(try await call(attempt.isMultiple(of: 2) ? first : second, .POST, "/session", json: wrong).status)
        }
        #expect(statuses.prefix(5) == [401, 401, 401, 401, 401] && statuses.last == 429, "\(statuses)")

        // Signed out on B: the token ends on A too.
        #expect(try await call(second, .DELETE, "/session", token: token).status == 204)
        #expect(try await call(first, .GET, "/applications", token: token).status == 401)
    }

    /// One of two portals behind nginx is killed (SIGKILL) while eight applicants' sends go on: each client
    /// goes on through the other (retrying, then from its outbox), and every message arrives exactly once.
    @Test func onePortalKilledDuringSends_everyMessageArrivesOnce() async throws {
        let world = try await TwoPortals.start()
        defer { world.stop() }
        let (portti, officer, a, b, password) = (world.portti, world.officer, world.a, world.b, world.password)
        let listed = try await portti.run(["officer", "applications", "--username", "aino", "--json"] + officer)
        let application = try #require((try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as? [[String: Any]])?.first?["id"] as? String)
        let balancer = try LoadBalancer(upstreams: [a.port, b.port])
        defer { balancer.stop() }
        let home = portti.folder.appending(path: "home")
        let environment = [
            "PORTTI_URL": balancer.url, "XDG_DATA_HOME": home.appending(path: "data").path,
            "XDG_STATE_HOME": home.appending(path: "state").path, "XDG_CONFIG_HOME": home.appending(path: "config").path,
            "HOME": home.path,
        ]
        try await within(20, "nginx to answer") {
            while try await portti.run(["sign-in", "--username", "aino", "--password-file", password], environment: environment, portalData: false).status != 0 {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let attachment = try portti.file("contract.pdf", String(decoding: Samples.pdf + Array(repeating: 0x20, count: 512 * 1024), as: UTF8.self))
        let texts = (0..<8).map { "Message \($0) of the test" }
        let sends = try texts.enumerated().map { index, text in
            let file = try portti.file("m\(index).txt", text)
            return Task { try await portti.run(["send", application, "--message-file", file, "--attach", attachment], environment: environment, portalData: false) }
        }
        // Killed once the first message is in: the rest are under way.
        try await within(60, "a first message to arrive") {
            while !(try await portti.run(["officer", "messages", "--json"] + officer).out.contains("of the test")) {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        a.kill()
        for send in sends { _ = try await send.value }
        // What could not be sent waits in the outbox: sent, once, by the next command.
        try await within(120, "the outbox to empty") {
            while try await portti.run(["outbox", "--send"], environment: environment, portalData: false).status != 0 {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let messages = try await portti.run(["officer", "messages", "--json"] + officer).out
        for text in texts {
            #expect(messages.components(separatedBy: text).count == 2, "\(text) arrived once: \(messages)")
        }
    }
}


/// PostgreSQL stopped and started again under two portals: while it is down the portals answer at once that
/// the database is away (503, `storage_unavailable`, `Retry-After`) and keep their streams open; once it is
/// back, what the officer's CLI writes reaches a stream opened before the restart, and both portals answer.
@Suite struct DatabaseRestartTests {
    @Test func databaseRestarted_openStreamHearsTheOfficer_andPortalsAnswer() async throws {
        let server = try await PostgresServer.startOwn()
        let world = try await TwoPortals.start(on: server)
        defer { world.stop() }
        let (portti, officer) = (world.portti, world.officer)
        let first = SeveralPortalsTests.Instance(process: world.a), second = SeveralPortalsTests.Instance(process: world.b)
        let portals = SeveralPortalsTests()
        let signIn = try await portals.call(first, .POST, "/session", json: #"{"username":"aino","password":"correct horse battery"}"#)
        let token = try #require((try JSONSerialization.jsonObject(with: Data(signIn.body.utf8)) as? [String: Any])?["token"] as? String)
        let listed = try await portals.call(second, .GET, "/applications", token: token)
        let application = try #require(((try JSONSerialization.jsonObject(with: Data(listed.body.utf8)) as? [String: Any])?["applications"] as? [[String: Any]])?.first?["id"] as? String)

        let (heard, reader) = try await portals.openStream(on: second, token: token)
        defer { reader.cancel() }

        // Down: each portal notices when its listening connection closes, and says so rather than waiting.
        try await server.stop()
        for instance in [first, second] {
            let answer: Answer = try await within(20, "\(instance.base) to answer 503 while the database is down") {
                while true {
                    // A request that met the pool just before the portal noticed waits in it; it is left behind.
                    if let answer = try? await Self.get(instance, "/applications", token: token, timeout: .seconds(2)),
                       answer.status != 200 {
                        return answer
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(answer.status == 503, "\(answer)")
            #expect(answer.body.contains("storage_unavailable"), "\(answer.body)")
            #expect(answer.retryAfter == "5")
        }
        #expect(try await Self.get(second, "/health", token: nil, timeout: .seconds(5)).status == 200)

        // Up again on the same port: the officer's CLI writes, and the stream opened before hears it.
        try await server.startAgain()
        let issued = try await portti.run(["officer", "request", application, "--text", "Send your passport.",
                                           "--deadline", "2099-01-01"] + officer)
        #expect(issued.status == 0, "\(issued.err)")
        try await within(20, "the officer's request on B's stream after the restart") {
            try await heard.wait(for: "event: notification")
        }
        #expect(heard.text.contains("request_sent"), "\(heard.text)")
        for instance in [first, second] {
            try await within(20, "\(instance.base) to answer again") {
                while try await Self.get(instance, "/applications", token: token, timeout: .seconds(5)).status != 200 {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        try await server.stop()
    }

    typealias Answer = (status: UInt, body: String, retryAfter: String?)

    static func get(_ instance: SeveralPortalsTests.Instance, _ path: String, token: String?, timeout: TimeAmount)
        async throws -> Answer
    {
        var request = HTTPClientRequest(url: instance.base + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.forTests.execute(request, timeout: timeout)
        return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 20)),
                response.headers.first(name: "Retry-After"))
    }
}

/// A new database with aino and an application of hers (made by the officer's CLI on it), and two
/// `portti serve` on it, each with a data folder of its own.
struct TwoPortals {
    let database: PostgresTestDatabase
    let portti: Portti
    let password: String
    let officer: [String]
    let a: PortalProcess
    let b: PortalProcess

    /// - Parameter server: the PostgreSQL server to make the database on; the shared one when nil.
    static func start(on server: PostgresServer? = nil) async throws -> TwoPortals {
        let server = if let server { server } else { try await PostgresServer.shared() }
        let database = try await server.makeDatabase()
        let portti = try Portti()
        let password = try portti.file("password", "correct horse battery\n")
        let officer = ["--database", database.url]
        let created = try await portti.run(["officer", "create-applicant", "--username", "aino", "--name", "Aino",
                                            "--password-file", password, "--bcrypt-cost", "4"] + officer)
        #expect(created.status == 0, "\(created.err)")
        #expect(try await portti.run(["officer", "create-application", "--username", "aino", "--type", "citizenship"] + officer).status == 0)
        let folder = portti.folder
        let (a, b) = try await offThePool {
            (try PortalProcess(dataFolder: folder.appending(path: "portal-a"), arguments: ["--database", database.url]),
             try PortalProcess(dataFolder: folder.appending(path: "portal-b"), arguments: ["--database", database.url]))
        }
        return TwoPortals(database: database, portti: portti, password: password, officer: officer, a: a, b: b)
    }

    func stop() {
        a.kill()
        b.kill()
        portti.remove()
    }
}

/// nginx from Debian in front of two portals, as the README's set-up (`NginxConfiguration`): streams
/// unbuffered, uploads streamed, connections to the portals kept open.
final class LoadBalancer {
    let folder: URL
    let port: Int
    private let process: ChildProcess

    init(upstreams: [Int]) throws {
        guard let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"].first(where: FileManager.default.isExecutableFile(atPath:))
        else { throw LoadBalancerMissing() }
        let folder = FileManager.default.temporaryDirectory.appending(path: "portti-nginx-\(UUID().uuidString)")
        self.folder = folder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Below the kernel's range for port 0, where another test's client could take it meanwhile.
        let port = LoopbackPort.free()
        self.port = port
        try NginxConfiguration.forPortals(listenPort: port, portalPorts: upstreams, folder: folder.path)
            .write(to: folder.appending(path: "nginx.conf"), atomically: true, encoding: .utf8)
        process = try ChildProcess(binary, ["-p", folder.path, "-c", folder.appending(path: "nginx.conf").path],
                                   captureOutput: false, captureErrors: false)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: folder)
    }
}

struct LoadBalancerMissing: Error, CustomStringConvertible {
    var description: String { "nginx is not installed: apt-get install -y nginx-light (.ci/run installs it)" }
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

/// What an operator is told when the database URL is wrong or the database cannot be used: exit 64 for a URL
/// that is not one, exit 3 with the server's own reason for one that cannot be used, never a stack trace, and
/// never the password.
@Suite struct DatabaseChoiceTests {
    @Test func aWrongURL_orAnUnusableDatabase_isSaidPlainly() async throws {
        let database = try await PostgresServer.makeDatabase()
        let portti = try Portti()
        defer { portti.remove() }
        func serve(_ url: String) async throws -> (status: Int32, err: String) {
            let result = try await portti.run(["serve", "--port", "0", "--database", url])
            return (result.status, result.err)
        }
        for url in ["mysql://x", "garbage", "postgres://pg@127.0.0.1:5432", "postgres://pg@127.0.0.1:99999/portal",
                    "postgres://pg:s3cret@x y/z"] {
            let answer = try await serve(url)
            #expect(answer.status == 64, "\(url): \(answer.err)")
            #expect(answer.err.contains("Not a PostgreSQL URL"), "\(url): \(answer.err)")
            #expect(!answer.err.contains("s3cret"), "the password is never shown: \(answer.err)")
        }
        let started = ContinuousClock.now
        let noSuchDatabase = try await serve("postgres://\(database.username):s3cret@127.0.0.1:\(database.port)/no_such_database")
        #expect(noSuchDatabase.status == 3)
        #expect(noSuchDatabase.err.contains("database \"no_such_database\" does not exist"), "\(noSuchDatabase.err)")
        #expect(!noSuchDatabase.err.contains("s3cret"))
        let noSuchRole = try await serve("postgres://nobody@127.0.0.1:\(database.port)/\(database.name)")
        #expect(noSuchRole.status == 3)
        #expect(noSuchRole.err.contains("role \"nobody\" does not exist"), "\(noSuchRole.err)")
        #expect(ContinuousClock.now - started < .seconds(8), "the server's refusals are told at once, not after the patience")
        for answer in [noSuchDatabase, noSuchRole] { #expect(!answer.err.contains("Fatal error") && !answer.err.contains("Stack")) }
    }
}
