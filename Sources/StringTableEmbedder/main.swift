import Foundation

// Usage: StringTableEmbedder OUTPUT.swift TABLE.json...
// Writes each table's JSON text as a raw string literal keyed by its language code (the file's base name).
let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: StringTableEmbedder OUTPUT TABLE...\n".utf8))
    exit(64)
}
let delimiter = String(repeating: "#", count: 4)
var source = "// Generated from Resources/strings by StringTableEmbedder. Do not edit.\n"
source += "enum EmbeddedStringTables {\n    static let json: [String: String] = [\n"
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    let text = try String(contentsOf: url, encoding: .utf8)
    guard (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: String] else {
        FileHandle.standardError.write(Data("error: \(path) is not a JSON object of strings\n".utf8))
        exit(65)
    }
    guard !text.contains("\"\"\"" + delimiter) else {
        FileHandle.standardError.write(Data("error: \(path) contains the literal delimiter\n".utf8))
        exit(65)
    }
    let language = url.deletingPathExtension().lastPathComponent
    source += "        \"\(language)\": \(delimiter)\"\"\"\n\(text)\n\"\"\"\(delimiter),\n"
}
source += "    ]\n}\n"
try source.write(toFile: output, atomically: true, encoding: .utf8)
