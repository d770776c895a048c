import Foundation
import PortalServer
import PortalStore
import PortalTestSupport
import Testing

/// The contract held against the real portal by a tool that is not ours: schemathesis generates requests from
/// `Sources/PortalAPI/openapi.yaml` (valid and invalid ones, with every check it has, plus ours in
/// `Tests/Contract/hooks.py`), sends them to a portal over demo data, and fails on any 5xx, any answer outside the
/// contract and any status or problem code the contract does not list. Its settings: `Tests/Contract/schemathesis.toml`.
@Suite struct ContractTests {
    static let version = "4.32.5"
    static let contractFolder = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Contract")
    static let contract = contractFolder.deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Sources/PortalAPI/openapi.yaml")

    @Test(.timeLimit(.minutes(10)))
    func schemathesis_findsNoAnswerOutsideTheContract() async throws {
        guard let schemathesis = Self.executable(named: "st") ?? Self.executable(named: "schemathesis") else {
            Issue.record("schemathesis is not installed: pip install schemathesis==\(Self.version) (.ci/run installs it)")
            return
        }
        try await withPortal(adjust: {
            // Generated uploads are many and never sent; the daily quota is tested on its own (BadInputTests).
            $0.maxUnsentAttachmentsPerDay = 1_000_000
        }) { portal in
            try await DemoData.seed(
                store: portal.store, documents: DocumentVault(folder: portal.configuration.documentsFolder), bcryptCost: 4,
                now: portal.clock.now)
            let report = FileManager.default.temporaryDirectory.appending(path: "portti-contract-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: report) }
            let (status, output) = try await Self.run(
                schemathesis,
                ["run", Self.contract.path, "--url", portal.baseURL.absoluteString, "--checks", "all", "--no-color",
                 "--report", "junit", "--report-junit-path", report.appending(path: "junit.xml").path],
                in: Self.contractFolder, limit: .seconds(420))
            #expect(status == 0, "schemathesis found answers outside the contract:\n\(output.suffix(12_000))")
            // A run that reached nothing (every request refused before an operation) must not pass as clean.
            #expect(output.contains("generated"), "\(output.suffix(2000))")
        }
    }

    static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a program to its end (or ends it after `limit`), answering its exit status and what it printed.
    static func run(_ program: String, _ arguments: [String], in folder: URL, limit: Duration) async throws -> (Int32, String) {
        let child = try ChildProcess(program, arguments, folder: folder.path)
        let timer = Task {
            try await Task.sleep(for: limit)
            kill(child.pid, SIGTERM)
        }
        let (status, output, errors) = await child.finish()
        timer.cancel()
        let timedOut = status == 128 + SIGTERM  // only the timer sends it
        return (status, (timedOut ? "timed out after \(limit)\n" : "") + output + errors)
    }
}
