import ApplicantApp
import Foundation
import Histogram
import PortalClient
import PortalServer
import PortalStore
import PorttiLocalization
import ApplicantStore
import TerminalUI

// Portti's benchmarks: each row measured against its comparison in the same run, printed as one table.
// Run with: swift run -c release portti-bench   (it finds the release `portti` beside itself)

let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
let portti = binaries.appending(path: "portti").path
let work = FileManager.default.temporaryDirectory.appending(path: "portti-bench-\(getpid())")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }

struct Row {
    var what: String
    var measured: String
    var comparison: String
    var target: String
    var verdict: String
}
var rows: [Row] = []

/// Progress on standard error; the table alone goes to standard output.
func progress(_ text: String) { FileHandle.standardError.write(Data("· \(text)\n".utf8)) }

func ms(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}
/// The `p` quantile (0.99 for p99) of `values`, from an HdrHistogram of nanoseconds (3 significant digits).
func percentile(_ values: [Duration], _ p: Double) -> Duration {
    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    for value in values {
        histogram.record(UInt64(clamping: value.components.seconds * 1_000_000_000 + value.components.attoseconds / 1_000_000_000))
    }
    return .nanoseconds(Int64(histogram.valueAtPercentile(p * 100)))
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
func verdict(_ ok: Bool) -> String { ok ? "met" : "MISSED" }

/// `portti-bench lists picker uploads wrk tui` runs only the named parts; with no arguments, all of them.
/// `several` names the four parts of several portals over one PostgreSQL (`pg-wrk`, `pg-uploads`,
/// `pg-fanout`, `pg-streams`).
let chosen = Set(CommandLine.arguments.dropFirst())
func wanted(_ part: String) -> Bool {
    chosen.isEmpty || chosen.contains(part) || (part.hasPrefix("pg-") && chosen.contains("several"))
}

/// Runs a command to its end; answers the wall time, the exit status and what it printed.
@discardableResult
func run(_ argv: [String], environment: [String: String] = ProcessInfo.processInfo.environment, input: String? = nil)
    -> (seconds: Double, status: Int32, output: String)
{
    var outputPipe: [Int32] = [0, 0]
    var inputPipe: [Int32] = [0, 0]
    pipe(&outputPipe)
    pipe(&inputPipe)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
    posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    for fd in inputPipe + outputPipe { posix_spawn_file_actions_addclose(&actions, fd) }
    let args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    let env: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    let start = ContinuousClock.now
    var child: pid_t = 0
    posix_spawnp(&child, argv[0], &actions, nil, args, env)
    close(inputPipe[0])
    close(outputPipe[1])
    if let input { _ = input.withCString { write(inputPipe[1], $0, strlen($0)) } }
    close(inputPipe[1])
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(outputPipe[0], &buffer, buffer.count)
        if count <= 0 { break }
        output += buffer[0..<count]
    }
    close(outputPipe[0])
    var status: Int32 = 0
    waitpid(child, &status, 0)
    let seconds = ms(ContinuousClock.now - start) / 1000
    args.forEach { free($0) }
    env.forEach { free($0) }
    posix_spawn_file_actions_destroy(&actions)
    return (seconds, (status >> 8) & 0xff, String(decoding: output, as: UTF8.self))
}

/// A `portti serve` over demo data; answers its process id and address.
func startPortal(_ folder: URL, extra: [String] = []) -> (pid: pid_t, url: String) {
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let log = folder.appending(path: "serve.log").path
    let (_, _, output) = run(["/bin/sh", "-c", "'\(portti)' serve --port 0 --demo --data '\(folder.path)' \(extra.joined(separator: " ")) > '\(log)' 2>&1 & echo $!; while ! grep -q 'Portal listening' '\(log)'; do sleep 0.05; done"])
    let pid = pid_t(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    let url = text.split(separator: "\n").first { $0.contains("Portal listening on") }.flatMap { $0.split(separator: " ").last }.map(String.init) ?? ""
    return (pid, url)
}

/// A field of /proc/PID/status in KiB: VmHWM (the peak), VmRSS (resident now), RssAnon (heap and stacks).
func statusKiB(_ pid: pid_t, _ field: String) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

/// wrk's latency text ("850.00us", "12.3ms", "1.2s") in milliseconds.
func wrkMilliseconds(_ text: String) -> Double {
    if text.hasSuffix("us") { return (Double(text.dropLast(2)) ?? 0) / 1000 }
    if text.hasSuffix("ms") { return Double(text.dropLast(2)) ?? 0 }
    if text.hasSuffix("s") { return (Double(text.dropLast(1)) ?? 0) * 1000 }
    return 0
}

// MARK: 1. List key press and filter keystroke on 10,000 rows, against 10 rows

if wanted("lists") {
    progress("lists of 10,000 rows")
    _ = ScreenTimings.listKeyPresses(Fixtures.applications(10_000), presses: 200)  // warm up
    let large = ScreenTimings.listKeyPresses(Fixtures.applications(10_000), presses: 5_000)
    let small = ScreenTimings.listKeyPresses(Fixtures.applications(10), presses: 5_000)
    let p99 = ms(percentile(large, 0.99))
    rows.append(Row(what: "key press → frame, list of 10,000 applications", measured: "p99 \(f(p99, 3)) ms",
                    comparison: "10 rows: p99 \(f(ms(percentile(small, 0.99)), 3)) ms", target: "p99 ≤ 4 ms", verdict: verdict(p99 <= 4)))
    let notificationsLarge = ScreenTimings.notificationKeyPresses(Fixtures.notifications(10_000), presses: 5_000)
    let notificationsSmall = ScreenTimings.notificationKeyPresses(Fixtures.notifications(10), presses: 5_000)
    let notificationsP99 = ms(percentile(notificationsLarge, 0.99))
    rows.append(Row(what: "key press → frame, list of 10,000 notifications", measured: "p99 \(f(notificationsP99, 3)) ms",
                    comparison: "10 rows: p99 \(f(ms(percentile(notificationsSmall, 0.99)), 3)) ms", target: "p99 ≤ 4 ms",
                    verdict: verdict(notificationsP99 <= 4)))
    let filterLarge = ScreenTimings.filterKeystrokes(Fixtures.applications(10_000), rounds: 40)
    let filterSmall = ScreenTimings.filterKeystrokes(Fixtures.applications(10), rounds: 40)
    let filterP99 = ms(percentile(filterLarge, 0.99))
    rows.append(Row(what: "filter keystroke, 10,000 rows", measured: "p99 \(f(filterP99, 3)) ms",
                    comparison: "10 rows: p99 \(f(ms(percentile(filterSmall, 0.99)), 3)) ms", target: "p99 ≤ 8 ms", verdict: verdict(filterP99 <= 8)))
}

// MARK: 2. File picker: a folder of 100,000 entries, against ls -f

if wanted("picker") {
    progress("a folder of 100,000 entries")
    let folder = work.appending(path: "many")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for index in 0..<100_000 {
        let fd = open(folder.appending(path: "scan-\(index).pdf").path, O_CREAT | O_WRONLY, 0o644)
        close(fd)
    }
    // Opening is what the applicant waits for: the names read, sorted, taken by the picker and drawn.
    // Sizes and times follow in the background (`describe`), timed on its own.
    var pickerTimes: [Double] = []
    var describeTimes: [Double] = []
    var lsTimes: [Double] = []
    var listing: FolderListing?
    for _ in 0..<5 {
        lsTimes.append(run(["/bin/sh", "-c", "ls -f '\(folder.path)' > /dev/null"]).seconds * 1000)
        let start = ContinuousClock.now
        guard case .success(let entries) = FileInspector.list(FileSystemPath(folder.path)) else { fatalError("cannot list \(folder.path)") }
        let names = FolderListing(folder: FileSystemPath(folder.path), entries: entries)
        var picker = FilePicker(strings: StringTable(.english), folder: FileSystemPath(folder.path), home: FileSystemPath(work.path), rule: .attachments)
        _ = picker.start()
        _ = picker.update(.input(.resize(width: 80, height: 23)))
        _ = picker.update(.listed(generation: 1, names))
        var canvas = Canvas(width: 80, height: 23)
        picker.view(into: &canvas)
        pickerTimes.append(ms(ContinuousClock.now - start))
        let described = ContinuousClock.now
        listing = names.described(FileInspector.describe(entries, in: FileSystemPath(folder.path)))
        describeTimes.append(ms(ContinuousClock.now - described))
    }
    let picker = median(pickerTimes)
    let ls = median(lsTimes)
    rows.append(Row(what: "file picker: open a folder of 100,000 entries", measured: "median \(f(picker, 1)) ms",
                    comparison: "ls -f: \(f(ls, 1)) ms (× \(f(picker / ls, 1))); sizes and times after \(f(median(describeTimes), 0)) ms more", target: "≤ 250 ms; ≤ 3× ls -f",
                    verdict: verdict(picker <= 250 && picker <= 3 * ls)))

    // Filter keystrokes in that folder, through the picker's own update and view.
    if let listing {
        var picker = FilePicker(strings: StringTable(.english), folder: FileSystemPath(folder.path), home: FileSystemPath(work.path), rule: .attachments)
        _ = picker.update(.input(.resize(width: 80, height: 23)))
        _ = picker.start()
        _ = picker.update(.listed(generation: 1, listing))
        _ = picker.update(.input(.key(.character("/"))))
        var times: [Duration] = []
        let clock = ContinuousClock()
        for _ in 0..<20 {
            for key in Array("scan-9999").map(Key.character) + Array(repeating: Key.backspace, count: 9) {
                times.append(clock.measure {
                    _ = picker.update(.input(.key(key)))
                    var canvas = Canvas(width: 80, height: 23)
                    picker.view(into: &canvas)
                })
            }
        }
        let p99 = ms(percentile(times, 0.99))
        rows.append(Row(what: "file picker: filter keystroke in that folder", measured: "p99 \(f(p99, 2)) ms",
                        comparison: "median \(f(ms(percentile(times, 0.5)), 2)) ms", target: "p99 ≤ 16 ms", verdict: verdict(p99 <= 16)))
    }
}

// MARK: 3. The portal: 200 clients uploading 4 MiB at once, against curl, to the same portal; wrk

/// A portal, signed in as the demo applicant, and what the clients need to reach it.
struct Portal {
    var pid: pid_t
    var url: String
    var token: String
    var applicationID: String
    var environment: [String: String]
}

/// A portal over demo data (`extra` adds options, such as `--database`), signed in as the demo applicant.
func demoPortal(_ name: String, extra: [String] = []) -> Portal {
    let home = work.appending(path: "home-\(name)")
    let (pid, url) = startPortal(work.appending(path: "portal-\(name)"), extra: extra)
    let environment = ProcessInfo.processInfo.environment.merging([
        "HOME": home.path, "XDG_DATA_HOME": home.path + "/data", "XDG_STATE_HOME": home.path + "/state",
        "XDG_CONFIG_HOME": home.path + "/config", "PORTTI_LANG": "en", "PORTTI_URL": url,
    ]) { $1 }
    run([portti, "sign-in", "--username", "demo"], environment: environment, input: "demo-portti\n")
    let applications = run([portti, "applications", "--json"], environment: environment).output
    let applicationID = applications.split(separator: "\"").first { $0.hasPrefix("application_") }.map(String.init) ?? ""
    let sessions = home.appending(path: "state/portti/sessions")
    let token = ((try? FileManager.default.contentsOfDirectory(atPath: sessions.path)) ?? [])
        .compactMap { try? String(contentsOf: sessions.appending(path: $0), encoding: .utf8) }
        .compactMap { $0.split(separator: "\"").drop { $0 != "token" }.dropFirst(2).first.map(String.init) }.first ?? ""
    return Portal(pid: pid, url: url, token: token, applicationID: applicationID, environment: environment)
}

/// Resets a process's peak resident memory (VmHWM), so each phase's peak is its own.
func resetPeak(_ pid: pid_t) {
    try? "5".write(toFile: "/proc/\(pid)/clear_refs", atomically: false, encoding: .utf8)
}

/// Runs `argv` `count` times at once; answers the wall time and each run's peak memory (KiB) and status.
func runAtOnce(_ count: Int, environment: [String: String] = ProcessInfo.processInfo.environment,
               _ argv: @escaping @Sendable (Int) -> [String]) async -> (seconds: Double, peaks: [Int], failures: Int) {
    let start = ContinuousClock.now
    let results = await withTaskGroup(of: (Int, Int32).self) { group in
        for index in 0..<count {
            group.addTask {
                await withCheckedContinuation { continuation in
                    Thread.detachNewThread {
                        // A process spawned from this one (vfork) starts its peak at this process's; under
                        // /usr/bin/time, which forks, the peak is the command's own.
                        let peakFile = work.appending(path: "peak-\(index)").path
                        let result = run(["/usr/bin/time", "-f", "%M", "-o", peakFile] + argv(index), environment: environment)
                        let peak = (try? String(contentsOfFile: peakFile, encoding: .utf8))?
                            .split(separator: "\n").compactMap { Int($0) }.last ?? 0
                        continuation.resume(returning: (peak, result.status))
                    }
                }
            }
        }
        var all: [(Int, Int32)] = []
        for await result in group { all.append(result) }
        return all
    }
    return (ms(ContinuousClock.now - start) / 1000, results.map(\.0), results.filter { $0.1 != 0 }.count)
}

/// `count` curl processes at once, each uploading `file` to the portal at `base` ("Expect:" off, or curl waits
/// a second for a 100 Continue the portal does not send); the Nth as `tokens[N % tokens.count]`, key `keys-N`.
func uploadWithCurl(_ count: Int, to base: String, tokens: [String], file: URL, keys: String) async
    -> (seconds: Double, peaks: [Int], failures: Int)
{
    await runAtOnce(count) { index in
        ["curl", "-s", "-f", "-o", "/dev/null", "-X", "POST", "--data-binary", "@\(file.path)",
         "-H", "Expect:", "-H", "Content-Type: application/octet-stream",
         "-H", "Authorization: Bearer \(tokens[index % tokens.count])",
         "-H", "Idempotency-Key: \(keys)-\(index)", "\(base)/api/v1/attachments?filename=scan.pdf"]
    }
}

/// `count` PortalClients in this process, each uploading `file` at once; tokens and keys as `uploadWithCurl`.
func uploadFromClients(_ count: Int, to portalURL: URL, tokens: [String], file: URL, keys: String) async
    -> (seconds: Double, failures: Int)
{
    let start = ContinuousClock.now
    let failures = await withTaskGroup(of: Int.self) { group in
        for index in 0..<count {
            group.addTask {
                guard let client = try? PortalClient(portalURL: portalURL, token: tokens[index % tokens.count])
                else { return 1 }
                defer { Task { await client.shutdown() } }
                do {
                    _ = try await client.upload(fileAt: file.path, name: "scan.pdf", expectedSHA256: nil,
                                                idempotencyKey: "\(keys)-\(index)")
                    return 0
                } catch {
                    return 1
                }
            }
        }
        var failures = 0
        for await failed in group { failures += failed }
        return failures
    }
    return (ms(ContinuousClock.now - start) / 1000, failures)
}

if wanted("uploads") {
    let file = work.appending(path: "scan.pdf")
    var pdf = Data("%PDF-1.4\n".utf8)
    pdf.append(Data(repeating: 0x20, count: 4 * 1024 * 1024 - pdf.count))
    try pdf.write(to: file)
    let message = work.appending(path: "message.txt")
    try Data("Benchmark".utf8).write(to: message)
    let clients = 200
    let megabytes = Double(clients * 4)
    // 200 applicants, one upload each in each phase, under the portal's own limits (one applicant may have 4
    // of the 16 places and 8 uploads waiting: 200 uploads of one applicant would mostly be refused with 429).
    // Made through the store in the portal's data folder before it starts, each with a session and an
    // application; each `portti send` runs in a home of its own with that session written as `sign-in` would.
    let folder = work.appending(path: "portal-uploads")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let applicants = try await makeApplicants(
        clients, named: "uploader", in: SQLitePortalStore(path: PortalConfiguration(dataFolder: folder).databasePath),
        withApplication: true)
    let tokens = applicants.map(\.token)
    let portal = startPortal(folder)
    let homes = applicants.indices.map { work.appending(path: "home-uploader-\($0)").path }
    for (home, applicant) in zip(homes, applicants) {
        try SessionFile(portal: URL(string: portal.url)!, environment: ["HOME": home, "XDG_STATE_HOME": home + "/state"])
            .write(.init(username: "uploader", token: applicant.token, expiresAt: Date() + 43_200))
    }
    let sendEnvironment = ProcessInfo.processInfo.environment.merging(["PORTTI_LANG": "en", "PORTTI_URL": portal.url]) { $1 }

    // curl: uploads only ("Expect:" off, or curl waits a second for a 100 Continue the portal does not send).
    progress("200 curl uploads of 4 MiB")
    resetPeak(portal.pid)
    let curl = await uploadWithCurl(clients, to: portal.url, tokens: tokens, file: file, keys: "curl")
    let curlPortalPeak = statusKiB(portal.pid, "VmHWM")
    let curlRate = megabytes / curl.seconds

    // Portti's own client, whole: 200 `portti send` processes, each uploading the file and sending a message
    // through the outbox, to the same portal.
    progress("200 portti send processes")
    resetPeak(portal.pid)
    let applicationIDs = applicants.map { $0.applicationID ?? "" }
    let sends = await runAtOnce(clients, environment: sendEnvironment) { index in
        let home = homes[index]
        return ["env", "HOME=\(home)", "XDG_STATE_HOME=\(home)/state", "XDG_DATA_HOME=\(home)/data",
                "XDG_CONFIG_HOME=\(home)/config", portti, "send", applicationIDs[index], "--message-file", message.path,
                "--attach", file.path]
    }
    let sendPortalPeak = statusKiB(portal.pid, "VmHWM")
    let sendRate = megabytes / sends.seconds
    rows.append(Row(what: "200 clients each uploading 4 MiB at once (`portti send`)",
                    measured: "\(f(sendRate, 1)) MiB/s (\(sends.failures) failed)",
                    comparison: "curl: \(f(curlRate, 1)) MiB/s, \(curl.failures) failed (× \(f(sendRate / curlRate, 2)))",
                    target: "≥ 0.8× curl", verdict: verdict(sends.failures == 0 && sendRate >= 0.8 * curlRate)))
    let clientPeak = sends.peaks.max() ?? 0
    rows.append(Row(what: "  peak memory: portal / one client", measured: "\(sendPortalPeak / 1024) MiB / \(clientPeak / 1024) MiB",
                    comparison: "portal under curl: \(curlPortalPeak / 1024) MiB; one curl: \((curl.peaks.max() ?? 0) / 1024) MiB",
                    target: "≤ 200 MiB / ≤ 40 MiB", verdict: verdict(sendPortalPeak <= 200 * 1024 && clientPeak <= 40 * 1024)))

    // The same uploads from 200 PortalClients in this one process: the client library without the start-up
    // and the message step of a process per client.
    progress("200 PortalClients in one process")
    resetPeak(portal.pid)
    let portalURL = URL(string: portal.url)!
    let before = statusKiB(getpid(), "VmHWM")
    let library = await uploadFromClients(clients, to: portalURL, tokens: tokens, file: file, keys: "library")
    let libraryRate = megabytes / library.seconds
    let libraryPeak = statusKiB(portal.pid, "VmHWM")
    rows.append(Row(what: "  the same from 200 PortalClients in one process",
                    measured: "\(f(libraryRate, 1)) MiB/s (\(library.failures) failed)",
                    comparison: "curl: × \(f(libraryRate / curlRate, 2)); portal peak \(libraryPeak / 1024) MiB; this process grew \(max(statusKiB(getpid(), "VmHWM") - before, 0) / 1024) MiB",
                    target: "≥ 0.8× curl", verdict: verdict(library.failures == 0 && libraryRate >= 0.8 * curlRate)))
    kill(portal.pid, SIGTERM)
}

/// wrk on `base + path` with the token, 64 connections for 5 seconds: requests a second and p99 in ms.
func wrk(_ base: String, _ path: String, token: String) -> (rps: Double, p99: Double) {
    let output = run(["wrk", "-t2", "-c64", "-d5s", "--latency", "-H", "Authorization: Bearer \(token)", base + path]).output
    let rps = output.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } ?? 0
    let line = output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("99%") }
    let p99Text: String = line?.split(separator: " ").last.map(String.init) ?? "0ms"
    return (rps, wrkMilliseconds(p99Text))
}

/// The row of list applications under wrk against the bare health route at the same address, measured in turn.
func listAgainstHealth(_ what: String, base: String, token: String) -> Row {
    let list = wrk(base, "/api/v1/applications", token: token)
    let health = wrk(base, "/api/v1/health", token: token)
    return Row(what: what, measured: "\(Int(list.rps)) req/s, p99 \(f(list.p99)) ms",
               comparison: "health: \(Int(health.rps)) req/s, p99 \(f(health.p99)) ms (× \(f(list.rps / max(health.rps, 1), 2)))",
               target: "a ratio, reported", verdict: "reported")
}

if wanted("wrk") {
    progress("wrk")
    let portal = demoPortal("wrk")
    rows.append(listAgainstHealth("list applications, 64 connections (wrk)", base: portal.url, token: portal.token))
    kill(portal.pid, SIGTERM)
}

// MARK: 4. Several portals over one PostgreSQL (`several`)

let severalParts = ["pg-wrk", "pg-uploads", "pg-fanout", "pg-streams"].filter(wanted)
let database = severalParts.isEmpty ? nil : BenchDatabaseServer.start(in: work.appending(path: "postgres"))
if !severalParts.isEmpty && database == nil {
    for part in severalParts {
        rows.append(Row(what: part, measured: "not measured: PostgreSQL 15 did not start (apt-get install -y postgresql)",
                        comparison: "-", target: "-", verdict: "MISSED"))
    }
}

if let database, wanted("pg-wrk") {
    progress("wrk: SQLite and PostgreSQL, one portal and two behind nginx")
    let url = database.database("wrk")
    let sqlite = demoPortal("wrk-sqlite")
    rows.append(listAgainstHealth("list applications (wrk, 64 connections): SQLite, one portal", base: sqlite.url, token: sqlite.token))
    kill(sqlite.pid, SIGTERM)
    let a = demoPortal("wrk-pg-a", extra: ["--database", url])
    rows.append(listAgainstHealth("  PostgreSQL, one portal", base: a.url, token: a.token))
    let one = BenchBalancer.start(in: work.appending(path: "nginx-one"), upstreams: [a.url])
    rows.append(listAgainstHealth("  PostgreSQL, one portal behind nginx", base: one.url, token: a.token))
    one.stop()
    let b = startPortal(work.appending(path: "portal-wrk-pg-b"), extra: ["--database", url])
    let two = BenchBalancer.start(in: work.appending(path: "nginx-two"), upstreams: [a.url, b.url])
    rows.append(listAgainstHealth("  PostgreSQL, two portals behind nginx", base: two.url, token: a.token))
    // Where the two cores go under that load: what more cores would have to be given to.
    var listed = (rps: 0.0, p99: 0.0)
    let shares = cpuShares([
        ("portals", { [a.pid, b.pid] }), ("PostgreSQL", { database.processes }),
        ("nginx", { [two.pid] + children(of: two.pid) }),
    ]) { listed = wrk(two.url, "/api/v1/applications", token: a.token) }
    rows.append(Row(what: "  where the CPU goes (list, two portals behind nginx)", measured: shares,
                    comparison: "the rest is wrk and the machine; \(Int(listed.rps)) req/s in this run",
                    target: "reported", verdict: "reported"))
    two.stop()
    let fresh = BenchBalancer.start(in: work.appending(path: "nginx-fresh"), upstreams: [a.url, b.url], keepalive: false)
    rows.append(listAgainstHealth("  the same, nginx without keepalive to the portals", base: fresh.url, token: a.token))
    fresh.stop()
    kill(a.pid, SIGTERM)
    kill(b.pid, SIGTERM)
}

if let database, wanted("pg-uploads") {
    let file = work.appending(path: "scan.pdf")
    var pdf = Data("%PDF-1.4\n".utf8)
    pdf.append(Data(repeating: 0x20, count: 4 * 1024 * 1024 - pdf.count))
    try pdf.write(to: file)
    // 200 applicants, one upload each, under the portal's own limits (one applicant may have 4 of the 16
    // places and 8 uploads waiting: 200 uploads of one applicant would mostly be refused).
    let url = database.database("uploads")
    let a = startPortal(work.appending(path: "portal-uploads-pg-a"), extra: ["--database", url])
    let b = startPortal(work.appending(path: "portal-uploads-pg-b"), extra: ["--database", url])
    let tokens = try await makeApplicantsWithSessions(200, named: "uploader", databaseURL: url)
    let balancer = BenchBalancer.start(in: work.appending(path: "nginx-uploads"), upstreams: [a.url, b.url])
    let megabytes = 200.0 * 4

    // Flat memory means a peak that does not grow with the uploads under way: first the portals at rest, then
    // 32 uploads (the 16 places of each portal, none waiting), then 200 (most of them waiting their turn).
    let idle = (statusKiB(a.pid, "VmRSS"), statusKiB(b.pid, "VmRSS"))
    progress("32 curl uploads of 4 MiB through nginx to two portals on PostgreSQL")
    resetPeak(a.pid)
    resetPeak(b.pid)
    let few = await uploadWithCurl(32, to: balancer.url, tokens: tokens, file: file, keys: "pg-curl-few")
    let fewPeaks = (statusKiB(a.pid, "VmHWM"), statusKiB(b.pid, "VmHWM"))

    progress("200 curl uploads of 4 MiB (200 applicants) through nginx to two portals on PostgreSQL")
    resetPeak(a.pid)
    resetPeak(b.pid)
    let curl = await uploadWithCurl(200, to: balancer.url, tokens: tokens, file: file, keys: "pg-curl")
    let curlPeaks = (statusKiB(a.pid, "VmHWM"), statusKiB(b.pid, "VmHWM"))
    let curlRate = megabytes / curl.seconds

    progress("200 PortalClients uploading 4 MiB through nginx to two portals on PostgreSQL")
    resetPeak(a.pid)
    resetPeak(b.pid)
    let library = await uploadFromClients(200, to: URL(string: balancer.url)!, tokens: tokens, file: file, keys: "pg-library")
    let libraryRate = megabytes / library.seconds
    let failures = library.failures
    let libraryPeaks = (statusKiB(a.pid, "VmHWM"), statusKiB(b.pid, "VmHWM"))
    rows.append(Row(what: "200 applicants uploading 4 MiB at once, two portals on PostgreSQL behind nginx (200 PortalClients)",
                    measured: "\(f(libraryRate, 1)) MiB/s (\(failures) failed)",
                    comparison: "curl, the same uploads: \(f(curlRate, 1)) MiB/s, \(curl.failures) failed (× \(f(libraryRate / curlRate, 2)))",
                    target: "≥ 0.8× curl", verdict: verdict(failures == 0 && libraryRate >= 0.8 * curlRate)))
    rows.append(Row(what: "  peak memory of each portal (VmHWM)",
                    measured: "\(libraryPeaks.0 / 1024) MiB / \(libraryPeaks.1 / 1024) MiB",
                    comparison: "under curl: \(curlPeaks.0 / 1024) MiB / \(curlPeaks.1 / 1024) MiB; under 32 curl uploads: \(fewPeaks.0 / 1024) / \(fewPeaks.1 / 1024) MiB (\(few.failures) failed); at rest before: \(idle.0 / 1024) / \(idle.1 / 1024) MiB",
                    target: "≤ 200 MiB each", verdict: verdict(max(libraryPeaks.0, libraryPeaks.1, curlPeaks.0, curlPeaks.1) <= 200 * 1024)))
    // Where the 432 uploads went: rows in the database, not files in a portal's folder. All are the same
    // 4 MiB, so they are one document (content-addressed); each upload still wrote its chunks before that.
    let attachments = Int(database.value("SELECT count(*) FROM attachment WHERE file_name = 'scan.pdf'", in: "uploads")) ?? 0
    let kept = database.value("SELECT count(*) || ' documents in ' || (SELECT count(*) FROM document_chunk) || ' chunks, '"
        + " || pg_size_pretty(pg_total_relation_size('document_chunk')) FROM document", in: "uploads")
    let files = ["a", "b"].map { name in
        FileManager.default.enumerator(atPath: work.appending(path: "portal-uploads-pg-\(name)/documents").path)?.allObjects.count ?? 0
    }
    rows.append(Row(what: "  where the uploads are kept",
                    measured: "PostgreSQL: \(attachments) attachments; \(kept)",
                    comparison: "files in the portals' documents/ folders: \(files[0]) / \(files[1])",
                    target: "in PostgreSQL", verdict: verdict(attachments >= 432 - failures - curl.failures - few.failures && files == [0, 0])))
    balancer.stop()
    kill(a.pid, SIGTERM)
    kill(b.pid, SIGTERM)
}

if let database, wanted("pg-fanout") {
    progress("notification fan-out: a message sent to one portal, heard on a stream of the other")
    let url = database.database("fanout")
    let a = demoPortal("fanout-pg-a", extra: ["--database", url])
    let b = startPortal(work.appending(path: "portal-fanout-pg-b"), extra: ["--database", url])
    let samples = fanOut(samples: 200, writeTo: portNumber(of: a.url), otherPort: portNumber(of: b.url), token: a.token,
                         applicationID: a.applicationID)
    if samples.count == 200 {
        let (other, same, answered) = (samples.map(\.other), samples.map(\.same), samples.map(\.answered))
        // The first samples wake the connections of each portal's pool; the figures are of all 200.
        rows.append(Row(what: "notification fan-out: a message sent on one portal → a stream on the other (200)",
                        measured: "p50 \(f(ms(percentile(other, 0.5)))) ms, p99 \(f(ms(percentile(other, 0.99)))) ms",
                        comparison: "a stream on the same portal: p50 \(f(ms(percentile(same, 0.5)))) ms, p99 \(f(ms(percentile(same, 0.99)))) ms; the send's answer: p50 \(f(ms(percentile(answered, 0.5)))) ms",
                        target: "≤ 1 s", verdict: verdict(ms(percentile(other, 0.99)) <= 1000)))
    } else {
        rows.append(Row(what: "notification fan-out (200)", measured: "not measured: \(samples.count) of 200 samples arrived",
                        comparison: "-", target: "≤ 1 s", verdict: "MISSED"))
    }
    kill(a.pid, SIGTERM)
    kill(b.pid, SIGTERM)
}

if let database, wanted("pg-streams") {
    // Four streams an applicant is the portal's limit: 2,500 applicants made through the store, four streams each.
    let streams = 10_000
    let url = database.database("streams")
    let a = startPortal(work.appending(path: "portal-streams-pg-a"), extra: ["--database", url])
    let b = startPortal(work.appending(path: "portal-streams-pg-b"), extra: ["--database", url])
    progress("2,500 applicants with a session each, through the store")
    let tokens = try await makeApplicantsWithSessions(streams / 4, named: "listener", databaseURL: url)
    raiseOpenFileLimit()
    // Warmed up first: one stream on each, opened and closed, so that the baseline has every code path mapped.
    for portal in [a.url, b.url] { PlainConnection.stream(port: portNumber(of: portal), token: tokens[0])?.close() }
    let before = (statusKiB(a.pid, "VmRSS"), statusKiB(b.pid, "VmRSS"))
    progress("10,000 notification streams over two portals")
    let start = ContinuousClock.now
    var open: [PlainConnection] = []
    for index in 0..<min(streams, tokens.count * 4) {
        let portal = index.isMultiple(of: 2) ? a.url : b.url
        if let stream = PlainConnection.stream(port: portNumber(of: portal), token: tokens[index / 4]) { open.append(stream) }
    }
    let seconds = ms(ContinuousClock.now - start) / 1000
    let after = (statusKiB(a.pid, "VmRSS"), statusKiB(b.pid, "VmRSS"))
    let grown = Double(after.0 - before.0 + after.1 - before.1)
    let perStream = grown / Double(max(open.count, 1))
    rows.append(Row(what: "10,000 notification streams over two portals on PostgreSQL: memory a stream",
                    measured: "\(f(perStream, 1)) KiB (\(open.count) open)",
                    comparison: "VmRSS before: \(before.0 / 1024) / \(before.1 / 1024) MiB, after: \(after.0 / 1024) / \(after.1 / 1024) MiB; opened in \(f(seconds, 1)) s",
                    target: "a figure, reported", verdict: "reported"))
    for stream in open { stream.close() }
    kill(a.pid, SIGTERM)
    kill(b.pid, SIGTERM)
}
database?.stop()

// MARK: 5. The terminal UI: first frame (hyperfine) and resident memory idle after start

/// hyperfine's median for each command, in milliseconds, from its JSON export.
func hyperfineMedians(_ commands: [String], runs: Int, environment: [String: String]) -> [Double] {
    let export = work.appending(path: "hyperfine.json").path
    run(["hyperfine", "-N", "--warmup", "3", "--runs", String(runs), "--export-json", export] + commands, environment: environment)
    struct Export: Decodable { struct Result: Decodable { var median: Double }; var results: [Result] }
    let results = (try? JSONDecoder().decode(Export.self, from: Data(contentsOf: URL(fileURLWithPath: export))))?.results ?? []
    return results.map { $0.median * 1000 }
}

if wanted("tui") {
    progress("the terminal UI")
    let portal = demoPortal("tui")
    var environment = portal.environment
    environment["TERM"] = "xterm"
    // `script` gives the TUI a terminal; PORTTI_EXIT_AFTER_FIRST_FRAME=1 makes the runtime quit after its first flush.
    let medians = hyperfineMedians([
        "script -qfec 'env PORTTI_EXIT_AFTER_FIRST_FRAME=1 \(portti) --portal \(portal.url)' /dev/null",
        "script -qfec '\(portti) --help' /dev/null",
    ], runs: 20, environment: environment)
    if medians.count == 2 {
        rows.append(Row(what: "start to the first full frame of the TUI", measured: "median \(f(medians[0], 1)) ms",
                        comparison: "portti --help: \(f(medians[1], 1)) ms", target: "≤ 60 ms median", verdict: verdict(medians[0] <= 60)))
    } else {
        rows.append(Row(what: "start to the first full frame of the TUI", measured: "not measured (is hyperfine installed?)",
                        comparison: "-", target: "≤ 60 ms median", verdict: "MISSED"))
    }
    let tui = run(["/bin/sh", "-c", "script -qfec \"'\(portti)' --portal \(portal.url)\" /dev/null > /dev/null & sleep 2; pgrep -n -f \"^\(portti) --portal\"; "], environment: environment)
    let tuiPID = pid_t(tui.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    let idle = statusKiB(tuiPID, "VmRSS")
    let anonymous = statusKiB(tuiPID, "RssAnon")
    kill(tuiPID, SIGTERM)
    rows.append(Row(what: "the TUI's resident memory, idle after start", measured: "\(idle / 1024) MiB",
                    comparison: "of which heap and stacks: \(anonymous / 1024) MiB", target: "≤ 30 MiB", verdict: verdict(idle > 0 && idle <= 30 * 1024)))
    kill(portal.pid, SIGTERM)
}

// MARK: The table

let machine = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
    .first { $0.hasPrefix("model name") }.map { $0.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "?"
// Start-up time and resident memory depend much on how the Swift runtime and Foundation are linked.
let linking = run(["ldd", portti]).output.contains("libswiftCore") ? "Swift runtime linked dynamically"
    : "Swift runtime linked statically (--static-swift-stdlib)"
print("Portti benchmarks — \(ProcessInfo.processInfo.activeProcessorCount) cores, \(machine ?? "?"), \(ProcessInfo.processInfo.physicalMemory / (1 << 30)) GiB; \(linking)")
print("")
print("| what | measured | comparison (same run) | target | verdict |")
print("|---|---|---|---|---|")
for row in rows { print("| \(row.what) | \(row.measured) | \(row.comparison) | \(row.target) | \(row.verdict) |") }
