import ArgumentParser
import Foundation
import Testing

@testable import portti

/// Every `portti …` the program or its README tells the user to run is a command line `portti` accepts.
@Suite struct PrintedCommandLineTests {
    @Test func everyCommandLineShownToTheUser_parses() throws {
        let fromTables = try Self.stringTableCommandLines()
        let fromREADME = try Self.readmeCommandLines()
        // The scan finds what is there: the hint printed when a send is kept, and the whole table of commands.
        #expect(fromTables.contains(["outbox", "--send"]))
        #expect(fromREADME.contains { $0.starts(with: ["outbox", "--send"]) })
        #expect(fromTables.count >= 12 && fromREADME.count >= 20, "\(fromTables) \(fromREADME)")
        for line in fromTables + fromREADME {
            do {
                _ = try portti.Portti.parseAsRoot(line)
            } catch {
                // --help ends the parse with a clean exit: that is a command line too.
                #expect(portti.Portti.exitCode(for: error) == .success,
                        "portti \(line.joined(separator: " ")): \(portti.Portti.message(for: error))")
            }
        }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The command lines in the sentences of the three string tables.
    static func stringTableCommandLines() throws -> [[String]] {
        try ["en", "fi", "sv"].flatMap { language in
            let url = root.appending(path: "Resources/strings/\(language).json")
            let table = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: url))
            return table.values.flatMap(commandLines(inSentence:))
        }
    }

    /// Each `portti` in a sentence and the words after it that belong to its command line: subcommands (by the
    /// real command tree), options and placeholders (`{id}`, `NAME`), up to the first other word or the end of
    /// the clause (a closing parenthesis, a full stop, a comma).
    static func commandLines(inSentence sentence: String) -> [[String]] {
        let words = sentence.split(separator: " ").map(String.init)
        return words.indices.filter { words[$0].trimmingCharacters(in: CharacterSet(charactersIn: "(\"'")) == "portti" }
            .map { start in
                var line: [String] = []
                var command: any ParsableCommand.Type = portti.Portti.self
                for raw in words[(start + 1)...] {
                    let word = raw.trimmingCharacters(in: CharacterSet(charactersIn: ").,;:"))
                    if isPlaceholder(word) {
                        line.append("1")
                    } else if word.hasPrefix("-") {
                        line.append(word)
                    } else if let subcommand = command.configuration.subcommands.first(where: { $0._commandName == word }) {
                        command = subcommand
                        line.append(word)
                    } else {
                        break
                    }
                    if word != raw { break }
                }
                return line
            }
    }

    /// The command lines of the README: the lines of its code blocks that run `portti`, the first column of
    /// the table of the applicant's commands, and inline code that starts with `portti `.
    static func readmeCommandLines() throws -> [[String]] {
        let readme = try String(contentsOf: root.appending(path: "README.md"), encoding: .utf8)
        var lines: [[String]] = []
        var inCodeBlock = false
        var section = ""
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") {
                inCodeBlock.toggle()
                continue
            }
            if inCodeBlock {
                let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                let words = code.split(separator: " ").map(String.init)
                if let program = words.firstIndex(of: "portti") { lines.append(arguments(words[(program + 1)...])) }
                continue
            }
            if line.hasPrefix("#") { section = line }
            let spans = inlineCode(line)
            for span in spans where span.hasPrefix("portti ") {
                lines.append(arguments(span.split(separator: " ").dropFirst().map(String.init)))
            }
            if section == "## The applicant's commands", line.hasPrefix("| `") {
                let firstColumn = line.split(separator: "|").first.map(String.init) ?? ""
                for span in inlineCode(firstColumn) { lines.append(arguments(span.split(separator: " ").map(String.init))) }
            }
        }
        return lines
    }

    /// A documented command line as arguments: optional parts (`[--full]`) taken, `FILE...` as one file,
    /// placeholders (`APP`, `F`) given a value.
    static func arguments(_ words: some Sequence<String>) -> [String] {
        words.map { $0.replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "") }
            .map { $0.hasSuffix("...") ? String($0.dropLast(3)) : $0 }
            .filter { !$0.isEmpty }
            .map { isPlaceholder($0) ? "1" : $0 }
    }

    static func isPlaceholder(_ word: String) -> Bool {
        (word.hasPrefix("{") && word.hasSuffix("}"))
            || (word.contains(where: \.isLetter) && word.allSatisfy { $0.isUppercase || $0 == "_" })
    }

    static func inlineCode(_ line: String) -> [String] {
        line.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
            .map { String($0.element) }
    }
}
