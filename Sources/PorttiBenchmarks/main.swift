import ApplicantApp
import Foundation
import PorttiLocalization
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
func percentile(_ values: [Duration], _ p: Double) -> Duration {
    let sorted = values.sorted()
    return sorted[min(Int((Double(sorted.count) * p).rounded(.up)) - 1, sorted.count - 1)]
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
func verdict(_ ok: Bool) -> String { ok ? "met" : "MISSED" }

/// `portti-bench lists picker portal tui` runs only the named parts; with no arguments, all of them.
let chosen = Set(CommandLine.arguments.dropFirst())
func wanted(_ part: String) -> Bool { chosen.isEmpty || chosen.contains(part) }

/// Runs a command to its end; answers the wall time and the peak resident memory of the process (KiB).
@discardableResult
func run(_ argv: [String], environment: [String: String] = ProcessInfo.processInfo.environment, input: String? = nil)
    -> (seconds: Double, maxRSSKiB: Int, status: Int32, output: String)
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
    var usage = rusage()
    wait4(child, &status, 0, &usage)
    let seconds = ms(ContinuousClock.now - start) / 1000
    args.forEach { free($0) }
    env.forEach { free($0) }
    posix_spawn_file_actions_destroy(&actions)
    return (seconds, Int(usage.ru_maxrss), (status >> 8) & 0xff, String(decoding: output, as: UTF8.self))
}

/// A `portti serve` over demo data; answers its process id and address.
func startPortal(_ folder: URL, extra: [String] = []) -> (pid: pid_t, url: String) {
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let log = folder.appending(path: "serve.log").path
    let (seconds, _, _, output) = run(["/bin/sh", "-c", "'\(portti)' serve --port 0 --demo --data '\(folder.path)' \(extra.joined(separator: " ")) > '\(log)' 2>&1 & echo $!; while ! grep -q 'Portal listening' '\(log)'; do sleep 0.05; done"])
    _ = seconds
    let pid = pid_t(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    let url = text.split(separator: "\n").first { $0.contains("Portal listening on") }.flatMap { $0.split(separator: " ").last }.map(String.init) ?? ""
    return (pid, url)
}

func peakRSSKiB(_ pid: pid_t) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

func residentKiB(_ pid: pid_t) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
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
    _ = ScreenTimings.listKeyPresses(rows: 10_000, presses: 200)  // warm up
    let large = ScreenTimings.listKeyPresses(rows: 10_000, presses: 5_000)
    let small = ScreenTimings.listKeyPresses(rows: 10, presses: 5_000)
    let p99 = ms(percentile(large, 0.99))
    rows.append(Row(what: "key press → frame, list of 10,000 applications", measured: "p99 \(f(p99, 3)) ms",
                    comparison: "10 rows: p99 \(f(ms(percentile(small, 0.99)), 3)) ms", target: "p99 ≤ 4 ms", verdict: verdict(p99 <= 4)))
    let filterLarge = ScreenTimings.filterKeystrokes(rows: 10_000, rounds: 40)
    let filterSmall = ScreenTimings.filterKeystrokes(rows: 10, rounds: 40)
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
        var picker = FilePicker(strings: StringTable(.english), folder: FileSystemPath(folder.path), home: FileSystemPath(work.path))
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
        var picker = FilePicker(strings: StringTable(.english), folder: FileSystemPath(folder.path), home: FileSystemPath(work.path))
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

// MARK: 3. The portal: 200 clients uploading 4 MiB at once, against curl; list applications under wrk

if wanted("portal") {
    let home = work.appending(path: "home")
    let environment = ProcessInfo.processInfo.environment.merging([
        "HOME": home.path, "XDG_DATA_HOME": home.path + "/data", "XDG_STATE_HOME": home.path + "/state",
        "XDG_CONFIG_HOME": home.path + "/config", "PORTTI_LANG": "en",
    ]) { $1 }
    let file = work.appending(path: "scan.pdf")
    var pdf = Data("%PDF-1.4\n".utf8)
    pdf.append(Data(repeating: 0x20, count: 4 * 1024 * 1024 - pdf.count))
    try pdf.write(to: file)
    let message = work.appending(path: "message.txt")
    try Data("Benchmark".utf8).write(to: message)

    progress("200 clients uploading 4 MiB")
    // Portti's own client: 200 `portti send` processes, each uploading the file and sending a message.
    let portalA = startPortal(work.appending(path: "portal-a"))
    var env = environment
    env["PORTTI_URL"] = portalA.url
    run([portti, "sign-in", "--username", "demo"], environment: env, input: "demo-portti\n")
    let applications = run([portti, "applications", "--json"], environment: env).output
    let appID = applications.split(separator: "\"").first { $0.hasPrefix("application_") }.map(String.init) ?? ""
    let clients = 200
    let sendEnvironment = env
    let start = ContinuousClock.now
    let results = await withTaskGroup(of: (Double, Int, Int32).self) { group in
        for _ in 0..<clients {
            group.addTask {
                await withCheckedContinuation { continuation in
                    Thread.detachNewThread {
                        let result = run([portti, "send", appID, "--message-file", message.path, "--attach", file.path], environment: sendEnvironment)
                        continuation.resume(returning: (result.seconds, result.maxRSSKiB, result.status))
                    }
                }
            }
        }
        var all: [(Double, Int, Int32)] = []
        for await result in group { all.append(result) }
        return all
    }
    let porttiSeconds = ms(ContinuousClock.now - start) / 1000
    let porttiPeak = peakRSSKiB(portalA.pid)
    kill(portalA.pid, SIGTERM)
    let failures = results.filter { $0.2 != 0 }.count
    let clientPeak = results.map(\.1).max() ?? 0

    progress("the same with curl")
    // curl: the same uploads to a fresh portal (attachments only: curl has no message step).
    let portalB = startPortal(work.appending(path: "portal-b"))
    env["PORTTI_URL"] = portalB.url
    run([portti, "sign-in", "--username", "demo"], environment: env, input: "demo-portti\n")
    let sessionFolder = home.appending(path: "state/portti/sessions")
    let sessionName = (try? FileManager.default.contentsOfDirectory(atPath: sessionFolder.path).first { $0.contains(String(portalB.url.split(separator: ":").last ?? "")) }) ?? nil
    let token = sessionName.flatMap { try? String(contentsOf: sessionFolder.appending(path: $0), encoding: .utf8) }
        .flatMap { $0.split(separator: "\"").drop { $0 != "token" }.dropFirst(2).first }.map(String.init) ?? ""
    let curlStart = ContinuousClock.now
    _ = await withTaskGroup(of: Int32.self) { group in
        for index in 0..<clients {
            group.addTask {
                await withCheckedContinuation { continuation in
                    Thread.detachNewThread {
                        let result = run(["curl", "-s", "-o", "/dev/null", "-X", "POST", "--data-binary", "@\(file.path)",
                                          "-H", "Content-Type: application/octet-stream", "-H", "Authorization: Bearer \(token)",
                                          "-H", "Idempotency-Key: curl-\(index)", "\(portalB.url)/api/v1/attachments?filename=scan.pdf"])
                        continuation.resume(returning: result.status)
                    }
                }
            }
        }
        for await _ in group {}
    }
    let curlSeconds = ms(ContinuousClock.now - curlStart) / 1000
    let curlPeak = peakRSSKiB(portalB.pid)
    let megabytes = Double(clients * 4)
    let porttiRate = megabytes / porttiSeconds
    let curlRate = megabytes / curlSeconds
    rows.append(Row(what: "200 clients each uploading 4 MiB at once", measured: "\(f(porttiRate, 1)) MiB/s (\(failures) failed)",
                    comparison: "curl: \(f(curlRate, 1)) MiB/s (× \(f(porttiRate / curlRate, 2)))", target: "≥ 0.8× curl",
                    verdict: verdict(failures == 0 && porttiRate >= 0.8 * curlRate)))
    rows.append(Row(what: "  peak memory: portal / one client", measured: "\(porttiPeak / 1024) MiB / \(clientPeak / 1024) MiB",
                    comparison: "portal under curl: \(curlPeak / 1024) MiB", target: "≤ 200 MiB / ≤ 40 MiB",
                    verdict: verdict(porttiPeak <= 200 * 1024 && clientPeak <= 40 * 1024)))

    progress("wrk")
    // wrk: list applications against the bare health route of the same portal, 64 connections.
    func wrk(_ path: String) -> (rps: Double, p99: Double) {
        let output = run(["wrk", "-t2", "-c64", "-d5s", "--latency", "-H", "Authorization: Bearer \(token)", portalB.url + path]).output
        let rps = output.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } ?? 0
        let line = output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("99%") }
        let p99Text: String = line?.split(separator: " ").last.map(String.init) ?? "0ms"
        return (rps, wrkMilliseconds(p99Text))
    }
    let list = wrk("/api/v1/applications")
    let health = wrk("/api/v1/health")
    rows.append(Row(what: "list applications, 64 connections (wrk)", measured: "\(Int(list.rps)) req/s, p99 \(f(list.p99)) ms",
                    comparison: "health: \(Int(health.rps)) req/s, p99 \(f(health.p99)) ms (× \(f(list.rps / max(health.rps, 1), 2)))",
                    target: "a ratio, reported", verdict: "reported"))

    progress("the terminal UI")
    // The terminal UI: time to the first frame, and its memory idle after start.
    var firstFrame: [Double] = []
    var baseline: [Double] = []
    for _ in 0..<15 {
        firstFrame.append(run(["script", "-qfec", "env PORTTI_EXIT_AFTER_FIRST_FRAME=1 TERM=xterm '\(portti)' --portal \(portalB.url)", "/dev/null"], environment: env).seconds * 1000)
        baseline.append(run(["script", "-qfec", "'\(portti)' --help > /dev/null", "/dev/null"], environment: env).seconds * 1000)
    }
    let frame = median(firstFrame)
    rows.append(Row(what: "start to the first full frame of the TUI", measured: "median \(f(frame, 1)) ms",
                    comparison: "portti --help: \(f(median(baseline), 1)) ms", target: "≤ 60 ms median", verdict: verdict(frame <= 60)))
    let tui = run(["/bin/sh", "-c", "script -qfec \"TERM=xterm '\(portti)' --portal \(portalB.url)\" /dev/null > /dev/null & sleep 2; pgrep -n -f \"^\(portti) --portal\"; "], environment: env)
    let tuiPID = pid_t(tui.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    let idle = residentKiB(tuiPID)
    kill(tuiPID, SIGTERM)
    rows.append(Row(what: "the TUI's resident memory, idle after start", measured: "\(idle / 1024) MiB",
                    comparison: "-", target: "≤ 30 MiB", verdict: verdict(idle > 0 && idle <= 30 * 1024)))
    kill(portalB.pid, SIGTERM)
}

// MARK: The table

let machine = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
    .first { $0.hasPrefix("model name") }.map { $0.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "?"
print("Portti benchmarks — \(ProcessInfo.processInfo.activeProcessorCount) cores, \(machine ?? "?"), \(ProcessInfo.processInfo.physicalMemory / (1 << 30)) GiB")
print("")
print("| what | measured | comparison (same run) | target | verdict |")
print("|---|---|---|---|---|")
for row in rows { print("| \(row.what) | \(row.measured) | \(row.comparison) | \(row.target) | \(row.verdict) |") }
