import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real `portti serve` in a process of its own, for what only a process can show: a kill -9.
public final class PortalProcess: @unchecked Sendable {
    /// The `portti` binary that `swift build` put beside the test bundle.
    public static var binary: URL {
        let beside = Bundle.main.executableURL?.deletingLastPathComponent() ?? URL(fileURLWithPath: ".")
        return [beside, beside.deletingLastPathComponent()].map { $0.appending(path: "portti") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? beside.appending(path: "portti")
    }

    public let dataFolder: URL
    public private(set) var port: Int
    private var process: ChildProcess?

    /// Starts `portti serve` on `port` (0: a free one, kept for restarts) over `dataFolder`, and waits until it
    /// listens.
    public init(dataFolder: URL, port: Int = 0, arguments: [String] = []) throws {
        self.dataFolder = dataFolder
        self.port = port == 0 ? LoopbackPort.free() : port
        // A port chosen here may be taken before the portal binds it (another test chose it too): then another.
        for _ in 1..<5 where port == 0 {
            do {
                try start(arguments: arguments)
                return
            } catch {
                self.port = LoopbackPort.free()
            }
        }
        try start(arguments: arguments)
    }

    public var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// The running portal's process id.
    public var processIdentifier: pid_t? { process?.pid }

    public func start(arguments: [String] = []) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["LANG"] = "C.UTF-8"
        environment["PORTTI_LANG"] = "en"
        let process = try ChildProcess(
            Self.binary.path, ["serve", "--port", String(port), "--data", dataFolder.path] + arguments,
            environment: environment, captureErrors: false)
        self.process = process
        // Wait for the line that names the address.
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while let output = process.output, !(text.contains("Portal listening on") && text.contains("\n")) {
            let count = read(output, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            text += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.contains("Portal listening on") }),
            let bound = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
        else {
            kill()  // it did not start (its port was taken): nothing is left running
            throw CocoaError(.executableLoad)
        }
        port = bound
    }

    /// Kills the portal at once, as a crash or a power cut would: no graceful anything.
    public func kill() {
        guard let process else { return }
        Glibc.kill(process.pid, SIGKILL)
        process.wait()
        if let output = process.output { close(output) }
        self.process = nil
    }

    /// Stops the portal as SIGTERM does, and answers its exit status.
    @discardableResult
    public func terminate() -> Int32 {
        guard let process else { return 0 }
        Glibc.kill(process.pid, SIGTERM)
        let status = process.wait()
        if let output = process.output { close(output) }
        self.process = nil
        return status
    }

    deinit { kill() }
}
