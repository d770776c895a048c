import Foundation
import PackagePlugin

/// Embeds the string tables of `Resources/strings` into the target's code, so that a binary copied
/// anywhere still has every word, with no resource bundle to lose.
@main
struct EmbedStringTables: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let tablesFolder = context.package.directoryURL.appending(path: "Resources/strings")
        let tables = try FileManager.default.contentsOfDirectory(at: tablesFolder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedStringTables.swift")
        return [
            .buildCommand(
                displayName: "Embedding string tables",
                executable: try context.tool(named: "StringTableEmbedder").url,
                arguments: [output.path] + tables.map(\.path),
                inputFiles: tables,
                outputFiles: [output]
            )
        ]
    }
}
