import Foundation
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL 15 server for the tests: one per test process, started in a temporary folder on a free
/// loopback port by the first test that asks for a database, and stopped (its folder removed) when the
/// process ends, however it ends. Each test takes a database of its own, which is quick to make.
///
/// The server refuses to run as root, and the tests may run as root: then its programs run as the `postgres`
/// user (`runuser`), which owns the data folder. Without the server's programs every test that asks fails,
/// saying what to install.
public actor PostgresServer {
    /// Where Debian's `postgresql` package puts the server's programs (not on PATH).
    public static let binaries = URL(fileURLWithPath: "/usr/lib/postgresql/15/bin")
    /// The role the tests connect as (trusted, no password, on loopback only).
    public static let username = "portti"

    /// The server of this test process, started by the first call.
    /// - Throws: `PostgresServerError` when it cannot be started, to every caller.
    public static func shared() async throws -> PostgresServer {
        try await starting.value
    }

    private static let starting = Task { try await PostgresServer.start() }

    public nonisolated let port: Int
    private nonisolated let folder: URL
    /// The `postgres` process now serving, this process's child.
    private var server: ChildProcess

    private init(port: Int, folder: URL, server: ChildProcess) {
        self.port = port
        self.folder = folder
        self.server = server
    }

    /// A server of the test's own, on a port of its own: for a test that stops and restarts it, which would
    /// pull the shared server from under every other test running beside it. Stopped when the process ends.
    public static func startOwn() async throws -> PostgresServer {
        try await start()
    }

    private nonisolated var data: URL { folder.appending(path: "data") }
    private nonisolated var log: URL { folder.appending(path: "server.log") }

    /// Stops the server as an administrator would (`pg_ctl stop -m fast`: every connection is ended, open
    /// transactions rolled back) and returns once its process has ended. `startAgain()` restarts it.
    /// - Throws: `PostgresServerError.failed` when `pg_ctl` fails.
    public func stop() async throws {
        try await Self.run(Self.binaries.appending(path: "pg_ctl"), asServer: true,
                           ["-D", data.path, "-m", "fast", "-w", "stop"], in: folder)
        // pg_ctl waits for the server's pid file to go; its process may still be finishing.
        while server.isRunning { try await Task.sleep(for: .milliseconds(20)) }
    }

    /// Starts the stopped server again on its port, over the same data; returns once it accepts connections.
    /// - Throws: `PostgresServerError.failed` when it does not start (the port was taken meanwhile, say).
    public func startAgain() async throws {
        guard let again = try await Self.serve(data: data, port: port, log: log) else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw PostgresServerError.failed(command: "postgres -D \(data.path) -p \(port) (again)", output: output)
        }
        server = again
    }

    /// A new empty database on the shared server.
    public static func makeDatabase() async throws -> PostgresTestDatabase {
        try await shared().makeDatabase()
    }

    /// A new empty database, named uniquely.
    public func makeDatabase() async throws -> PostgresTestDatabase {
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await Self.run(Self.binaries.appending(path: "createdb"), clientArguments + [name], in: folder)
        return PostgresTestDatabase(host: "127.0.0.1", port: port, username: Self.username, name: name)
    }

    /// Removes a database, closing any connection still open to it.
    public func drop(_ database: PostgresTestDatabase) async throws {
        try await Self.run(Self.binaries.appending(path: "dropdb"), clientArguments + ["--force", database.name], in: folder)
    }

    private nonisolated var clientArguments: [String] {
        ["-h", "127.0.0.1", "-p", String(port), "-U", Self.username]
    }

    // MARK: Starting and stopping

    private static func start() async throws -> PostgresServer {
        for program in ["initdb", "postgres", "pg_ctl", "pg_isready", "createdb", "dropdb"]
        where !FileManager.default.isExecutableFile(atPath: binaries.appending(path: program).path) {
            throw PostgresServerError.notInstalled(missing: binaries.appending(path: program).path)
        }
        // The folder above the data folder must be readable by `postgres`; the data folder must be its own.
        let folder = FileManager.default.temporaryDirectory.appending(path: "portti-postgres-\(UUID().uuidString)")
        let data = folder.appending(path: "data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: data.path)
        if getuid() == 0 {
            guard let postgres = getpwnam("postgres") else { throw PostgresServerError.notInstalled(missing: "the postgres user") }
            guard chown(data.path, postgres.pointee.pw_uid, postgres.pointee.pw_gid) == 0 else {
                throw PostgresServerError.failed(command: "chown postgres \(data.path)", output: String(cString: strerror(errno)))
            }
        }
        // From here on the folder goes when the process ends, with the server if one started.
        try stopWhenThisProcessEnds(data: data, folder: folder)
        try await run(binaries.appending(path: "initdb"), asServer: true, [
            "-D", data.path, "-A", "trust", "-U", username, "-E", "UTF8", "--locale=C", "--no-sync",
        ], in: folder)
        // A free port can be taken by another program before the server binds it: then try another.
        let log = folder.appending(path: "server.log")
        for _ in 1...3 {
            let port = LoopbackPort.free()
            if let server = try await serve(data: data, port: port, log: log) {
                return PostgresServer(port: port, folder: folder, server: server)
            }
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw PostgresServerError.failed(command: "postgres -D \(data.path)", output: output)
    }

    /// Starts the server on `port` and answers its process once it accepts connections, or nil when it ended
    /// instead.
    ///
    /// The server is this process's child rather than pg_ctl's daemon, so that its end (a port taken) shows at
    /// once; the watchdog stops it when this process ends.
    private static func serve(data: URL, port: Int, log: URL) async throws -> ChildProcess? {
        let command = serverCommand([
            binaries.appending(path: "postgres").path, "-D", data.path, "-p", String(port), "-k", data.path,
            "-c", "listen_addresses=127.0.0.1",
            // Tests run side by side, each with pools of its own.
            "-c", "max_connections=300",
            // The data is thrown away at the end: nothing needs to reach the disk.
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        ])
        let server = try ChildProcess(command[0], Array(command.dropFirst()), captureOutput: false, captureErrors: false, log: log.path)
        // Ready is a condition, asked of the server itself until it says yes (it takes a fraction of a second).
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard server.isRunning else { return nil }
            let ready = try await outcome(of: binaries.appending(path: "pg_isready"), [
                "-q", "-h", "127.0.0.1", "-p", String(port), "-U", username, "-d", "postgres",
            ], in: data.deletingLastPathComponent())
            if ready.status == 0 { return server }
            try await Task.sleep(for: .milliseconds(20))
        }
        server.terminate()
        return nil
    }

    /// Starts a watchdog that stops the server and removes `folder` once this process has ended: it waits to
    /// read a pipe whose writing end only this process holds (close-on-exec, so no child inherits it, whoever
    /// spawns it), and the system closes that end at exit, normal or not.
    private static func stopWhenThisProcessEnds(data: URL, folder: URL) throws {
        var ends: [Int32] = [0, 0]
        // (Glibc's pipe2 is not visible to Swift: the flag is set just after, on both ends.)
        guard pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0 else {
            throw PostgresServerError.failed(command: "pipe", output: String(cString: strerror(errno)))
        }
        let stop = serverCommand([binaries.appending(path: "pg_ctl").path, "-D", data.path, "-m", "immediate", "stop"])
        defer { close(ends[0]) }
        // $0 is the folder, "$@" the command that stops the server. It outlives this process: nobody waits for it.
        _ = try ChildProcess("/bin/sh", ["-c", "read line; \"$@\" >/dev/null 2>&1; rm -rf \"$0\"", folder.path] + stop,
                             inputDescriptor: ends[0], captureOutput: false, captureErrors: false)
        // ends[1] stays open, unused, for the life of the process.
    }

    /// The command line that runs `command` as the server's owner.
    private static func serverCommand(_ command: [String]) -> [String] {
        getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + command : command
    }

    /// Runs a program to its end and fails unless it succeeds.
    private static func run(_ program: URL, asServer: Bool = false, _ arguments: [String], in folder: URL) async throws {
        let (status, output) = try await outcome(of: program, asServer: asServer, arguments, in: folder)
        guard status == 0 else {
            throw PostgresServerError.failed(command: ([program.path] + arguments).joined(separator: " "), output: output)
        }
    }

    /// Runs a program to its end, waited for on a thread of its own (not the cooperative pool's), and answers
    /// its exit status and output (errors after it).
    private static func outcome(of program: URL, asServer: Bool = false, _ arguments: [String], in folder: URL) async throws
        -> (status: Int32, output: String)
    {
        let command = asServer ? serverCommand([program.path] + arguments) : [program.path] + arguments
        let ended = try await ChildProcess.run(command[0], Array(command.dropFirst()), folder: folder.path)
        return (ended.status, ended.output + ended.errors)
    }
}

/// A database of the test server, and how to reach it.
public struct PostgresTestDatabase: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var username: String
    public var name: String

    /// The database as a URL, for what takes one (`postgres://portti@127.0.0.1:PORT/NAME`).
    public var url: String { "postgres://\(username)@\(host):\(port)/\(name)" }

    /// How postgres-nio's pool reaches it: TCP on loopback, no password, no TLS.
    public var configuration: PostgresClient.Configuration {
        PostgresClient.Configuration(host: host, port: port, username: username, password: nil, database: name, tls: .disable)
    }
}

public enum PostgresServerError: Error, CustomStringConvertible {
    case notInstalled(missing: String)
    case failed(command: String, output: String)

    public var description: String {
        switch self {
        case .notInstalled(let missing):
            "PostgreSQL 15 is needed for these tests and \(missing) is missing: apt-get install -y postgresql"
        case .failed(let command, let output):
            "\(command) failed:\n\(output)"
        }
    }
}
