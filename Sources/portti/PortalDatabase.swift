import ArgumentParser
import Configuration
import Foundation
import Logging
import NIOSSL
import PortalServer
import PortalStore
import PortalStorePostgres
import PorttiLocalization
import PorttiModel
import PostgresNIO
import SystemPackage

/// Where the portal keeps its records: SQLite in the data folder (the default, for one portal), or a
/// PostgreSQL database that several portals share, named by a URL `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`
/// (`?sslmode=disable|prefer|require`; without it TLS is off on loopback and preferred elsewhere).
/// The URL comes from `--database`, then `PORTTI_DATABASE_URL`, then `{"database": {"url": ...}}` in
/// `$XDG_CONFIG_HOME/portti/config.json`: the same layering as the applicant's settings.
enum PortalDatabase: Sendable {
    case sqlite
    case postgres(PostgresClient.Configuration, shown: String, probe: PostgresProbe)

    /// Reads the URL through the layers. Throws `ValidationError` (exit 64) for a URL that is not one.
    static func resolve(
        option: String?, strings: StringTable, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> PortalDatabase {
        var parsed: [AbsoluteConfigKey: ConfigValue] = [:]
        if let option { parsed["database.url"] = .init(.string(option), isSecret: true) }
        let set = environment.filter { !$0.value.isEmpty }
        let variables = KeyMappingProvider(upstream: EnvironmentVariablesProvider(environmentVariables: set)) {
            $0.prepending(["portti"])
        }
        let file = try await FileProvider<JSONSnapshot>(
            filePath: FilePath(XDG.configHome(environment).appending(path: "portti/config.json").path), allowMissing: true)
        let reader = ConfigReader(providers: [InMemoryProvider(name: "command line", values: parsed), variables, file])
        guard let url = reader.string(forKey: "database.url", isSecret: true) else { return .sqlite }
        guard let configuration = postgresConfiguration(url) else {
            throw ValidationError(strings("serve.database_url_invalid", ["url": UntrustedText.sanitized(redacted(url))]))
        }
        let sslmode = URLComponents(string: url)?.queryItems?.first { $0.name == "sslmode" }?.value
        return .postgres(configuration, shown: redacted(url), probe: PostgresProbe(configuration, sslmode: sslmode))
    }

    /// The pool's configuration for a `postgres://` URL, or nil when it is not one.
    static func postgresConfiguration(_ text: String) -> PostgresClient.Configuration? {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme?.lowercased() ?? ""),
              let host = url.host, !host.isEmpty, let user = url.user?.removingPercentEncoding, !user.isEmpty
        else { return nil }
        let name = String(url.path.drop { $0 == "/" })
        // The database is named, as the README writes the URL; a port is one that exists.
        guard !name.isEmpty, !name.contains("/"), (1...65535).contains(url.port ?? 5432) else { return nil }
        let sslmode = url.queryItems?.first { $0.name == "sslmode" }?.value
        let tls: PostgresClient.Configuration.TLS
        switch sslmode {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case nil: tls = PortalConfiguration.isLoopback(host) ? .disable : .prefer(.makeClientConfiguration())
        default: return nil
        }
        return PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user, password: url.password?.removingPercentEncoding,
            database: name.removingPercentEncoding, tls: tls)
    }

    /// The URL without its password, to show; also when it is not a URL at all (then whatever stands
    /// between "USER:" and the last "@" is taken for one).
    static func redacted(_ text: String) -> String {
        if var url = URLComponents(string: text) {
            guard url.password != nil else { return text }
            url.password = "***"
            return url.string ?? text
        }
        guard let scheme = text.range(of: "://"), let at = text.range(of: "@", options: .backwards), scheme.upperBound < at.lowerBound,
              let colon = text[scheme.upperBound..<at.lowerBound].firstIndex(of: ":")
        else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at.lowerBound...])
    }
}

/// The portal's store and where its documents are kept, open, with the pool running when there is one
/// (PostgreSQL keeps both, for every portal on it; SQLite's documents are files in the data folder).
struct OpenedPortalStore: Sendable {
    let store: any PortalStore
    let documents: any DocumentStorage
    private let pool: Task<Void, Never>?

    /// Opens the store `database` names (SQLite in `dataFolder` when none): the PostgreSQL schema is brought
    /// up to date first. A database that cannot be reached within `patience` fails with exit 3 and says which,
    /// rather than waiting the pool's minute.
    /// `logger`: where the store tells of the database going away and coming back (silent by default).
    static func open(
        _ database: PortalDatabase, dataFolder: URL, strings: StringTable, patience: Duration = .seconds(10),
        logger: Logger = PostgresPortalStore.silent
    ) async throws -> OpenedPortalStore {
        switch database {
        case .sqlite:
            try createDataFolder(dataFolder)
            let configuration = PortalConfiguration(dataFolder: dataFolder)
            return OpenedPortalStore(
                store: try SQLitePortalStore(path: configuration.databasePath),
                documents: try DocumentVault(folder: configuration.documentsFolder), pool: nil)
        case .postgres(let configuration, let shown, let probe):
            // One connection first, to learn at once why a database cannot be used (no such database, no
            // such role, a wrong password): the pool would try again quietly until the patience ran out.
            if let refusal = await probe.refusal(within: patience) {
                note("\(strings("serve.database_unreachable", ["url": shown, "reason": UntrustedText.sanitized(refusal.reason)]))")
                throw ExitCode(3)
            }
            let store: PostgresPortalStore
            do {
                store = try await withThrowingTaskGroup(of: PostgresPortalStore?.self) { group in
                    group.addTask { try await PostgresPortalStore.open(configuration: configuration, logger: logger) }
                    group.addTask {
                        try await Task.sleep(for: patience)
                        return nil
                    }
                    defer { group.cancelAll() }
                    guard let first = try await group.next(), let store = first else { throw CancellationError() }
                    return store
                }
            } catch {
                note("\(strings("serve.database_unreachable", ["url": shown, "reason": Self.reason(error)]))")
                throw ExitCode(3)
            }
            return OpenedPortalStore(store: store, documents: store.documents, pool: Task { try? await store.run() })
        }
    }

    private static func reason(_ error: any Error) -> String {
        if error is CancellationError { return "no answer" }
        if let error = error as? PSQLError, let message = error.serverInfo?[.message] { return message }
        return String(describing: error)
    }

    /// Stops the pool, if any.
    func close() { pool?.cancel() }
}

/// One connection to the database, made before the pool starts, to say why it cannot be used.
struct PostgresProbe: Sendable {
    let host: String
    let port: Int
    let username: String
    let password: String?
    let database: String?
    let requiresTLS: Bool
    let prefersTLS: Bool

    /// `sslmode` as the URL gives it: TLS as the pool will use it.
    init(_ configuration: PostgresClient.Configuration, sslmode: String?) {
        host = configuration.host ?? "127.0.0.1"
        port = configuration.port ?? 5432
        username = configuration.username
        password = configuration.password
        database = configuration.database
        requiresTLS = sslmode == "require"
        prefersTLS = sslmode == "prefer" || (sslmode == nil && !PortalConfiguration.isLoopback(host))
    }

    /// Why the database cannot be used, or nil once a connection was made. The server's refusals (no such
    /// database or role, a wrong password, no TLS where it is required) are answered at once (`definite`); a
    /// server that does not answer, or refuses the connection, is asked again until `patience` runs out.
    func refusal(within patience: Duration) async -> (reason: String, definite: Bool)? {
        let deadline = ContinuousClock.now + patience
        var last = "no answer"
        while ContinuousClock.now < deadline {
            do {
                let tls: PostgresConnection.Configuration.TLS
                if requiresTLS { tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration())) }
                else if prefersTLS { tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration())) }
                else { tls = .disable }
                var configuration = PostgresConnection.Configuration(
                    host: host, port: port, username: username, password: password, database: database, tls: tls)
                configuration.options.connectTimeout = .seconds(3)
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: 1, logger: Logger(label: "portti.probe", factory: { _ in SwiftLogNoOpLogHandler() }))
                try? await connection.close()
                return nil
            } catch let error as PSQLError {
                if let message = error.serverInfo?[.message] { return (message, true) }
                if error.code == .sslUnsupported { return ("the server offers no TLS, which the URL requires", true) }
                last = error.underlying.map { String(describing: $0) } ?? String(describing: error.code)
            } catch {
                last = String(describing: error)
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return (last, false)
    }
}
