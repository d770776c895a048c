import Foundation
import PortalTestSupport
import Testing

/// Every `swift build|run|test …` the README shows is accepted by the installed SwiftPM: each option is one that
/// `swift <subcommand> --help` lists. (`swift run` took no `--static-swift-stdlib`, and the README said it did.)
@Suite struct ReadmeSwiftCommandTests {
    @Test func everySwiftCommandInTheReadme_usesOnlyOptionsSwiftPMKnows() async throws {
        let commands = try Self.readmeSwiftCommands()
        #expect(commands.contains { $0.first == "build" } && commands.contains { $0.first == "test" }, "\(commands)")
        let swift = try #require(Self.swiftExecutable(), "swift is on PATH: the tests were built with it")
        var known: [String: (options: Set<String>, takingValues: Set<String>)] = [:]
        for command in commands {
            let subcommand = command[0]
            if known[subcommand] == nil {
                // Run outside the package, so SwiftPM does not resolve it only to print its help.
                let help = try await ChildProcess.run(swift, [subcommand, "--help"], folder: FileManager.default.temporaryDirectory.path)
                #expect(help.status == 0, "swift \(subcommand) --help: \(help.errors)")
                known[subcommand] = Self.options(inHelp: help.output)
            }
            let (options, takingValues) = try #require(known[subcommand])
            for option in Self.swiftOptions(command, takingValues: takingValues) where !options.contains(option) {
                Issue.record("README: swift \(command.joined(separator: " ")): swift \(subcommand) has no option \(option)")
            }
        }
    }

    /// `swift build|run|test` and the words after it, from the README's code blocks and inline code; a line
    /// chaining commands (`&&`, `;`, `|`) gives each its own.
    static func readmeSwiftCommands() throws -> [[String]] {
        let readme = try String(contentsOf: PrintedCommandLineTests.root.appending(path: "README.md"), encoding: .utf8)
        var spans: [String] = []
        var inCodeBlock = false
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") {
                inCodeBlock.toggle()
                continue
            }
            if inCodeBlock {
                spans.append(String(line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""))
            } else {
                spans += PrintedCommandLineTests.inlineCode(line)
            }
        }
        return spans.flatMap { $0.split(separator: "&&").flatMap { $0.split(separator: ";") }.flatMap { $0.split(separator: "|") } }
            .compactMap { part -> [String]? in
                let words = part.split(separator: " ").map(String.init)
                guard words.first == "swift", words.count > 1, ["build", "run", "test"].contains(words[1]) else { return nil }
                return Array(words.dropFirst())
            }
    }

    /// The options given to SwiftPM itself: for `swift run`, those before the product's name (what follows it
    /// goes to the product).
    static func swiftOptions(_ command: [String], takingValues: Set<String>) -> [String] {
        var options: [String] = []
        var index = 1
        while index < command.count {
            let word = command[index]
            guard word.hasPrefix("-") else {
                if command[0] == "run" { break }
                index += 1
                continue
            }
            let name = String(word.split(separator: "=", maxSplits: 1).first ?? "")
            options.append(name)
            index += takingValues.contains(name) && !word.contains("=") ? 2 : 1
        }
        return options
    }

    /// The option names `--help` lists (`-c, --configuration <configuration>`, `--parallel/--no-parallel`), and
    /// which of them take a value.
    static func options(inHelp help: String) -> (Set<String>, Set<String>) {
        var options: Set<String> = []
        var takingValues: Set<String> = []
        for line in help.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("-") else { continue }
            // The names end where the description starts: two spaces.
            let names = trimmed.components(separatedBy: "  ").first ?? ""
            let takesValue = names.contains("<")
            for word in names.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "/" }) where word.hasPrefix("-") {
                options.insert(String(word))
                if takesValue { takingValues.insert(String(word)) }
            }
        }
        return (options, takingValues)
    }

    static func swiftExecutable() -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { "\($0)/swift" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
