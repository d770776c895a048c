import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import NIOCore
import NIOSSL
import NIOPosix
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime
import PortalAPI
import PorttiModel
import ReceiptProof

/// The applicant's connection to a portal: every operation of the contract with domain values in and out,
/// and `PorttiModel.ClientError` for everything that can go wrong. Safe to share; one instance per portal.
public final class PortalClient: Sendable {
    public let portalURL: URL
    public let settings: ClientSettings
    private let httpClient: HTTPClient
    private let session: Shared<String?>
    private let client: Client
    /// Extra middlewares, innermost; tests use them to cut connections at chosen moments.
    private let faults: [any ClientMiddleware]

    /// - Parameters:
    ///   - portalURL: the portal's address (`http://host:port` or `https://...`), without the API path.
    ///   - caFile: a PEM file of certificate authorities to trust instead of the system's.
    public convenience init(
        portalURL: URL, caFile: String? = nil, token: String? = nil, settings: ClientSettings = .init()
    ) throws {
        try self.init(portalURL: portalURL, caFile: caFile, token: token, settings: settings, faults: [])
    }

    init(
        portalURL: URL, caFile: String?, token: String?, settings: ClientSettings, faults: [any ClientMiddleware]
    ) throws {
        self.portalURL = portalURL
        self.faults = faults
        self.settings = settings
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .init(settings.connectTimeout), read: nil)
        configuration.redirectConfiguration = .disallow
        // A refused connection fails at once; our own retries with backoff decide how long to keep trying
        // (the pool would otherwise retry silently until the request's whole timeout).
        configuration.connectionPool.retryConnectionEstablishment = false
        // Below the portal's 10 seconds for an idle connection: the client lets go first, so a request never
        // goes out on a connection the portal is closing.
        configuration.connectionPool.idleTimeout = .seconds(5)
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else { throw PorttiModel.ClientError.fileUnreadable(path: caFile) }
            tls.trustRoots = .file(caFile)
        }
        configuration.tlsConfiguration = tls
        httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        session = Shared(token)
        client = Self.makeClient(
            portalURL, httpClient, session, timeout: settings.requestTimeout, maxBody: settings.maxReplyBytes, faults: faults)
    }

    /// Closes the connections. Call once, when the client is no longer used.
    public func shutdown() async {
        try? await httpClient.shutdown()
    }

    public var token: String? { session.withLock { $0 } }

    private static func makeClient(
        _ portalURL: URL, _ httpClient: HTTPClient, _ session: Shared<String?>, timeout: Duration, maxBody: Int,
        faults: [any ClientMiddleware]
    ) -> Client {
        Client(
            serverURL: portalURL.appending(path: portalAPIBasePath), configuration: .portal,
            transport: AsyncHTTPClientTransport(configuration: .init(client: httpClient, timeout: .init(timeout))),
            middlewares: [BearerMiddleware(session: session), ReplySizeLimit(maxBytes: maxBody)] + faults)
    }

    // MARK: Session

    /// Signs in; the token is kept in this client (and returned, for the caller to keep).
    public func signIn(username: String, password: String) async throws(PorttiModel.ClientError) -> SignedInSession {
        let output = try await attempt(retrying: false) {
            try await $0.signIn(body: .json(.init(username: username, password: password)))
        }
        switch output {
        case .ok(let ok):
            let session = try Self.decode { try ok.body.json }
            self.session.withLock { $0 = session.token }
            return SignedInSession(
                token: session.token, expiresAt: session.expiresAt,
                applicant: Applicant(id: session.applicant.id, username: session.applicant.username,
                                     displayName: session.applicant.displayName))
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// Signs out at the portal (the token stops working there) and forgets the token here.
    public func signOut() async throws(PorttiModel.ClientError) {
        defer { session.withLock { $0 = nil } }
        let output = try await attempt { try await $0.signOut() }
        if case .default(let status, let problem) = output {
            let error = Self.error(status, problem)
            if error != .notSignedIn && error != .sessionExpired { throw error }
        }
    }

    /// Whether a portal answers at this address (`GET /health`), asked once, without retries.
    public func isUp() async -> Bool {
        guard let output = try? await attempt(retrying: false, { try await $0.health() }) else { return false }
        if case .ok = output { return true }
        return false
    }

    /// Uses a token kept from an earlier sign-in.
    public func use(token: String?) { session.withLock { $0 = token } }

    /// A client for long streams: its transport timeout is a day, and an idle watchdog replaces it.
    func makeStreamClient() -> Client {
        Self.makeClient(
            portalURL, httpClient, session, timeout: .seconds(86_400), maxBody: settings.maxReplyBytes, faults: faults)
    }

    // MARK: Applications and requests

    public func applications() async throws(PorttiModel.ClientError) -> [Application] {
        switch try await attempt({ try await $0.listApplications() }) {
        case .ok(let ok): return try Self.decode { try ok.body.json.applications.map { try Application($0) } }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    public func application(id: String) async throws(PorttiModel.ClientError) -> ApplicationOverview {
        switch try await attempt({ try await $0.getApplication(path: .init(applicationId: id)) }) {
        case .ok(let ok):
            return try Self.decode {
                let detail = try ok.body.json
                return ApplicationOverview(
                    application: try Application(detail.application), timeline: detail.timeline.map(TimelineEvent.init),
                    decisionID: try detail.decisionId.map(Checked.id))
            }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    public func requests(applicationID: String) async throws(PorttiModel.ClientError) -> [SupplementRequest] {
        switch try await attempt({ try await $0.listRequests(path: .init(applicationId: applicationID)) }) {
        case .ok(let ok): return try Self.decode { try ok.body.json.requests.map { try SupplementRequest($0) } }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    public func request(id: String) async throws(PorttiModel.ClientError) -> SupplementRequest {
        switch try await attempt({ try await $0.getRequest(path: .init(requestId: id)) }) {
        case .ok(let ok): return try Self.decode { try SupplementRequest(ok.body.json) }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    // MARK: Sending

    /// Uploads a file from disk in constant memory, reporting bytes sent of the total. When `expectedSHA256` is
    /// given (the digest when the file was attached), a file that changed or vanished since is refused with
    /// `fileChanged`: it is hashed as it streams (read once) and the upload fails before its last chunk, so the
    /// portal keeps nothing. Repeats with the same key are recorded once. `pathBytes` opens the file when its
    /// name is not UTF-8 (`path` then names it in errors).
    public func upload(
        fileAt path: String, pathBytes: [UInt8]? = nil, name: String, expectedSHA256: String?, idempotencyKey: String,
        progress: @escaping @Sendable (_ sent: Int64, _ total: Int64) -> Void = { _, _ in }
    ) async throws(PorttiModel.ClientError) -> Attachment {
        let pathBytes = pathBytes ?? Array(path.utf8)
        let size: Int64
        do {
            size = try LocalFile.size(pathBytes: pathBytes)
        } catch {
            throw expectedSHA256 == nil ? .fileUnreadable(path: path) : .fileChanged(path: path)
        }
        // The transport's timeout covers the whole request: give a slow link time for the whole file.
        let timeout = settings.requestTimeout + .seconds(Double(size) / Double(settings.slowestUploadBytesPerSecond))
        let uploader = Self.makeClient(
            portalURL, httpClient, session, timeout: timeout, maxBody: settings.maxReplyBytes, faults: faults)
        let output = try await attempt(using: uploader) { client in
            let chunks = FileChunkSequence(path: path, pathBytes: pathBytes, total: size, expectedSHA256: expectedSHA256, progress: progress)
            return try await client.uploadAttachment(
                query: .init(filename: name), headers: .init(idempotencyKey: idempotencyKey),
                body: .binary(HTTPBody(chunks, length: .known(size), iterationBehavior: .single)))
        }
        switch output {
        case .created(let created):
            let attachment = try Self.decode { try Attachment(created.body.json) }
            if let expectedSHA256, attachment.sha256 != expectedSHA256 { throw .fileChanged(path: path) }
            return attachment
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// Responds to a request for additional information. Repeats with the same key answer the first receipt.
    public func respond(
        toRequest requestID: String, message: String, attachmentIDs: [String], idempotencyKey: String
    ) async throws(PorttiModel.ClientError) -> Receipt {
        let output = try await attempt { client in
            try await client.respondToRequest(
                path: .init(requestId: requestID), headers: .init(idempotencyKey: idempotencyKey),
                body: .json(.init(message: message, attachmentIds: attachmentIDs)))
        }
        switch output {
        case .created(let created): return try Self.decode { try Receipt(created.body.json) }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// Sends additional information about an application without a request.
    public func sendAdditionalInformation(
        applicationID: String, message: String, attachmentIDs: [String], idempotencyKey: String
    ) async throws(PorttiModel.ClientError) -> Receipt {
        let output = try await attempt { client in
            try await client.sendAdditionalInformation(
                path: .init(applicationId: applicationID), headers: .init(idempotencyKey: idempotencyKey),
                body: .json(.init(message: message, attachmentIds: attachmentIDs)))
        }
        switch output {
        case .created(let created): return try Self.decode { try Receipt(created.body.json) }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    public func receipts() async throws(PorttiModel.ClientError) -> [Receipt] {
        switch try await attempt({ try await $0.listReceipts() }) {
        case .ok(let ok): return try Self.decode { try ok.body.json.receipts.map { try Receipt($0) } }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// The portal's receipt signing keys (a JWK Set), old ones too.
    public func receiptKeys() async throws(PorttiModel.ClientError) -> ReceiptKeySet {
        switch try await attempt({ try await $0.receiptKeys() }) {
        case .ok(let ok):
            return try Self.decode {
                ReceiptKeySet(keys: try ok.body.json.keys.map { PublicReceiptKey(kid: $0.kid, x: $0.x) })
            }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    public func receipt(number: String) async throws(PorttiModel.ClientError) -> Receipt {
        switch try await attempt({ try await $0.getReceipt(path: .init(receiptNumber: number)) }) {
        case .ok(let ok): return try Self.decode { try Receipt(ok.body.json) }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    // MARK: Notifications and decisions

    public func notifications() async throws(PorttiModel.ClientError) -> (notifications: [PortalNotification], unread: Int) {
        switch try await attempt({ try await $0.listNotifications() }) {
        case .ok(let ok):
            return try Self.decode {
                let list = try ok.body.json
                return (try list.notifications.map { try PortalNotification($0) }, list.unreadCount)
            }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    @discardableResult
    public func markRead(notificationID: String) async throws(PorttiModel.ClientError) -> PortalNotification {
        switch try await attempt({ try await $0.markNotificationRead(path: .init(notificationId: notificationID)) }) {
        case .ok(let ok): return try Self.decode { try PortalNotification(ok.body.json) }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// Reads a decision; the first read is the date it was served.
    public func decision(id: String) async throws(PorttiModel.ClientError) -> ServedDecision {
        switch try await attempt({ try await $0.getDecision(path: .init(decisionId: id)) }) {
        case .ok(let ok): return try Self.decode { try ServedDecision(ok.body.json) }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// Saves a decision's document to `path`: streamed to a temporary file beside it and renamed into place,
    /// so a failed download never leaves half a document under the chosen name.
    public func saveDecisionDocument(id: String, to path: String) async throws(PorttiModel.ClientError) -> Int64 {
        try await save(to: path) { client throws -> HTTPBody in
            switch try await client.downloadDecisionDocument(path: .init(decisionId: id)) {
            case .ok(let ok): return try ok.body.pdf
            case .default(let status, let problem): throw Self.error(status, problem)
            }
        }
    }

    /// Streams a downloaded file to `path`, never overwriting: through a private temporary file beside it,
    /// renamed into place only when whole. Answers the bytes written.
    private func save(
        to path: String, _ download: @escaping (Client) async throws -> HTTPBody
    ) async throws(PorttiModel.ClientError) -> Int64 {
        // Checked before anything is fetched, and again when the file takes its name: never overwritten.
        let temporary = URL(fileURLWithPath: try LocalFile.temporaryBeside(path))
        do {
            return try await attempt { client -> Int64 in
                let body = try await download(client)
                // Private until the applicant moves it: decisions and messages are personal data.
                guard FileManager.default.createFile(
                    atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600])
                else { throw PorttiModel.ClientError.fileUnwritable(path: path) }
                let handle = try FileHandle(forWritingTo: temporary)
                defer { try? handle.close() }
                var written: Int64 = 0
                for try await chunk in body {
                    written += Int64(chunk.count)
                    if written > settings.maxDocumentBytes { throw ReplyTooLarge() }
                    do { try handle.write(contentsOf: chunk) } catch { throw PorttiModel.ClientError.fileUnwritable(path: path) }
                }
                try handle.synchronize()
                try LocalFile.publish(temporary.path, as: path)
                return written
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    // MARK: Conversations

    /// The applicant's conversations, oldest first, both directions; only one application's with
    /// `applicationID`. Throws `notFound` for an application that is not the applicant's.
    public func messages(applicationID: String? = nil) async throws(PorttiModel.ClientError) -> [Message] {
        switch try await attempt({ try await $0.listMessages(query: .init(applicationId: applicationID)) }) {
        case .ok(let ok): return try Self.decode { try ok.body.json.messages.map { try Message($0) } }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// One message of the applicant's conversations. Throws `notFound` for anybody else's.
    public func message(id: String) async throws(PorttiModel.ClientError) -> Message {
        switch try await attempt({ try await $0.getMessage(path: .init(messageId: id)) }) {
        case .ok(let ok): return try Self.decode { try Message(ok.body.json) }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// Marks the authority's message opened (and its notification read); answers the message as it is now.
    @discardableResult
    public func markMessageRead(id: String) async throws(PorttiModel.ClientError) -> Message {
        switch try await attempt({ try await $0.markMessageRead(path: .init(messageId: id)) }) {
        case .ok(let ok): return try Self.decode { try Message(ok.body.json) }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// The topics a message on another matter may have, in the portal's order ("other" last).
    public func messageTopics() async throws(PorttiModel.ClientError) -> [MessageTopic] {
        switch try await attempt({ try await $0.listMessageTopics() }) {
        case .ok(let ok):
            return try Self.decode {
                try ok.body.json.topics.map {
                    MessageTopic(code: try Checked.id($0.code), titles: .init(en: $0.titles.en, fi: $0.titles.fi, sv: $0.titles.sv))
                }
            }
        case .default(let status, let problem): throw Self.error(status, problem)
        }
    }

    /// Sends a message to `target` (a request, an application, a topic, or a reply to the authority's message)
    /// with attachments already uploaded. Repeats with the same key answer the first receipt.
    public func send(
        to target: MessageTarget, text: String, attachmentIDs: [String], idempotencyKey: String
    ) async throws(PorttiModel.ClientError) -> Receipt {
        switch target {
        case .request(let id):
            return try await respond(toRequest: id, message: text, attachmentIDs: attachmentIDs, idempotencyKey: idempotencyKey)
        case .application(let id):
            return try await sendAdditionalInformation(
                applicationID: id, message: text, attachmentIDs: attachmentIDs, idempotencyKey: idempotencyKey)
        case .topic(let code):
            let output = try await attempt { client in
                try await client.sendMessage(
                    headers: .init(idempotencyKey: idempotencyKey),
                    body: .json(.NewMessageOnTopic(.init(topic: code, text: text, attachmentIds: attachmentIDs))))
            }
            switch output {
            case .created(let created): return try Self.decode { try Receipt(created.body.json) }
            case .default(let status, let problem): throw Self.error(status, problem)
            }
        case .reply(let messageID):
            let output = try await attempt { client in
                try await client.replyToMessage(
                    path: .init(messageId: messageID), headers: .init(idempotencyKey: idempotencyKey),
                    body: .json(.init(text: text, attachmentIds: attachmentIDs)))
            }
            switch output {
            case .created(let created): return try Self.decode { try Receipt(created.body.json) }
            case .default(let status, let problem): throw Self.error(status, problem)
            }
        }
    }

    /// Saves a message's file to `path`, never overwriting (`fileExists` when something is there), streamed
    /// and renamed into place when whole. Answers the bytes written.
    public func saveMessageAttachment(
        messageID: String, attachmentID: String, to path: String
    ) async throws(PorttiModel.ClientError) -> Int64 {
        try await save(to: path) { client throws -> HTTPBody in
            switch try await client.downloadMessageAttachment(path: .init(messageId: messageID, attachmentId: attachmentID)) {
            case .ok(let ok): return try ok.body.binary
            case .default(let status, let problem): throw Self.error(status, problem)
            }
        }
    }

    // MARK: Calls, retries and errors

    /// Runs `call`, retrying with backoff while the failure is transient (a dropped connection, a timeout, a
    /// portal restarting). Every operation here is safe to repeat: reads, and creations with a fixed key.
    private func attempt<T>(
        using client: Client? = nil, retrying: Bool = true, _ call: (Client) async throws -> T
    ) async throws(PorttiModel.ClientError) -> T {
        let client = client ?? self.client
        var attempt = 0
        while true {
            do {
                return try await call(client)
            } catch {
                let failure = Self.classify(error)
                attempt += 1
                // A timeout is not tried again: the request already waited its whole time, and a portal that
                // accepts connections but never answers would otherwise hold the caller for attempts × timeout.
                guard retrying, failure.isTransient, failure != .timeout, attempt < settings.retry.attempts, !Task.isCancelled else {
                    throw failure
                }
                try? await Task.sleep(for: settings.retry.delay(beforeRetry: attempt))
            }
        }
    }

    static func classify(_ error: any Error) -> PorttiModel.ClientError {
        if let error = error as? PorttiModel.ClientError { return error }
        if let error = error as? OpenAPIRuntime.ClientError {
            let inner = error.underlyingError
            if let inner = inner as? PorttiModel.ClientError { return inner }
            // The connection failed, also half-way through an answer: what the portal did is not known.
            if isTransport(inner) { return classifyTransport(inner) }
            // The portal failed and said so in a way the contract does not describe.
            if let status = error.response?.status.code, status >= 500 { return .serverError }
            if inner is DecodingError || inner is ReplyTooLarge { return .malformedReply }
            // An answer arrived but was not the contract's.
            if error.response != nil { return .malformedReply }
            return classifyTransport(inner)
        }
        if error is DecodingError || error is ReplyTooLarge { return .malformedReply }
        return classifyTransport(error)
    }

    /// Errors of the network and TLS layers (AsyncHTTPClient, SwiftNIO, NIOSSL).
    private static func isTransport(_ error: any Error) -> Bool {
        if error is HTTPClientError || error is NIOSSLError || error is IOError || error is ChannelError { return true }
        let module = String(reflecting: type(of: error))
        return module.hasPrefix("NIO") || module.hasPrefix("AsyncHTTPClient")
    }

    private static func classifyTransport(_ error: any Error) -> PorttiModel.ClientError {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout: return .timeout
            default: return .portalUnreachable
            }
        }
        // A certificate nobody here trusts will not become trusted by trying again.
        if error is NIOSSLError || String(reflecting: type(of: error)).contains("NIOSSL") { return .untrustedPortal }
        if error is DecodingError || error is ReplyTooLarge { return .malformedReply }
        if error is CancellationError { return .timeout }
        return .portalUnreachable
    }

    static func error(_ status: Int, _ problem: Components.Responses.Problem) -> PorttiModel.ClientError {
        if case .json(let body) = problem.body, let code = PortalErrorCode(rawValue: body.code) {
            return PorttiModel.ClientError(code: code, limit: body.limit, retryAfterSeconds: body.retryAfterSeconds)
        }
        // A code this client does not know: judge by the status alone.
        switch status {
        case 401: return .notSignedIn
        case 404: return .notFound
        // The portal gave up waiting for the request (a slow link): try again, as after a timeout.
        case 408: return .timeout
        case 500...: return .serverError
        default: return .refused(.malformedRequest, limit: nil)
        }
    }

    private static func decode<T>(_ body: () throws -> T) throws(PorttiModel.ClientError) -> T {
        do { return try body() } catch { throw .malformedReply }
    }
}

/// How the client behaves on a slow or failing link.
public struct ClientSettings: Sendable {
    public var connectTimeout: Duration = .seconds(10)
    /// For one whole request and its answer (uploads add time for their size).
    public var requestTimeout: Duration = .seconds(30)
    /// The slowest upload speed to allow time for: a 4 MiB file at 16 KiB/s gets over four minutes.
    public var slowestUploadBytesPerSecond: Int = 16 * 1024
    /// Answers larger than this are refused as malformed (the contract's answers are far smaller).
    public var maxReplyBytes: Int = 16 * 1024 * 1024
    /// A decision document larger than this is refused (they are a few hundred kilobytes).
    public var maxDocumentBytes: Int64 = 256 * 1024 * 1024
    public var retry = RetryPolicy()

    public init() {}
}

/// Exponential backoff with jitter between attempts.
public struct RetryPolicy: Sendable {
    public var attempts: Int = 5
    public var firstDelay: Duration = .milliseconds(250)
    public var maxDelay: Duration = .seconds(4)

    public init(attempts: Int = 5, firstDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(4)) {
        self.attempts = attempts
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
    }

    public func delay(beforeRetry attempt: Int) -> Duration {
        let doubled = firstDelay * (1 << min(attempt - 1, 16))
        let capped = min(doubled, maxDelay)
        return capped * Double.random(in: 0.75...1.25)
    }
}

public struct SignedInSession: Sendable, Hashable {
    public var token: String
    public var expiresAt: Date
    public var applicant: Applicant
}

struct BearerMiddleware: ClientMiddleware {
    let session: Shared<String?>

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        if let token = session.withLock({ $0 }) { request.headerFields[.authorization] = "Bearer \(token)" }
        return try await next(request, body, baseURL)
    }
}
