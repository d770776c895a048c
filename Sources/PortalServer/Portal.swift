import Foundation
import HummingbirdBcrypt
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import OpenAPIHummingbird
import OpenAPIRuntime
import PortalAPI
import PortalStore
import ReceiptProof
import PorttiModel
import ServiceLifecycle
import UnixSignals

public enum PortalSetupError: Error, Equatable {
    /// Plain HTTP on an address other than loopback, without `allowInsecure`.
    case insecureBind(host: String)
    /// The certificate or key cannot be read, or is not PEM.
    case unreadableTLSFile(path: String)
    /// The receipt signing key file cannot be read, or is not an Ed25519 private key in PEM.
    case unreadableReceiptKey(path: String)
}

/// The running portal: the HTTP application and the notification streams it must end when it shuts down.
public struct Portal: Service {
    let application: Hummingbird.Application<RouterResponder<BasicRequestContext>>
    let feed: NotificationFeed

    public func run() async throws {
        // The server waits for open responses before it stops, and a notification stream never ends on its
        // own: end the streams as soon as the shutdown begins.
        try await withGracefulShutdownHandler {
            try await application.run()
        } onGracefulShutdown: {
            Task { await feed.close() }
        }
    }

    /// Runs the portal until one of `gracefulShutdownSignals` arrives. An embedding program that owns the
    /// signals passes none and cancels the task instead.
    public func runService(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [self], gracefulShutdownSignals: gracefulShutdownSignals, logger: application.logger))
        try await group.run()
    }
}

/// Builds the portal server from its configuration and storage: the binary and the tests run the same thing.
/// Attachments and decision documents are kept in `documents`; without it, in the data folder's vault.
/// `onServerRunning` receives the port actually bound, which matters when the configuration asks for port 0.
public func buildPortal(
    configuration: PortalConfiguration,
    store: any PortalStore,
    documents: (any DocumentStorage)? = nil,
    logger: Logger = Logger(label: "portti.portal"),
    clock: @escaping @Sendable () -> Date = { Date() },
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> Portal {
    if !configuration.usesTLS && !configuration.allowInsecure && !PortalConfiguration.isLoopback(configuration.host) {
        throw PortalSetupError.insecureBind(host: configuration.host)
    }
    let documents = try documents ?? DocumentVault(folder: configuration.documentsFolder)
    let abandoned = await documents.removeAbandoned()
    if abandoned > 0 { logger.info("removed \(abandoned) partial uploads left by an earlier stop") }
    await sweep(documents: documents, store: store, configuration: configuration, clock: clock, logger: logger)
    let receiptKey = try await prepareReceiptKey(store: store, path: configuration.receiptKeyPath, now: clock())
    logger.info("receipts are signed with key \(receiptKey.kid)")
    let feed = NotificationFeed(store: store, interval: configuration.notificationPollInterval, logger: logger)
    let handler = PortalHandler(
        configuration: configuration, store: store, documents: documents, feed: feed,
        throttle: SignInThrottleRule(freeAttempts: configuration.freeSignInAttempts, maxDelay: configuration.maxSignInDelay),
        passwordChecks: PasswordChecks(limit: configuration.maxPasswordChecksUnderWay),
        uploads: AdmissionGate(
            limit: configuration.maxUploadsUnderWay, perKeyLimit: configuration.maxUploadsUnderWayPerApplicant,
            waitingLimit: configuration.maxUploadsWaiting,
            waitingPerKeyLimit: configuration.maxUploadsWaitingPerApplicant),
        clock: clock, logger: logger,
        decoyHash: try await Passwords.hash(SessionToken.make(), cost: configuration.bcryptCost))

    let router = Router()
    let routes = RouteTable()
    let streamingPaths: Set<String> = [portalAPIBasePath + "/attachments"]
    router.add(middleware: RequestBoundary(
        maxBufferedBody: configuration.maxJSONBodyBytes, streamingPaths: streamingPaths, routes: routes, logger: logger))
    try handler.registerHandlers(
        on: RecordingTransport(router: router, table: routes), serverURL: URL(string: portalAPIBasePath)!, configuration: .portal,
        middlewares: [
            ProblemMiddleware(logger: logger),
            AuthenticationMiddleware(store: store, idleTimeout: configuration.sessionIdleTimeout, clock: clock),
        ])

    let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [
        ConnectionDeadlines(
            headTimeout: configuration.requestHeadTimeout, bodyTimeout: configuration.requestBodyTimeout,
            streamingPaths: streamingPaths),
    ]))
    let server: HTTPServerBuilder
    if let certificatePath = configuration.tlsCertificatePath, let keyPath = configuration.tlsKeyPath {
        for path in [certificatePath, keyPath] where !FileManager.default.isReadableFile(atPath: path) {
            throw PortalSetupError.unreadableTLSFile(path: path)
        }
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        server = try .tls(http1, tlsConfiguration: tls)
    } else {
        server = http1
    }
    let application = Hummingbird.Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Portti"),
        services: [
            feed,
            Housekeeping(
                store: store, grace: configuration.expiredSessionGrace, signInMemory: configuration.maxSignInDelay,
                interval: configuration.housekeepingInterval,
                clock: clock, logger: logger),
        ],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    return Portal(application: application, feed: feed)
}

/// The key receipts are signed with from now on: the one in the PEM file at `path` (added to the store unless it
/// is there), else the store's newest, made now if the store has none.
/// - Throws: `PortalSetupError.unreadableReceiptKey` for a file that is not an Ed25519 private key in PEM.
func prepareReceiptKey(store: any PortalStore, path: String?, now: Date) async throws -> ReceiptSigningKey {
    guard let path else { return try await store.addReceiptSigningKey(.generate(now: now), onlyIfNone: true) }
    guard let pem = try? String(contentsOfFile: path, encoding: .utf8), let key = try? ReceiptSigningKey(pem: pem, createdAt: now)
    else { throw PortalSetupError.unreadableReceiptKey(path: path) }
    if let known = try await store.receiptSigningKeys().last, known.kid == key.kid { return known }
    return try await store.addReceiptSigningKey(key, onlyIfNone: false)
}

/// Removes files uploaded and never sent once their time is past, and files no record refers to (an upload
/// refused after its body was kept). Run before the server takes a request; another portal on the same storage
/// may be taking them, so a document received again since the sweep began stays (`remove`). A file younger than
/// an hour is left, as the officer's CLI may be about to record it. A failure is logged: the portal starts anyway.
func sweep(
    documents: any DocumentStorage, store: any PortalStore, configuration: PortalConfiguration, clock: @Sendable () -> Date,
    logger: Logger
) async {
    do {
        let now = clock()
        let began = Date()
        let forgotten = try await store.forgetUnsentAttachments(uploadedBefore: now - configuration.unsentAttachmentRetention)
        let orphans = try await store.unreferenced(await documents.digests(writtenBefore: began - 3600))
        let removable = Set(forgotten + orphans)
        for digest in removable { await documents.remove(sha256: digest, unlessWrittenSince: began) }
        if !removable.isEmpty { logger.info("removed \(removable.count) kept files that nothing refers to") }
    } catch is CancellationError {
        // The portal is stopping: nothing failed.
    } catch {
        logger.error("sweeping unsent attachments failed: \(error)")
    }
}
