import Crypto
import Foundation
import PortalDeployment
#if canImport(Glibc)
import Glibc
#endif
import PortalStore
import PortalStorePostgres
import PorttiModel
import PostgresNIO

// The parts of several portals over one PostgreSQL: a server of the benchmark's own, nginx in front, and plain
// sockets for the streams (10,000 of them would be 10,000 clients of any HTTP library; a socket is the least
// a client can hold, so what grows is the portal's share).

/// A PostgreSQL 15 server in `folder`, on a free loopback port, with its programs run as `postgres` when this
/// process is root (the server refuses root). Stop it with `stop()`.
struct BenchDatabaseServer {
    static let binaries = "/usr/lib/postgresql/15/bin"
    let folder: URL
    let port: Int
    var data: URL { folder.appending(path: "data") }

    /// Initialises the cluster and starts it with the distribution's settings (fsync on), more connections.
    /// Answers nil when PostgreSQL 15 is not installed or does not start.
    static func start(in folder: URL) -> BenchDatabaseServer? {
        guard FileManager.default.isExecutableFile(atPath: binaries + "/initdb") else { return nil }
        let data = folder.appending(path: "data")
        try? FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        chmod(folder.path, 0o755)
        chmod(data.path, 0o700)
        if getuid() == 0 { run(["chown", "-R", "postgres:postgres", data.path]) }
        let port = freeLoopbackPort()
        let server = BenchDatabaseServer(folder: folder, port: port)
        guard server.asOwner(["\(binaries)/initdb", "-D", data.path, "-A", "trust", "-U", "portti", "-E", "UTF8",
                              "--locale=C"]).status == 0,
              server.asOwner(["\(binaries)/pg_ctl", "-D", data.path, "-w", "-l", data.path + "/server.log", "-o",
                              "-p \(port) -k \(data.path) -c listen_addresses=127.0.0.1 -c max_connections=300",
                              "start"]).status == 0
        else { return nil }
        return server
    }

    /// A new empty database named `name`; answers its URL.
    func database(_ name: String) -> String {
        run(["\(Self.binaries)/createdb", "-h", "127.0.0.1", "-p", String(port), "-U", "portti", name])
        return "postgres://portti@127.0.0.1:\(port)/\(name)"
    }

    /// The server's processes: the postmaster (from its pid file) and its children (one backend a connection).
    var processes: [pid_t] {
        let postmaster = (try? String(contentsOfFile: data.path + "/postmaster.pid", encoding: .utf8))?
            .split(separator: "\n").first.flatMap { pid_t($0) } ?? 0
        return [postmaster] + children(of: postmaster)
    }

    /// One value from `sql` run with psql in the database `name` (unaligned, no headers); empty on failure.
    func value(_ sql: String, in name: String) -> String {
        run(["\(Self.binaries)/psql", "-h", "127.0.0.1", "-p", String(port), "-U", "portti", "-d", name, "-Atc", sql])
            .output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() {
        asOwner(["\(Self.binaries)/pg_ctl", "-D", data.path, "-m", "fast", "-w", "stop"])
    }

    @discardableResult
    private func asOwner(_ command: [String]) -> (seconds: Double, status: Int32, output: String) {
        run(getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + command : command)
    }
}

func freeLoopbackPort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}

/// nginx in front of the portals, configured as the README says (`NginxConfiguration`), a worker for each core;
/// `keepalive: false` measures it opening a connection to a portal for every request instead.
struct BenchBalancer {
    let pid: pid_t
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    static func start(in folder: URL, upstreams: [String], keepalive: Bool = true) -> BenchBalancer {
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let port = freeLoopbackPort()
        let configuration = NginxConfiguration.forPortals(
            listenPort: port, portalPorts: upstreams.map(portNumber(of:)), folder: folder.path,
            keepalive: keepalive ? 64 : 0, workers: ProcessInfo.processInfo.activeProcessorCount, runsAsRoot: getuid() == 0)
        let path = folder.appending(path: "nginx.conf").path
        try? configuration.write(toFile: path, atomically: true, encoding: .utf8)
        let output = run(["/bin/bash", "-c", "/usr/sbin/nginx -p '\(folder.path)' -c '\(path)' > /dev/null 2>&1 & echo $!; while ! (exec 3<>/dev/tcp/127.0.0.1/\(port)) 2>/dev/null; do sleep 0.05; done"]).output
        return BenchBalancer(pid: pid_t(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, port: port)
    }

    func stop() { kill(pid, SIGTERM) }
}

/// A plain TCP connection to a portal on loopback, blocking, for requests written by hand.
struct PlainConnection {
    let descriptor: Int32

    init?(port: Int) {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard descriptor >= 0, connected else {
            if descriptor >= 0 { Glibc.close(descriptor) }
            return nil
        }
    }

    func send(_ text: String) {
        var bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeMutableBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            sent += count
        }
        bytes.removeAll()
    }

    /// What has arrived, waiting at most `timeout` milliseconds for the first byte; empty at the end or on timeout.
    func receive(timeout: Int32) -> String {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeout) > 0 else { return "" }
        var buffer = [UInt8](repeating: 0, count: 16384)
        let count = read(descriptor, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }

    /// Reads until `words` have arrived (or nothing more comes within `timeout` ms); answers whether they did.
    func wait(for words: String, timeout: Int32 = 10_000) -> Bool {
        var seen = ""
        while !seen.contains(words) {
            let more = receive(timeout: timeout)
            if more.isEmpty { return false }
            seen += more
        }
        return true
    }

    func close() { _ = Glibc.close(descriptor) }

    /// Opens the notification stream with `token`; nil unless its `open` event arrives.
    static func stream(port: Int, token: String) -> PlainConnection? {
        guard let connection = PlainConnection(port: port) else { return nil }
        connection.send("GET /api/v1/notifications/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n\r\n")
        guard connection.wait(for: "event: open") else {
            connection.close()
            return nil
        }
        return connection
    }
}

/// The port of a portal's `http://127.0.0.1:PORT` address.
func portNumber(of url: String) -> Int { Int(url.split(separator: ":").last ?? "") ?? 0 }

/// An applicant made by the benchmark: a session's token, and an application when one was asked for.
struct BenchApplicant: Sendable {
    var token: String
    var applicationID: String?
}

/// `count` applicants (`name-N`) made through the PostgreSQL store at `databaseURL`, each with one session of
/// 12 hours; answers their tokens. They cannot sign in (no password hash verifies): uploads and streams need
/// only a session.
func makeApplicantsWithSessions(_ count: Int, named name: String, databaseURL: String) async throws -> [String] {
    guard let url = URLComponents(string: databaseURL), let host = url.host, let port = url.port else { return [] }
    let configuration = PostgresClient.Configuration(
        host: host, port: port, username: url.user ?? "portti", password: nil,
        database: String(url.path.dropFirst()), tls: .disable)
    let store = try await PostgresPortalStore.open(configuration: configuration)
    let pool = Task { try await store.run() }
    defer { pool.cancel() }
    return try await makeApplicants(count, named: name, in: store).map(\.token)
}

/// `count` applicants (`name-N`) made through `store`, each with one session of 12 hours and, when
/// `withApplication`, an application of their own (for `portti send`). Sixteen at a time: the PostgreSQL
/// pool's twenty connections, and some left for the portals.
func makeApplicants(_ count: Int, named name: String, in store: any PortalStore, withApplication: Bool = false)
    async throws -> [BenchApplicant]
{
    let now = Date()
    return try await withThrowingTaskGroup(of: (Int, BenchApplicant).self) { group in
        var made: [(Int, BenchApplicant)] = []
        for index in 0..<count {
            if index >= 16, let applicant = try await group.next() { made.append(applicant) }
            group.addTask {
                let applicant = try await store.createApplicant(
                    username: "\(name)-\(index)", displayName: "\(name) \(index)", passwordHash: "-", now: now)
                let token = "bench-\(name)-\(index)-\(UUID().uuidString)"
                let hash = SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
                try await store.createSession(
                    tokenHash: hash, applicantID: applicant.id, expiresAt: now + 43_200, notAfter: now + 43_200, now: now)
                let application = withApplication
                    ? try await store.createApplication(applicantID: applicant.id, type: .residencePermitWork, now: now) : nil
                return (index, BenchApplicant(token: token, applicationID: application?.id))
            }
        }
        for try await applicant in group { made.append(applicant) }
        return made.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

/// Raises this process's limit of open files to the hard limit: 10,000 streams are 10,000 sockets.
func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
}

/// One sample of the fan-out: from the moment a message was written to the portal, until its notification was
/// on the stream of the other portal, on a stream of the same portal, and the send's answer had arrived.
struct FanOutSample {
    var other: Duration
    var same: Duration
    var answered: Duration
}

/// Sends `samples` messages one after another to the portal at `writeTo`, each once the last was heard on both
/// streams (one on that portal, one on the other). Stops early at a send that fails or a notification not
/// heard within 10 seconds: fewer samples than asked say so.
func fanOut(samples: Int, writeTo: Int, otherPort: Int, token: String, applicationID: String) -> [FanOutSample] {
    guard let same = PlainConnection.stream(port: writeTo, token: token),
          let other = PlainConnection.stream(port: otherPort, token: token)
    else { return [] }
    defer {
        same.close()
        other.close()
    }
    let batch = UUID().uuidString
    var results: [FanOutSample] = []
    for index in 0..<samples {
        guard let send = PlainConnection(port: writeTo) else { break }
        defer { send.close() }
        let body = #"{"message":"Fan-out \#(index)","attachmentIds":[]}"#
        let start = ContinuousClock.now
        send.send("POST /api/v1/applications/\(applicationID)/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer \(token)\r\nIdempotency-Key: fanout-\(batch)-\(index)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        var heard: [Duration?] = [nil, nil, nil]  // other, same, answered
        var texts = ["", "", ""]
        let connections = [other, same, send]
        while heard.contains(where: { $0 == nil }), ContinuousClock.now - start < .seconds(10) {
            var polled = connections.enumerated().map { index, connection in
                pollfd(fd: connection.descriptor, events: heard[index] == nil ? Int16(POLLIN) : 0, revents: 0)
            }
            guard poll(&polled, nfds_t(polled.count), 100) > 0 else { continue }
            for (which, entry) in polled.enumerated() where entry.revents != 0 && heard[which] == nil {
                let more = connections[which].receive(timeout: 0)
                texts[which] += more
                if which == 2 {
                    // The send's connection closes after its answer.
                    if more.isEmpty { heard[2] = ContinuousClock.now - start }
                } else if texts[which].contains("event: notification") {
                    heard[which] = ContinuousClock.now - start
                }
            }
        }
        guard let otherTime = heard[0], let sameTime = heard[1], let answered = heard[2],
              texts[2].hasPrefix("HTTP/1.1 201")
        else {
            progress("fan-out sample \(index) failed: \(texts[2].prefix(200))")
            break
        }
        results.append(FanOutSample(other: otherTime, same: sameTime, answered: answered))
    }
    return results
}

/// The processes whose parent is `parent`, from /proc.
func children(of parent: pid_t) -> [pid_t] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name -> pid_t? in
        guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
              let afterName = stat.range(of: ") ", options: .backwards)
        else { return nil }
        // After the command's name: state, then the parent's id.
        let fields = stat[afterName.upperBound...].split(separator: " ")
        return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
    }
}

/// CPU seconds (user and system) the processes have used so far, from /proc/PID/stat.
func cpuSeconds(_ pids: [pid_t]) -> Double {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return pids.reduce(0) { total, pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let afterName = stat.range(of: ") ", options: .backwards)
        else { return total }
        // utime and stime are the 14th and 15th fields; the 3rd (state) is the first after the name.
        let fields = stat[afterName.upperBound...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return total }
        return total + (user + system) / ticks
    }
}

/// Where the CPU went while `work` ran: each group's share of the machine's CPU time over that wall time
/// (2 cores for 5 seconds are 10 CPU seconds), as "name 43%".
func cpuShares(_ groups: [(name: String, pids: () -> [pid_t])], during work: () -> Void) -> String {
    let before = groups.map { cpuSeconds($0.pids()) }
    let start = ContinuousClock.now
    work()
    let wall = ms(ContinuousClock.now - start) / 1000 * Double(ProcessInfo.processInfo.activeProcessorCount)
    return zip(groups, before).map { group, before in
        "\(group.name) \(Int((cpuSeconds(group.pids()) - before) / wall * 100))%"
    }.joined(separator: ", ")
}
