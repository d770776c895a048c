import ApplicantStore
import ArgumentParser
import Delivery
import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel

/// Options of every applicant command.
struct ApplicantOptions: ParsableArguments {
    @Option(name: .customLong("portal"), help: "The portal's address. Default: PORTTI_URL, then the config file.")
    var portal: String?
    @Option(name: .customLong("ca-file"), help: "Trust these certificate authorities (PEM) instead of the system's.")
    var caFile: String?
    @Option(help: "Language: fi, sv or en. Default: PORTTI_LANG, the config file, then LC_ALL/LC_MESSAGES/LANG.")
    var lang: String?
    @Flag(help: "Print JSON for scripts instead of text.")
    var json = false

    func validate() throws { try ApplicantSettings.validate(lang: lang) }
}

/// Exit codes of the applicant commands, as `--help` documents them.
enum ExitStatus {
    static let refused: Int32 = 1
    static let usage: Int32 = 64
    static let unreachable: Int32 = 3
    static let signInNeeded: Int32 = 4

    static func of(_ error: ClientError) -> Int32 {
        switch error {
        case .portalUnreachable, .timeout, .serverError, .malformedReply, .untrustedPortal: unreachable
        case .sessionExpired, .notSignedIn, .invalidCredentials, .tooManyAttempts: signInNeeded
        default: refused
        }
    }
}

/// What an applicant command works with: the settings, words, the client signed in from the session file,
/// the account's local store and the courier that sends once.
struct ApplicantContext {
    let options: ApplicantOptions
    let settings: ApplicantSettings
    /// Whose records and session these are: the configured portal's address, or the demo portal.
    let portal: PortalIdentity
    let strings: StringTable
    let formats: Formats
    let client: PortalClient
    let sessionFile: SessionFile
    let session: SessionFile.Content?

    /// - Parameter offline: the command reads only what is kept on this machine: a demo portal that has stopped
    ///   is no failure, and nothing is said about which portal is used.
    static func open(_ options: ApplicantOptions, offline: Bool = false) async throws -> ApplicantContext {
        var settings: ApplicantSettings
        do {
            settings = try await ApplicantSettings.resolve(portal: options.portal, lang: options.lang, caFile: options.caFile)
        } catch {
            let strings = StringTable(ApplicantSettings.language(lang: options.lang, environment: ProcessInfo.processInfo.environment))
            throw Failure(strings("cli.config_unreadable", ["path": ApplicantSettings.configFile(ProcessInfo.processInfo.environment)]), ExitStatus.usage)
        }
        let strings = StringTable(settings.language)
        let environment = ProcessInfo.processInfo.environment
        var configured = settings.portalURL
        var identity: PortalIdentity?
        if configured == nil {
            configured = try await demoPortal(environment, strings, offline: offline)
            if configured != nil { identity = .demo }
        }
        guard let url = configured, let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else { throw Failure(strings("cli.no_portal", ["path": ApplicantSettings.configFile(environment)]), ExitStatus.usage) }
        settings.portalURL = url
        let portal = identity ?? PortalIdentity(url)
        let sessionFile = SessionFile(portal: portal)
        let session = sessionFile.read()
        let client: PortalClient
        do {
            client = try PortalClient(portalURL: url, caFile: settings.caFile, token: session?.token)
        } catch let error as ClientError {
            throw Failure(strings(error.messageKey, error.messageArguments), ExitStatus.usage)
        }
        return ApplicantContext(
            options: options, settings: settings, portal: portal, strings: strings, formats: Formats(settings.language), client: client,
            sessionFile: sessionFile, session: session)
    }

    /// With no portal configured: the demo portal the terminal UI started, when it runs (said on standard
    /// error); nil when the terminal UI never started one.
    /// - Throws: a `Failure` saying how to start it again (or which portal to give) when it has stopped.
    private static func demoPortal(_ environment: [String: String], _ strings: StringTable, offline: Bool) async throws -> URL? {
        let folder = EmbeddedPortal.folder(environment)
        guard let port = EmbeddedPortal.lastPort(folder), let url = URL(string: "http://127.0.0.1:\(port)") else { return nil }
        if offline { return url }
        let probe = try PortalClient(portalURL: url)
        let running = await probe.isUp()
        await probe.shutdown()
        guard running else {
            throw Failure(strings("cli.demo_portal_stopped", [
                "url": url.absoluteString, "folder": folder.path, "port": String(port),
                "path": ApplicantSettings.configFile(environment),
            ]), ExitStatus.usage)
        }
        note("\(strings("cli.demo_portal_used", ["url": url.absoluteString]))")
        return url
    }

    /// Where the signed-in account's records are kept; nil when nobody is signed in to this portal.
    var storePath: String? {
        guard let session else { return nil }
        return ApplicantStore.path(portal: portal, username: session.username, environment: ProcessInfo.processInfo.environment)
    }

    /// The account's local store; nil when nobody is signed in to this portal.
    func store() throws(ApplicantStoreError) -> ApplicantStore? {
        try storePath.map { path throws(ApplicantStoreError) in try ApplicantStore(path: path) }
    }

    /// The local store of the signed-in account, or the translated "sign in first".
    func requireStore() throws -> ApplicantStore {
        guard let store = try store() else { throw failure(.notSignedIn) }
        return store
    }

    /// Sends what an earlier run left in the outbox (a crash, a lost connection), and says on standard error
    /// what became of each: delivered, or refused for good. Answers the failure that stopped the delivery (no
    /// connection, no session), if one did: what is left then still waits.
    @discardableResult
    func deliverOutbox(_ store: ApplicantStore) async -> ClientError? {
        let courier = Courier(client: client, store: store)
        var stopped: ClientError?
        let outcomes = await courier.deliverPending()
        let references = outcomes.isEmpty ? References.none : await references(store)
        for (item, outcome) in outcomes {
            switch outcome {
            case .success(let receipt):
                note("\(strings("cli.outbox_delivered", ["number": receipt.number, "target": describe(item.target, references)]))")
            case .failure(let error) where error.isDefiniteRefusal:
                note("\(strings("cli.outbox_refused")) \(describe(item.target, references)): \(failure(error).message)")
            case .failure(let error):
                stopped = error
            }
        }
        return stopped
    }

    func finish() async { await client.shutdown() }

    func failure(_ error: ClientError) -> Failure {
        // The courier cannot say where the records are; this command knows.
        if error == .localStorageFailed, let storePath {
            return failure(.cannotReadOrWrite(folder: URL(fileURLWithPath: storePath).deletingLastPathComponent().path))
        }
        var arguments = error.messageArguments
        if case .attachmentRefused(.attachmentTooLarge, let limit?) = error {
            arguments["limit"] = formats.size(limit, strings: strings)
        }
        return Failure(strings(error.messageKey, arguments), ExitStatus.of(error))
    }

    /// The records cannot be used: which folder, and what to do. The exit code is that of a file that cannot be
    /// read or written.
    func failure(_ error: ApplicantStoreError) -> Failure {
        switch error {
        case .cannotOpen(let folder): Failure(strings("cli.records_unopenable", ["folder": folder]), ExitStatus.refused)
        case .cannotReadOrWrite(let folder): Failure(strings("cli.records_unwritable", ["folder": folder]), ExitStatus.refused)
        }
    }

    /// The message and exit code of a failure this program explains; nil for any other error.
    func failure(for error: any Error) -> Failure? {
        switch error {
        case let failure as Failure: failure
        case let error as ClientError: self.failure(error)
        case let error as ApplicantStoreError: self.failure(error)
        default: nil
        }
    }
}

/// A translated failure and the exit code it ends the command with.
struct Failure: Error {
    let message: String
    let status: Int32
    init(_ message: String, _ status: Int32) {
        self.message = message
        self.status = status
    }
}

extension AsyncParsableCommand {
    /// Runs an applicant command: opens the context, turns failures into their message and exit code.
    /// `offline`: the command reads only what is kept here (`ApplicantContext.open`), and delivers no outbox.
    func withApplicant(
        _ options: ApplicantOptions, deliversOutbox: Bool = true, offline: Bool = false,
        _ body: (ApplicantContext) async throws -> Void
    ) async throws {
        let context: ApplicantContext
        do {
            context = try await ApplicantContext.open(options, offline: offline)
        } catch let failure as Failure {
            note("\(failure.message)")
            throw ExitCode(failure.status)
        }
        do {
            try await body(context)
            // What earlier runs left unsent goes now, after this command's own work.
            if deliversOutbox, !offline, let store = try? context.store() { await context.deliverOutbox(store) }
            await context.finish()
        } catch {
            await context.finish()
            guard let failure = context.failure(for: error) else { throw error }
            note("\(failure.message)")
            throw ExitCode(failure.status)
        }
    }
}
