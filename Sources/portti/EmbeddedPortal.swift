import ApplicantStore
import Foundation
import Logging
import PortalServer
import PortalStore
import PorttiModel
import Synchronization

/// The portal started inside `portti` when none is configured: on 127.0.0.1 at a free port, over demo data in
/// its own folder, so a newcomer sees every flow at once. It never takes the terminal's signals and logs to a
/// file, because the screen belongs to the terminal UI.
struct EmbeddedPortal: Sendable {
    let url: URL
    let folder: URL
    private let running: Task<Void, Never>

    static func folder(_ environment: [String: String]) -> URL {
        XDG.dataHome(environment).appending(path: "portti/demo-portal", directoryHint: .isDirectory)
    }

    /// The file that keeps the port of the last start: the next start takes it again, and the applicant's
    /// commands find the demo portal there when nothing else is configured.
    static func portFile(_ folder: URL) -> URL { folder.appending(path: "port") }

    /// The port the demo portal in `folder` had when it last started; nil when it never started.
    static func lastPort(_ folder: URL) -> Int? {
        (try? String(contentsOf: portFile(folder), encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    static func start(environment: [String: String], logFile: URL) async throws -> EmbeddedPortal {
        let folder = folder(environment)
        try createDataFolder(folder)
        var configuration = PortalConfiguration(dataFolder: folder)
        // The same port as last time, when free: the applicant's records (drafts, outbox, receipts) are kept
        // per portal address, so a demo on a new port each start would forget them.
        configuration.port = lastPort(folder) ?? 0
        adoptRecordsKeptByPort(lastPort(folder), environment: environment)
        let store = try SQLitePortalStore(path: configuration.databasePath)
        try await DemoData.seed(store: store, documents: DocumentVault(folder: configuration.documentsFolder))
        let logger = Logger(label: "portti.embedded-portal") { label in
            SanitizedLogHandler(wrapped: FileLogHandler(label: label, file: logFile))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var iterator = ports.makeAsyncIterator()
        for attempt in 0..<2 {
            if attempt == 1 { configuration.port = 0 }  // the old port is taken: any free one
            let portal = try await buildPortal(
                configuration: configuration, store: store, logger: logger,
                onServerRunning: { continuation.yield($0) })
            let running = Task {
                do { try await portal.runService(gracefulShutdownSignals: []) } catch { continuation.yield(-1) }
            }
            guard let port = await iterator.next(), port > 0 else { continue }
            try? String(port).write(to: portFile(folder), atomically: true, encoding: .utf8)
            return EmbeddedPortal(url: URL(string: "http://127.0.0.1:\(port)")!, folder: folder, running: running)
        }
        throw CancellationError()
    }

    /// Records kept before the demo portal had an identity of its own were kept under its address
    /// (`accounts/127.0.0.1-PORT`, `sessions/127.0.0.1-PORT.json`): they become the demo's, once, unless it
    /// already has records.
    static func adoptRecordsKeptByPort(_ port: Int?, environment: [String: String]) {
        guard let port, let old = URL(string: "http://127.0.0.1:\(port)") else { return }
        let oldAccounts = ApplicantStore.accountsFolder(PortalIdentity(old), environment: environment)
        let demoAccounts = ApplicantStore.accountsFolder(.demo, environment: environment)
        if FileManager.default.fileExists(atPath: oldAccounts.path), !FileManager.default.fileExists(atPath: demoAccounts.path) {
            try? FileManager.default.moveItem(at: oldAccounts, to: demoAccounts)
        }
        let oldSession = SessionFile(portal: PortalIdentity(old), environment: environment).path
        let demoSession = SessionFile(portal: .demo, environment: environment).path
        if FileManager.default.fileExists(atPath: oldSession), !FileManager.default.fileExists(atPath: demoSession) {
            try? FileManager.default.moveItem(atPath: oldSession, toPath: demoSession)
        }
    }

    func stop() async {
        running.cancel()
        _ = try? await running.value
    }
}

/// swift-log lines appended to a file (under `$XDG_STATE_HOME/portti/`), never to the screen.
struct FileLogHandler: LogHandler {
    let label: String
    private let sink: Sink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    final class Sink: Sendable {
        private let handle: Mutex<FileHandle?>
        init(_ file: URL) {
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: file.path) {
                FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            let handle = try? FileHandle(forWritingTo: file)
            _ = try? handle?.seekToEnd()
            self.handle = Mutex(handle)
        }
        func write(_ line: String) { handle.withLock { try? $0?.write(contentsOf: Data(line.utf8)) } }
    }

    init(label: String, file: URL) {
        self.label = label
        sink = Sink(file)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let time = Date().formatted(.iso8601)
        sink.write("\(time) \(event.level) \(label): \(event.message)\n")
    }
}
