import Foundation

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
    private var process: Process?

    /// Starts `portti serve` on `port` (0: a free one) over `dataFolder`, and waits until it listens.
    public init(dataFolder: URL, port: Int = 0, arguments: [String] = []) throws {
        self.dataFolder = dataFolder
        self.port = port
        try start(arguments: arguments)
    }

    public var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// The running portal's process id.
    public var processIdentifier: pid_t? { process?.processIdentifier }

    public func start(arguments: [String] = []) throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--port", String(port), "--data", dataFolder.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LANG"] = "C.UTF-8"
        environment["PORTTI_LANG"] = "en"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Wait for the line that names the address.
        var text = ""
        while !text.contains("Portal listening on"), process.isRunning {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        while !text.contains("\n"), process.isRunning {
            text += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.contains("Portal listening on") }),
            let bound = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
        else { throw CocoaError(.executableLoad) }
        port = bound
    }

    /// Kills the portal at once, as a crash or a power cut would: no graceful anything.
    public func kill() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Stops the portal as SIGTERM does, and answers its exit status.
    @discardableResult
    public func terminate() -> Int32 {
        guard let process else { return 0 }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    deinit { kill() }
}
