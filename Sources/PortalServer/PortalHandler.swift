import Foundation
import HTTPTypes
import Logging
import OpenAPIRuntime
import PortalAPI
import PortalStore
import PorttiModel
import ReceiptProof

/// The portal's operations, as the contract's generated `APIProtocol` names them. Every refusal is thrown as
/// a `PortalError`; `ProblemMiddleware` turns it into the answer.
struct PortalHandler: APIProtocol {
    let configuration: PortalConfiguration
    let store: any PortalStore
    let documents: any DocumentStorage
    let feed: NotificationFeed
    /// The sign-in throttle's rule; the counts are in the store, shared by every portal on it.
    let throttle: SignInThrottleRule
    let passwordChecks: PasswordChecks
    let uploads: AdmissionGate
    let clock: @Sendable () -> Date
    let logger: Logger
    /// A real hash to check against when the user name is unknown, so timing does not reveal which names exist.
    let decoyHash: String

    func health(_ input: Operations.Health.Input) async throws -> Operations.Health.Output {
        .ok(.init(body: .plainText("ok")))
    }

    // MARK: Session

    func signIn(_ input: Operations.SignIn.Input) async throws -> Operations.SignIn.Output {
        guard case .json(let credentials) = input.body else { throw PortalError(.malformedRequest) }
        // No account has a name or password this long (the officer's CLI refuses them; bcrypt reads 72 bytes, so
        // a longer password would match on its first 72); refusing them keeps the throttle's keys bounded.
        guard credentials.username.utf8.count <= 256, credentials.password.utf8.count <= 72 else {
            throw PortalError(.invalidCredentials)
        }
        let now = clock()
        let account = try await store.passwordHash(username: credentials.username)
        // Counted under the name as it is stored when it finds an account (however it was written), otherwise as
        // given; letter case never makes a fresh count.
        let throttleKey = (account?.0.username ?? credentials.username).lowercased()
        // The attempt counts before the password is checked, so attempts sent in parallel count too.
        if let wait = try await store.beginSignIn(key: throttleKey, now: now, rule: throttle) {
            throw PortalError(.tooManyAttempts, retryAfterSeconds: wait)
        }
        let matches = try await passwordChecks.verify(credentials.password, hash: account?.1 ?? decoyHash)
        guard case let (applicant, storedHash)? = account.flatMap({ matches ? $0 : nil }) else {
            // A wrong password for an account hashed at a lower cost than the portal's would answer sooner than
            // for a name that does not exist: the decoy's work is added, so the answer's time does not tell.
            if let account, Passwords.cost(of: account.1) ?? 0 < configuration.bcryptCost {
                _ = try await Passwords.verify(credentials.password, hash: decoyHash)
            }
            throw PortalError(.invalidCredentials)
        }
        try await store.signInSucceeded(key: throttleKey)
        // Brought to the portal's cost while the password is at hand: the next wrong guess takes as long as
        // one for an unknown name.
        if Passwords.cost(of: storedHash) != configuration.bcryptCost {
            let upgraded = try await Passwords.hash(credentials.password, cost: configuration.bcryptCost)
            try await store.setPasswordHash(applicantID: applicant.id, passwordHash: upgraded)
        }
        let token = SessionToken.make()
        let expiresAt = now + configuration.sessionIdleTimeout
        try await store.createSession(
            tokenHash: SessionToken.hash(token), applicantID: applicant.id, expiresAt: expiresAt,
            notAfter: now + configuration.sessionMaxLifetime, now: now)
        return .ok(.init(body: .json(.init(token: token, expiresAt: expiresAt, applicant: .init(applicant)))))
    }

    func signOut(_ input: Operations.SignOut.Input) async throws -> Operations.SignOut.Output {
        if let tokenHash = SignedIn.tokenHash {
            try await store.deleteSession(tokenHash: tokenHash)
            await feed.sessionEnded()
        }
        return .noContent(.init())
    }

    // MARK: Applications and requests

    func listApplications(_ input: Operations.ListApplications.Input) async throws
        -> Operations.ListApplications.Output
    {
        let applications = try await store.applications(applicantID: SignedIn.current().id)
        return .ok(.init(body: .json(.init(applications: applications.map(Components.Schemas.Application.init)))))
    }

    func getApplication(_ input: Operations.GetApplication.Input) async throws -> Operations.GetApplication.Output {
        guard let detail = try await store.application(id: input.path.applicationId, applicantID: SignedIn.current().id)
        else { throw PortalError.notFound }
        return .ok(.init(body: .json(.init(
            application: .init(detail.application), timeline: detail.timeline.map(Components.Schemas.TimelineEvent.init),
            decisionId: detail.decisionID))))
    }

    func listRequests(_ input: Operations.ListRequests.Input) async throws -> Operations.ListRequests.Output {
        guard let requests = try await store.requests(
            applicationID: input.path.applicationId, applicantID: SignedIn.current().id)
        else { throw PortalError.notFound }
        let now = clock()
        return .ok(.init(body: .json(.init(requests: requests.map { .init($0, now: now) }))))
    }

    func getRequest(_ input: Operations.GetRequest.Input) async throws -> Operations.GetRequest.Output {
        guard let request = try await store.request(id: input.path.requestId, applicantID: SignedIn.current().id) else {
            throw PortalError.notFound
        }
        return .ok(.init(body: .json(.init(request, now: clock()))))
    }

    // MARK: Attachments and messages

    func uploadAttachment(_ input: Operations.UploadAttachment.Input) async throws
        -> Operations.UploadAttachment.Output
    {
        let applicant = try SignedIn.current()
        let key = try Self.idempotencyKey(RawHeaders.idempotencyKey)
        guard case .binary(let body) = input.body else { throw PortalError(.malformedRequest) }
        let maxBytes = configuration.attachmentLimits.maxFileBytes
        // Refuse a declared oversize at once, before a byte is read.
        if case .known(let length) = body.length, length > maxBytes {
            throw PortalError(.attachmentTooLarge, limit: maxBytes)
        }
        // Checked before a byte is read, and again when the file is recorded (uploads at the same moment pass
        // the first check together; a file refused at the second is swept at the next start).
        let quota = configuration.maxUnsentAttachmentsPerDay
        let documents = self.documents
        let fileName = FileName.sanitized(input.query.filename)
        func upload(_ stored: StoredDocument, unsentLimit: Int? = nil) -> NewAttachment {
            NewAttachment(applicantID: applicant.id, idempotencyKey: key, fileName: fileName, size: stored.size,
                          sha256: stored.sha256, type: stored.type, now: clock(), unsentLimit: unsentLimit)
        }
        let attachment: PorttiModel.Attachment
        switch try await store.uploadAdmission(
            applicantID: applicant.id, idempotencyKey: key, since: clock() - NewAttachment.unsentWindow, limit: quota)
        {
        case .overQuota:
            throw PortalError(.tooManyUnsentAttachments, limit: Int64(quota))
        case .repeatOfEarlier:
            // A retry after a lost answer: its content is kept already, so it is only hashed. A repeat with
            // other content is refused and leaves nothing on disk, however often it comes.
            let examined = try await receive(body, for: applicant) { try await documents.examine($0, maxBytes: maxBytes) }
            // Keys are forgotten only at start, so the earlier record is there; were it gone, the client's retry
            // would upload the file as new.
            guard let earlier = try await store.earlierAttachment(upload(examined)) else { throw PortalError(.internalError) }
            attachment = earlier
        case .new:
            let stored = try await receive(body, for: applicant) { try await documents.receive($0, maxBytes: maxBytes) }
            attachment = try await store.recordAttachment(upload(stored, unsentLimit: quota))
        }
        return .created(.init(body: .json(.init(attachment))))
    }

    /// Reads an upload's body once it is its turn (`uploads`, a few per applicant) and only while it keeps pace.
    private func receive(
        _ body: HTTPBody, for applicant: Applicant,
        _ read: @escaping @Sendable (UploadPace.Counted<HTTPBody>) async throws -> StoredDocument
    ) async throws -> StoredDocument {
        let pace = UploadPace(minimumBytesPerSecond: configuration.minimumUploadBytesPerSecond, grace: configuration.uploadGrace)
        return try await uploads.run(for: applicant.id) {
            try await pace.run { received in try await read(received.counting(body)) }
        }
    }

    func respondToRequest(_ input: Operations.RespondToRequest.Input) async throws
        -> Operations.RespondToRequest.Output
    {
        guard case .json(let draft) = input.body else { throw PortalError(.malformedRequest) }
        let receipt = try await receive(
            draft, target: .request(input.path.requestId), key: RawHeaders.idempotencyKey)
        return .created(.init(body: .json(.init(receipt))))
    }

    func sendAdditionalInformation(_ input: Operations.SendAdditionalInformation.Input) async throws
        -> Operations.SendAdditionalInformation.Output
    {
        guard case .json(let draft) = input.body else { throw PortalError(.malformedRequest) }
        let receipt = try await receive(
            draft, target: .application(input.path.applicationId), key: RawHeaders.idempotencyKey)
        return .created(.init(body: .json(.init(receipt))))
    }

    private func receive(_ draft: Components.Schemas.MessageDraft, target: NewMessage.Target, key: String?)
        async throws -> Receipt
    {
        try await receive(text: draft.message, attachmentIDs: draft.attachmentIds, target: target, key: key)
    }

    /// Checks a message against the limits (files, length, not empty) and receives it once under `key`.
    private func receive(text: String, attachmentIDs: [String], target: NewMessage.Target, key: String?)
        async throws -> Receipt
    {
        let applicant = try SignedIn.current()
        let key = try Self.idempotencyKey(key)
        if let (code, limit) = MessageRules.violation(
            text: text, fileCount: attachmentIDs.count, maxFiles: configuration.attachmentLimits.maxFilesPerMessage,
            maxCharacters: configuration.maxMessageCharacters) {
            throw PortalError(code, limit: limit)
        }
        if Set(attachmentIDs).count != attachmentIDs.count { throw PortalError(.attachmentListedTwice) }
        let receipt = try await store.receiveMessage(NewMessage(
            applicantID: applicant.id, idempotencyKey: key, target: target, text: text,
            attachmentIDs: attachmentIDs, now: clock()))
        await feed.poke()
        return try await signed(receipt, text: text, applicant: applicant)
    }

    /// `receipt` with its signed form: the one kept (a repeat of the send), else signed now with the newest
    /// key and kept. The text is the one received; a repeat's text is the first's (the idempotency check).
    private func signed(_ receipt: Receipt, text: String, applicant: Applicant) async throws -> Receipt {
        if receipt.signed != nil { return receipt }
        let key = try await receiptSigningKey()
        let statement = ReceiptStatement(receipt, text: text, applicant: .init(id: applicant.id, username: applicant.username))
        let jws = try await key.sign(statement)
        guard let kept = try await store.keepSignedReceipt(number: receipt.number, applicantID: applicant.id, signed: jws)
        else { throw PortalError.notFound }
        return kept
    }

    /// The key that signs: the store's newest, made now when the store has none.
    private func receiptSigningKey() async throws -> ReceiptSigningKey {
        if let newest = try await store.receiptSigningKeys().last { return newest }
        return try await store.addReceiptSigningKey(.generate(now: clock()), onlyIfNone: true)
    }

    func receiptKeys(_ input: Operations.ReceiptKeys.Input) async throws -> Operations.ReceiptKeys.Output {
        let keys = try await store.receiptSigningKeys().map(\.publicJWK)
        return .ok(.init(body: .json(.init(keys: keys.map {
            .init(kty: .okp, crv: .ed25519, x: $0.x, kid: $0.kid, alg: .edDSA, use: .sig)
        }))))
    }

    func listReceipts(_ input: Operations.ListReceipts.Input) async throws -> Operations.ListReceipts.Output {
        let receipts = try await store.receipts(applicantID: SignedIn.current().id)
        return .ok(.init(body: .json(.init(receipts: receipts.map(Components.Schemas.Receipt.init)))))
    }

    func getReceipt(_ input: Operations.GetReceipt.Input) async throws -> Operations.GetReceipt.Output {
        guard let receipt = try await store.receipt(number: input.path.receiptNumber, applicantID: SignedIn.current().id)
        else { throw PortalError.notFound }
        return .ok(.init(body: .json(.init(receipt))))
    }

    /// The operations that create something, and so take an `Idempotency-Key` (required by the contract).
    static let keyedOperations: Set<String> = [
        "uploadAttachment", "respondToRequest", "sendAdditionalInformation", "sendMessage", "replyToMessage",
    ]

    /// The key, checked as the contract says: present, not empty, at most 200 characters.
    static func idempotencyKey(_ key: String?) throws -> String {
        guard let key, !key.isEmpty else { throw PortalError(.idempotencyKeyMissing) }
        guard key.count <= 200 else { throw PortalError(.idempotencyKeyInvalid, limit: 200) }
        return key
    }

    // MARK: Conversations

    func listMessages(_ input: Operations.ListMessages.Input) async throws -> Operations.ListMessages.Output {
        guard let messages = try await store.messages(
            applicantID: SignedIn.current().id, applicationID: input.query.applicationId)
        else { throw PortalError.notFound }
        return .ok(.init(body: .json(.init(messages: messages.map(Components.Schemas.Message.init)))))
    }

    func getMessage(_ input: Operations.GetMessage.Input) async throws -> Operations.GetMessage.Output {
        guard let message = try await store.message(id: input.path.messageId, applicantID: SignedIn.current().id) else {
            throw PortalError.notFound
        }
        return .ok(.init(body: .json(.init(message))))
    }

    func markMessageRead(_ input: Operations.MarkMessageRead.Input) async throws -> Operations.MarkMessageRead.Output {
        guard let message = try await store.markMessageRead(
            id: input.path.messageId, applicantID: SignedIn.current().id, now: clock())
        else { throw PortalError.notFound }
        return .ok(.init(body: .json(.init(message))))
    }

    func sendMessage(_ input: Operations.SendMessage.Input) async throws -> Operations.SendMessage.Output {
        guard case .json(let draft) = input.body else { throw PortalError(.malformedRequest) }
        // The contract's oneOf: a body with both applicationId and topic, or neither, never decodes.
        let receipt: Receipt
        switch draft {
        case .NewMessageAboutApplication(let message):
            receipt = try await receive(
                text: message.text, attachmentIDs: message.attachmentIds, target: .application(message.applicationId),
                key: RawHeaders.idempotencyKey)
        case .NewMessageOnTopic(let message):
            guard MessageTopics.standard.contains(where: { $0.code == message.topic }) else {
                throw PortalError(.malformedRequest, detail: "unknown topic")
            }
            receipt = try await receive(
                text: message.text, attachmentIDs: message.attachmentIds, target: .topic(message.topic),
                key: RawHeaders.idempotencyKey)
        }
        return .created(.init(body: .json(.init(receipt))))
    }

    func replyToMessage(_ input: Operations.ReplyToMessage.Input) async throws -> Operations.ReplyToMessage.Output {
        guard case .json(let draft) = input.body else { throw PortalError(.malformedRequest) }
        let receipt: Receipt
        do {
            receipt = try await receive(
                text: draft.text, attachmentIDs: draft.attachmentIds, target: .reply(input.path.messageId),
                key: RawHeaders.idempotencyKey)
        } catch let error as PortalError where error.code == .notFound {
            // The applicant's own message exists for them (GET answers it): it takes no reply, which is not "no
            // such message". Anybody else's stays not found.
            let own = try await store.message(id: input.path.messageId, applicantID: SignedIn.current().id)
            if own?.direction == .fromApplicant { throw PortalError(.messageNotReplyable) }
            throw error
        }
        return .created(.init(body: .json(.init(receipt))))
    }

    func downloadMessageAttachment(_ input: Operations.DownloadMessageAttachment.Input) async throws
        -> Operations.DownloadMessageAttachment.Output
    {
        guard let file = try await store.messageDocument(
            messageID: input.path.messageId, attachmentID: input.path.attachmentId, applicantID: SignedIn.current().id)
        else { throw PortalError.notFound }
        guard let document = try await documents.open(sha256: file.sha256) else {
            logger.error("message \(input.path.messageId): document \(file.sha256) is missing from the document storage")
            throw PortalError(.notFound, detail: "no document")
        }
        return .ok(.init(body: .binary(HTTPBody(document.chunks, length: .known(document.size), iterationBehavior: .single))))
    }

    func listMessageTopics(_ input: Operations.ListMessageTopics.Input) async throws -> Operations.ListMessageTopics.Output {
        .ok(.init(body: .json(.init(topics: MessageTopics.standard.map {
            .init(code: $0.code, titles: .init(en: $0.titles.en, fi: $0.titles.fi, sv: $0.titles.sv))
        }))))
    }

    // MARK: Notifications

    func listNotifications(_ input: Operations.ListNotifications.Input) async throws
        -> Operations.ListNotifications.Output
    {
        let notifications = try await store.notifications(applicantID: SignedIn.current().id, after: nil)
        return .ok(.init(body: .json(.init(
            notifications: notifications.map(Components.Schemas.Notification.init),
            unreadCount: notifications.count { $0.readAt == nil }))))
    }

    func markNotificationRead(_ input: Operations.MarkNotificationRead.Input) async throws
        -> Operations.MarkNotificationRead.Output
    {
        guard let notification = try await store.markNotificationRead(
            id: input.path.notificationId, applicantID: SignedIn.current().id, now: clock())
        else { throw PortalError.notFound }
        return .ok(.init(body: .json(.init(notification))))
    }

    func streamNotifications(_ input: Operations.StreamNotifications.Input) async throws
        -> Operations.StreamNotifications.Output
    {
        let applicant = try SignedIn.current()
        let tokenHash = SignedIn.tokenHash ?? ""
        let clock = self.clock
        var cursor: Int64
        // Empty is no id at all (the contract's pattern allows it): the stream starts from now.
        if let header = RawHeaders.lastEventID, !header.isEmpty {
            guard header.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = Int64(header) else {
                throw PortalError(.malformedRequest, detail: "Last-Event-ID is not a sequence")
            }
            cursor = value
        } else {
            cursor = try await store.latestNotificationSequence()
        }
        let store = self.store
        let feed = self.feed
        let logger = self.logger
        // A client that stops reading is dropped rather than buffered for without end; it resumes from its
        // last event id when it reconnects.
        let (events, continuation) = AsyncStream<ServerSentEvent>.makeStream(bufferingPolicy: .bufferingOldest(256))
        let streamID = UUID()
        let producer = Task {
            // The first event tells the client the stream is open and where it stands.
            continuation.yield(ServerSentEvent(id: String(cursor), event: "open", data: nil))
            var seen = await feed.latest
            // Keep-alives follow this stream's own silence, however busy the portal is for others.
            var lastWrite = ContinuousClock.now
            let keepAliveEvery = Duration.seconds(15)
            stream: while !Task.isCancelled, await !feed.isClosed {
                // When to look again at the latest: the session's end, or sooner while the database is away.
                var lookAgainBy: Date
                do {
                    // A stream lasts only as long as its session: signing out wakes it (`sessionEnded`), and
                    // it sleeps no longer than the session's end, so either ends it at once.
                    guard let end = try await store.sessionExpiry(tokenHash: tokenHash), end > clock() else { break }
                    lookAgainBy = end
                    for notification in try await store.notifications(applicantID: applicant.id, after: cursor) {
                        let data = try String(decoding: JSONEncoder.portal.encode(
                            Components.Schemas.Notification(notification)), as: UTF8.self)
                        let event = ServerSentEvent(id: String(notification.sequence), event: "notification", data: data)
                        if case .dropped = continuation.yield(event) { break stream }
                        cursor = notification.sequence
                        lastWrite = .now
                    }
                } catch let error as PortalError where error.code == .storageUnavailable {
                    // The database is away for a moment (restarting): the stream stays open, and looks again
                    // within a second; the client would only come back to resume from where it is.
                    lookAgainBy = clock().addingTimeInterval(1)
                } catch {
                    // The client went away (the task is cancelled): a normal end, not a fault.
                    if !Task.isCancelled && !(error is CancellationError) {
                        logger.warning("notification stream failed: \(error)")
                    }
                    break
                }
                let quietFor = ContinuousClock.now - lastWrite
                let untilLook = Duration.milliseconds(Int64(lookAgainBy.timeIntervalSince(clock()) * 1000) + 1)
                await feed.wait(above: seen, timeout: max(min(keepAliveEvery - quietFor, untilLook), .milliseconds(10)))
                seen = await feed.latest
                if ContinuousClock.now - lastWrite >= keepAliveEvery {
                    if case .dropped = continuation.yield(ServerSentEvent(event: "keepalive", data: nil)) { break }
                    lastWrite = .now
                }
            }
            continuation.finish()
            await feed.closed(streamID, applicant: applicant.id)
        }
        await feed.opened(streamID, applicant: applicant.id, producer: producer, limit: configuration.maxStreamsPerApplicant)
        continuation.onTermination = { _ in producer.cancel() }
        let body = HTTPBody(events.asEncodedServerSentEvents(), length: .unknown, iterationBehavior: .single)
        return .ok(.init(body: .textEventStream(body)))
    }

    // MARK: Decisions

    func getDecision(_ input: Operations.GetDecision.Input) async throws -> Operations.GetDecision.Output {
        let opened = try await openDecision(input.path.decisionId)
        return .ok(.init(body: .json(.init(opened.decision, appealDays: configuration.appealDays))))
    }

    func downloadDecisionDocument(_ input: Operations.DownloadDecisionDocument.Input) async throws
        -> Operations.DownloadDecisionDocument.Output
    {
        let opened = try await openDecision(input.path.decisionId)
        guard let sha256 = opened.documentSHA256 else { throw PortalError(.notFound, detail: "no document") }
        guard let document = try await documents.open(sha256: sha256) else {
            logger.error("decision \(input.path.decisionId): document \(sha256) is missing from the document storage")
            throw PortalError(.notFound, detail: "no document")
        }
        return .ok(.init(body: .pdf(HTTPBody(document.chunks, length: .known(document.size), iterationBehavior: .single))))
    }

    private func openDecision(_ id: String) async throws -> OpenedDecision {
        guard let opened = try await store.openDecision(id: id, applicantID: SignedIn.current().id, now: clock()) else {
            throw PortalError.notFound
        }
        return opened
    }
}

extension JSONEncoder {
    /// Dates as ISO 8601, as the contract's `date-time`.
    static var portal: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
