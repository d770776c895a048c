import Foundation
import PorttiLocalization
import TerminalUI

// A manual and end-to-end check of the toolkit: the file picker in the terminal runtime.
// Usage: portti-tui-demo [FOLDER]. Prints what was picked once the terminal is restored.
let environment = ProcessInfo.processInfo.environment
let strings = StringTable(Language.fromEnvironment(environment))
let folder = CommandLine.arguments.dropFirst().first ?? FileManager.default.currentDirectoryPath
let home = environment["HOME"] ?? "/"
let picker = FilePicker(strings: strings, folder: FileSystemPath(folder), home: FileSystemPath(home),
                        utcOffset: TimeZone.current.secondsFromGMT())
do {
    let (shell, ending) = try await TerminalRuntime.run(Shell(picker, strings: strings), environment: environment)
    switch ending {
    case .quit:
        if case .picked(let files) = shell.screen.outcome {
            for file in files { print("picked \(file.displayName) \(file.type.rawValue)") }
        } else {
            print("cancelled")
        }
    case .signal(let number):
        print("ended by signal \(number)")
        exit(128 + number)
    }
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
