import Foundation
import PorttiLocalization
import PorttiModel
import TerminalUI

// A manual and end-to-end check of the toolkit: the file picker in the terminal runtime.
// Usage: portti-tui-demo [FOLDER]. Prints what was picked once the terminal is restored.
let environment = ProcessInfo.processInfo.environment
let strings = StringTable(Language.fromEnvironment(environment))
let folder = CommandLine.arguments.dropFirst().first ?? FileManager.default.currentDirectoryPath
let home = environment["HOME"] ?? "/"
// The toolkit knows no kinds of files: the demo takes what the portal takes.
let limits = AttachmentLimits()
let rule = FileRule(maxBytes: limits.maxFileBytes, maxPicked: limits.maxFilesPerMessage,
                    signatureLength: AttachmentType.signatureLength) { AttachmentType.detect(prefix: $0)?.name }
let picker = FilePicker(strings: strings, folder: FileSystemPath(folder), home: FileSystemPath(home), rule: rule,
                        utcOffset: TimeZone.current.secondsFromGMT())
do {
    let (shell, ending) = try await TerminalRuntime.run(Shell(picker, strings: strings), environment: environment)
    switch ending {
    case .quit:
        if case .picked(let files) = shell.screen.outcome {
            for file in files { print("picked \(file.displayName) \(file.kind)") }
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
