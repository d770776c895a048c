import ApplicantStore
import ArgumentParser
import Foundation
import PortalClient

extension Portti {
    /// Signs in to the portal; the session is kept for the following commands.
    struct SignIn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-in", abstract: "Sign in to the portal. The password is typed, or read from --password-file.")

        @OptionGroup var options: ApplicantOptions
        @Option(help: "Your user name.") var username: String
        @Option(help: "A file whose first line is the password (for scripts).") var passwordFile: String?

        func run() async throws {
            try await withApplicant(options, deliversOutbox: false) { context in
                let password = try readPassword(context)
                let session = try await context.client.signIn(username: username, password: password)
                try context.sessionFile.write(.init(
                    username: session.applicant.username, token: session.token, expiresAt: session.expiresAt,
                    displayName: session.applicant.displayName))
                if options.json { try sayJSON(session.applicant) } else {
                    say("\(context.strings("cli.signed_in", ["name": session.applicant.displayName]))")
                }
                // The outbox of the account now signed in (not of whoever was signed in before).
                let store = try ApplicantStore(path: ApplicantStore.path(
                    portal: context.portal, username: session.applicant.username, environment: ProcessInfo.processInfo.environment))
                await context.deliverOutbox(store)
            }
        }

        private func readPassword(_ context: ApplicantContext) throws -> String {
            if let passwordFile {
                guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                    throw context.failure(.fileUnreadable(path: passwordFile))
                }
                return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
            }
            if isatty(STDIN_FILENO) == 1, let typed = getpass(context.strings("cli.password_prompt")) {
                return String(cString: typed)
            }
            return readLine(strippingNewline: true) ?? ""
        }
    }

    /// Signs out: the session ends at the portal and is forgotten here.
    struct SignOut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sign-out", abstract: "Sign out of the portal.")

        @OptionGroup var options: ApplicantOptions

        func run() async throws {
            try await withApplicant(options, deliversOutbox: false) { context in
                defer { context.sessionFile.remove() }
                if context.session != nil { try? await context.client.signOut() }
                try say("\(context.strings("cli.signed_out"))", orJSON: DoneAnswer.SignedOut(), when: options.json)
            }
        }
    }
}
