import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime
@_exported import PortalAPI
import PortalServer
import PortalStore
import PorttiModel
import HTTPTypes
import ServiceLifecycle

/// A clock the test moves by hand, for expiring sessions and passing deadlines.
public final class TestClock: Sendable {
    public init() {}
    private let current = NIOLockedValueBox(Date())
    public var now: Date { current.withLockedValue { $0 } }
    public func advance(by interval: TimeInterval) { current.withLockedValue { $0 += interval } }
}

/// What the portal logged at warning or above (or the level `TestPortal.start` is given), for tests that check what is logged and what is not.
public final class LogRecord: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    public init() {}
    public var entries: [String] { lines.withLockedValue { $0 } }
    func append(_ line: String) { lines.withLockedValue { $0.append(line) } }
}

struct RecordingLogHandler: LogHandler {
    let record: LogRecord
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        record.append("\(event.level): \(event.message)")
        FileHandle.standardError.write(Data("test.portal \(event.level): \(event.message)\n".utf8))
    }
}

/// The real portal server on a free loopback port, with a real SQLite file in a temporary folder.
public final class TestPortal: Sendable {
    public let folder: URL
    public let configuration: PortalConfiguration
    public let store: SQLitePortalStore
    public let clock: TestClock
    public let port: Int
    /// Warnings and errors the portal logged.
    public let logs: LogRecord
    private let running: Task<Void, any Error>
    private let services: ServiceGroup

    public static let password = "correct horse battery"

    /// Starts a portal; `folder` reuses an earlier portal's data (a restart).
    public static func start(
        folder: URL? = nil, clock: TestClock = TestClock(), port: Int = 0, logLevel: Logger.Level = .warning,
        adjust: (inout PortalConfiguration) -> Void = { _ in }
    ) async throws -> TestPortal {
        let folder = folder ?? FileManager.default.temporaryDirectory.appending(path: "portti-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var configuration = PortalConfiguration(dataFolder: folder)
        configuration.bcryptCost = 4
        configuration.notificationPollInterval = .milliseconds(100)
        adjust(&configuration)
        let store = try SQLitePortalStore(path: configuration.databasePath)
        let logs = LogRecord()
        var logger = Logger(label: "test.portal", factory: { _ in RecordingLogHandler(record: logs) })
        logger.logLevel = logLevel
        // Not port 0: a port the kernel picks may be given to another test's portal while this one restarts. A
        // port chosen here may be taken before the portal binds it (another test chose it too): then another.
        for attempt in 1...5 {
            if port == 0 { configuration.port = LoopbackPort.free() } else { configuration.port = port }
            let (ports, portContinuation) = AsyncStream<Int>.makeStream()
            let app = try await buildPortal(
                configuration: configuration, store: store, logger: logger, clock: { clock.now },
                onServerRunning: { port in portContinuation.yield(port) })
            let services = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
            let running = Task {
                defer { portContinuation.finish() }  // a portal that never listened ends the wait for its port
                try await services.run()
            }
            var iterator = ports.makeAsyncIterator()
            if let bound = await iterator.next() {
                return TestPortal(
                    folder: folder, configuration: configuration, store: store, clock: clock, port: bound, logs: logs,
                    running: running, services: services)
            }
            if port != 0 || attempt == 5 {
                try await running.value
                throw CancellationError()
            }
        }
        throw CancellationError()
    }

    private init(
        folder: URL, configuration: PortalConfiguration, store: SQLitePortalStore, clock: TestClock, port: Int,
        logs: LogRecord, running: Task<Void, any Error>, services: ServiceGroup
    ) {
        self.logs = logs
        self.services = services
        self.folder = folder
        self.configuration = configuration
        self.store = store
        self.clock = clock
        self.port = port
        self.running = running
    }

    /// The portal's address, as an applicant configures it.
    public var portalURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)\(portalAPIBasePath)")! }

    /// Stops the portal as `portti serve` stops on SIGTERM: gracefully, finishing what is under way.
    public func stop() async {
        await services.triggerGracefulShutdown()
        _ = try? await running.value
    }

    public func removeData() { try? FileManager.default.removeItem(at: folder) }

    /// A client of the generated API, signed in with `token` when given.
    public func client(token: String? = nil) -> Client {
        Client(
            serverURL: baseURL,
            transport: AsyncHTTPClientTransport(configuration: .init(client: .forTests, timeout: .seconds(30))),
            middlewares: token.map { [BearerToken(token: $0)] } ?? [])
    }

    /// Creates an applicant through the officer's side and signs them in.
    public func signedInApplicant(_ username: String) async throws -> SignedInApplicant {
        let hash = try await Passwords.hash(Self.password, cost: 4)
        let applicant = try await store.createApplicant(
            username: username, displayName: username.capitalized, passwordHash: hash, now: clock.now)
        let output = try await client().signIn(body: .json(.init(username: username, password: Self.password)))
        let token = try output.ok.body.json.token
        return SignedInApplicant(applicant: applicant, token: token, client: client(token: token))
    }

    /// A raw HTTP call, for what the generated client would never send.
    public func raw(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, headers: [String: String] = [:],
        body: [UInt8]? = nil
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: baseURL.absoluteString + path)
        request.method = .init(rawValue: method.rawValue)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        let response = try await HTTPClient.forTests.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }
}

public struct SignedInApplicant: Sendable {
    public let applicant: Applicant
    public let token: String
    public let client: Client
}

public struct BearerToken: ClientMiddleware {
    public let token: String
    public func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.authorization] = "Bearer \(token)"
        return try await next(request, body, baseURL)
    }
}

/// Runs `body` with a fresh portal and always stops it and removes its data.
public func withPortal<T>(
    adjust: (inout PortalConfiguration) -> Void = { _ in }, _ body: (TestPortal) async throws -> T
) async throws -> T {
    let portal = try await TestPortal.start(adjust: adjust)
    do {
        let result = try await body(portal)
        await portal.stop()
        portal.removeData()
        return result
    } catch {
        await portal.stop()
        portal.removeData()
        throw error
    }
}

public enum Samples {
    public static let pdf = Array(DemoData.minimalPDF(title: "Employment contract").utf8)
    public static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 100)
    public static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 1, count: 100)
    /// A ZIP (the start of a .docx), whatever name it is given.
    public static let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0, count: 100)
}

extension Client {
    /// Uploads bytes as a file named `name` with a fresh idempotency key unless one is given.
    public func upload(_ bytes: [UInt8], name: String, key: String = UUID().uuidString) async throws
        -> Operations.UploadAttachment.Output
    {
        try await uploadAttachment(
            query: .init(filename: name), headers: .init(idempotencyKey: key), body: .binary(HTTPBody(bytes)))
    }
}

extension Components.Responses.Problem {
    public var code: String? { if case .json(let problem) = body { problem.code } else { nil } }
}
