import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PortalServer
import PortalStore
import PorttiModel

extension Portti {
    /// Runs the portal server.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the portal server.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var data: PortalDataOptions

        @Option(help: "Address to listen on. Without TLS only loopback is allowed (see --allow-insecure).")
        var host = "127.0.0.1"
        @Option(help: "Port to listen on; 0 picks a free one.")
        var port = 8080
        @Option(help: "TLS certificate chain (PEM). With --tls-key the portal serves HTTPS.")
        var tlsCertificate: String?
        @Option(help: "TLS private key (PEM).")
        var tlsKey: String?
        @Option(help: "Ed25519 private key (PEM) to sign receipts with; by default the portal's store keeps one.")
        var receiptKey: String?
        @Flag(help: "Serve plain HTTP on a non-loopback address. Personal data then travels unencrypted.")
        var allowInsecure = false
        @Option(help: "Largest attachment in bytes.")
        var maxFileBytes: Int64 = AttachmentLimits().maxFileBytes
        @Option(help: "Most attachments in one message.")
        var maxFiles: Int = AttachmentLimits().maxFilesPerMessage
        @Option(help: "Most attachments an applicant may upload within a day without sending them in a message.")
        var maxUnsentFiles: Int = PortalConfiguration.defaultMaxUnsentAttachmentsPerDay
        @Option(help: "Uploads of one applicant received at once; more wait their turn.")
        var maxUploadsPerApplicant: Int = PortalConfiguration.defaultMaxUploadsUnderWayPerApplicant
        @Option(help: "Days from the date a decision is served to the last day to appeal.")
        var appealDays = 30
        @Option(help: "Minutes a session lasts without use.")
        var sessionMinutes = 30
        @Flag(help: "Create the demo applicant and its applications first, if they do not exist.")
        var demo = false

        func validate() throws {
            let strings = common.strings
            if (tlsCertificate == nil) != (tlsKey == nil) { throw ValidationError(strings("serve.tls_pair")) }
            guard (1...7 * 24 * 60).contains(sessionMinutes) else {
                throw ValidationError(strings("serve.bad_number", ["option": "--session-minutes", "range": "1–10080"]))
            }
            guard (1...3650).contains(appealDays) else {
                throw ValidationError(strings("serve.bad_number", ["option": "--appeal-days", "range": "1–3650"]))
            }
            guard maxFileBytes > 0, maxFiles > 0, maxUnsentFiles > 0, maxUploadsPerApplicant > 0 else {
                throw ValidationError(strings("serve.bad_number", [
                    "option": "--max-file-bytes/--max-files/--max-unsent-files/--max-uploads-per-applicant", "range": "≥ 1"]))
            }
        }

        func run() async throws {
            let strings = common.strings
            raiseOpenFileLimit()
            var configuration = PortalConfiguration(
                dataFolder: data.dataFolder.map { URL(fileURLWithPath: $0, isDirectory: true) }
                    ?? defaultPortalDataFolder())
            configuration.host = host
            configuration.port = port
            configuration.tlsCertificatePath = tlsCertificate
            configuration.tlsKeyPath = tlsKey
            configuration.receiptKeyPath = receiptKey
            configuration.allowInsecure = allowInsecure
            configuration.attachmentLimits = AttachmentLimits(maxFileBytes: maxFileBytes, maxFilesPerMessage: maxFiles)
            configuration.maxUnsentAttachmentsPerDay = maxUnsentFiles
            configuration.maxUploadsUnderWayPerApplicant = maxUploadsPerApplicant
            configuration.appealDays = appealDays
            configuration.sessionIdleTimeout = TimeInterval(sessionMinutes * 60)

            try createDataFolder(configuration.dataFolder)
            let database = try await PortalDatabase.resolve(option: data.database, strings: strings)
            switch database {
            case .sqlite:
                PortalFolderLock.holdWhileServing(configuration.dataFolder)
            case .postgres(_, let shown, _):
                // A SQLite portal left in the folder is not served from the database: say how to move it.
                if FileManager.default.fileExists(atPath: configuration.databasePath) {
                    note("\(strings("serve.sqlite_left_behind", ["path": configuration.dataFolder.path, "url": shown]))")
                }
            }
            let logger = Logger(label: "portti.portal") { label in
                SanitizedLogHandler(wrapped: StreamLogHandler.standardError(label: label))
            }
            // The store logs too: the database going away and coming back is the operator's business.
            let opened = try await OpenedPortalStore.open(database, dataFolder: configuration.dataFolder, strings: strings,
                                                          logger: logger)
            defer { opened.close() }
            let store = opened.store
            if demo {
                try await DemoData.seed(store: store, documents: opened.documents)
            }
            let scheme = configuration.usesTLS ? "https" : "http"
            let folder = configuration.dataFolder.path
            let portal: Portal
            do {
                portal = try await buildPortal(
                    configuration: configuration, store: store, documents: opened.documents, logger: logger,
                    onServerRunning: { port in
                        say("\(strings("serve.listening", ["url": "\(scheme)://\(host):\(port)"]))")
                        say("\(strings("serve.data_folder", ["path": folder]))")
                        if case .postgres(_, let shown, _) = database { say("\(strings("serve.database", ["url": shown]))") }
                    })
            } catch PortalSetupError.insecureBind(let host) {
                throw usage(strings("serve.insecure_bind", ["host": host]))
            } catch PortalSetupError.unreadableReceiptKey(let path) {
                throw usage(strings("serve.receipt_key_unreadable", ["path": path]))
            } catch PortalSetupError.unreadableTLSFile(let path) {
                throw usage(strings("serve.tls_unreadable", ["path": path]))
            } catch let error where tlsCertificate != nil {
                throw usage(strings("serve.tls_unreadable", ["path": "\(tlsCertificate ?? "") / \(tlsKey ?? "")"]) + " (\(error))")
            }
            try await portal.runService()
        }
    }
}

/// Each connection holds a file descriptor, and the usual soft limit (1024) is far below what a portal serving
/// many applicants at once needs: the soft limit is raised to the hard one the system allows.
func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
}
