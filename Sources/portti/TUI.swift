import ApplicantApp
import ApplicantStore
import ArgumentParser
import Foundation
import Logging
import PortalClient
import PortalServer
import PorttiLocalization
import PorttiModel
import TerminalUI

extension Portti {
    /// The terminal UI, the default command. With no portal configured it starts one on this machine with demo
    /// data and signs in as the demo applicant.
    struct TUI: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tui",
            abstract: "The applicant's terminal UI (the default). With no portal configured, a demo portal starts on this machine.")

        @Option(name: .customLong("portal"), help: "The portal's address. Default: PORTTI_URL, then the config file; none: a demo portal.")
        var portal: String?
        @Option(name: .customLong("ca-file"), help: "Trust these certificate authorities (PEM) instead of the system's.")
        var caFile: String?
        @Option(help: "Language: fi, sv or en (switch any time with F2).")
        var lang: String?

        func validate() throws { try ApplicantSettings.validate(lang: lang) }

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let settings: ApplicantSettings
            do {
                settings = try await ApplicantSettings.resolve(portal: portal, lang: lang, caFile: caFile, environment: environment)
            } catch {
                let strings = StringTable(ApplicantSettings.language(lang: lang, environment: environment))
                throw fail(strings("cli.config_unreadable", ["path": ApplicantSettings.configFile(environment)]))
            }
            let strings = StringTable(settings.language)
            guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw fail(strings("tui.not_a_terminal")) }
            let logFile = XDG.stateHome(environment).appending(path: "portti/portti.log")

            // No portal anywhere: our own, with demo data, so every flow can be seen at once.
            var embedded: EmbeddedPortal?
            let portalURL: URL
            if let configured = settings.portalURL {
                portalURL = configured
            } else {
                let started = try await EmbeddedPortal.start(environment: environment, logFile: logFile)
                embedded = started
                portalURL = started.url
            }
            let client = try PortalClient(portalURL: portalURL, caFile: settings.caFile)
            let identity = embedded == nil ? PortalIdentity(portalURL) : PortalIdentity.demo
            let sessionFile = SessionFile(portal: identity, environment: environment)
            var applicant: Applicant?
            var note: DemoPortalNote?
            if let embedded {
                let session = try await client.signIn(username: DemoData.username, password: DemoData.password)
                try? sessionFile.write(.init(username: session.applicant.username, token: session.token,
                                             expiresAt: session.expiresAt, displayName: session.applicant.displayName))
                applicant = session.applicant
                note = DemoPortalNote(url: embedded.url, folder: embedded.folder.path, username: DemoData.username,
                                      password: DemoData.password)
            } else if let kept = sessionFile.read() {
                client.use(token: kept.token)
                applicant = Applicant(id: "", username: kept.username, displayName: kept.displayName ?? kept.username)
            }

            // What the app knows of this machine is taken here, once: its screens never ask the process.
            let services = AppServices(
                client: client, portalURL: portalURL, portalIdentity: identity, environment: environment, portalNote: note,
                pickerFolder: FileManager.default.currentDirectoryPath, utcOffset: TimeZone.current.secondsFromGMT(),
                runEditor: { path in Self.runEditor(path, environment: environment) },
                rememberLanguage: { ApplicantSettings.remember(language: $0, environment: environment) })
            let app = PorttiApp(services: services, language: settings.language, signedIn: applicant,
                                username: sessionFile.read()?.username ?? "")
            let (final, ending) = try await TerminalRuntime.run(Shell(app, strings: strings), environment: environment)
            // A signal ended the run: whatever was typed is written down before the program goes.
            if let store = final.screen.accountStore {
                for draft in final.screen.unsavedDrafts where !draft.text.isEmpty || !draft.files.isEmpty { try? store.save(draft) }
            }
            await client.shutdown()
            await embedded?.stop()
            if case .signal(let number) = ending { throw ExitCode(128 + number) }
        }

        /// `$VISUAL`, else `$EDITOR`, else `vi`, on `path`, in the foreground of this terminal.
        static func runEditor(_ path: String, environment: [String: String]) -> EditorRun {
            let editor = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
            // Looked for first, quietly: a shell that cannot find it would print its complaint on the screen
            // the applicant goes back to.
            let command = String(editor.split(whereSeparator: \.isWhitespace).first ?? "")
            guard shell(["-c", "command -v -- \"$1\"", "sh", command], quiet: true) == 0 else { return .notFound(editor: editor) }
            // Through the shell, as other programs do, so "code --wait" or "vim -u NONE" work.
            guard let status = shell(["-c", editor + " \"$1\"", "sh", path], quiet: false) else { return .failed(editor: editor, status: -1) }
            // WIFEXITED/WEXITSTATUS by hand: the C macros do not reach Swift.
            let exited = status & 0x7F == 0
            let code = (status >> 8) & 0xFF
            if exited, code == 0 { return .finished }
            if exited, code == 126 || code == 127 { return .notFound(editor: editor) }
            return .failed(editor: editor, status: exited ? code : 128 + (status & 0x7F))
        }

        /// Runs /bin/sh with `arguments` and waits; `quiet` sends its output and errors to /dev/null. Answers
        /// the wait status, or nil when it could not be started.
        static func shell(_ arguments: [String], quiet: Bool) -> Int32? {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            if quiet {
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            }
            let argv: [UnsafeMutablePointer<CChar>?] = (["/bin/sh"] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var child: pid_t = 0
            guard posix_spawn(&child, "/bin/sh", &actions, nil, argv, environ) == 0 else { return nil }
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
            return status
        }
    }
}
