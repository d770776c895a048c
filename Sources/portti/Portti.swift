import ArgumentParser
import Foundation
import PorttiLocalization

/// Follow your applications and answer the immigration authority, in the terminal.
@main
struct Portti: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portti",
        abstract: "The applicant's portal of an immigration authority, in the terminal.",
        discussion: """
            Exit codes: 0 done; 1 refused (by the portal, or a file that cannot be sent or read); 3 the portal \
            cannot be reached, or answered wrongly (a message is then kept in the outbox and sent, once, by the next \
            command); 4 sign in \
            first (not signed in, or the session expired); 64 the command line or the configuration is wrong.
            """,
        subcommands: [
            TUI.self, SignIn.self, SignOut.self, Applications.self, Show.self, Requests.self, Reply.self, Send.self,
            Notifications.self, Messages.self, MessageCommand.self, DecisionCommand.self, Receipts.self, Outbox.self, Drafts.self, Serve.self, Officer.self,
            Demo.self,
        ],
        defaultSubcommand: TUI.self
    )
}

/// Options every command shares.
struct CommonOptions: ParsableArguments {
    @Option(help: "Language of the output: fi, sv or en. Default: PORTTI_LANG, the config file, then LC_ALL/LC_MESSAGES/LANG.")
    var lang: String?

    /// The words in the language every command takes by the same rule (`ApplicantSettings.language`).
    var strings: StringTable {
        StringTable(ApplicantSettings.language(lang: lang, environment: ProcessInfo.processInfo.environment))
    }

    func validate() throws { try ApplicantSettings.validate(lang: lang) }
}

/// Where the portal keeps its data.
struct PortalDataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "The portal's data folder. Default: $XDG_DATA_HOME/portti/portal.")
    var dataFolder: String?
    @Option(help: """
        The portal's records in PostgreSQL, shared by several portals: postgres://USER@HOST:PORT/DB \
        (also PORTTI_DATABASE_URL or {"database": {"url": ...}} in the config file). Default: SQLite in the data folder.
        """)
    var database: String?
}

/// Creates a data folder only its owner can enter: it holds personal data.
func createDataFolder(_ folder: URL) throws {
    try FileManager.default.createDirectory(
        at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
}

extension ParsableCommand {
    /// Prints a translated failure and ends the command with exit code 1.
    func fail(_ message: String) -> ExitCode {
        note("\(message)")
        return ExitCode.failure
    }

    /// Prints a translated failure of the command line or the configuration (a file an option names that is not
    /// what it should be, a folder that holds no portal) and ends the command with exit code 64.
    func usage(_ message: String) -> ExitCode {
        note("\(message)")
        return ExitCode(64)
    }
}
