import ApplicantStore
import AsyncHTTPClient
import Delivery
import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIRuntime
import PortalServer
import PortalStore
import PortalTestSupport
import PorttiLocalization
import PorttiModel
import Testing

@testable import PortalClient

/// Lets the request reach the portal, then drops the answer, the first `times` times: the portal stored the
/// message but the applicant never heard.
final class LoseAnswers: ClientMiddleware, @unchecked Sendable {
    let operation: String
    private let remaining: Shared<Int>
    init(of operation: String, times: Int) {
        self.operation = operation
        remaining = Shared(times)
    }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let answer = try await next(request, body, baseURL)
        let lose = operationID == operation && remaining.withLock { count in
            guard count > 0 else { return false }
            count -= 1
            return true
        }
        if lose { throw HTTPClientError.remoteConnectionClosed }
        return answer
    }
}

/// Lets the answer begin, then cuts the connection half-way through its body, the first `times` times.
final class CutAnswerBodies: ClientMiddleware, Sendable {
    let operation: String
    private let remaining: Shared<Int>
    init(of operation: String, times: Int) {
        self.operation = operation
        remaining = Shared(times)
    }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let (response, responseBody) = try await next(request, body, baseURL)
        let cut = operationID == operation && remaining.withLock { count in
            guard count > 0 else { return false }
            count -= 1
            return true
        }
        guard cut, let responseBody else { return (response, responseBody) }
        let bytes = try await [UInt8](collecting: responseBody, upTo: 1 << 20)
        let (stream, continuation) = AsyncThrowingStream<ArraySlice<UInt8>, any Error>.makeStream()
        continuation.yield(bytes.prefix(bytes.count / 2))
        continuation.finish(throwing: HTTPClientError.remoteConnectionClosed)
        return (response, HTTPBody(stream, length: .unknown, iterationBehavior: .single))
    }
}

/// Counts the calls of one operation.
final class CountCalls: ClientMiddleware, Sendable {
    let operation: String
    private let calls = Shared(0)
    init(of operation: String) { self.operation = operation }
    var count: Int { calls.withLock { $0 } }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if operationID == operation { calls.withLock { $0 += 1 } }
        return try await next(request, body, baseURL)
    }
}

@Suite struct FailureTests {
    /// Every refusal the portal can answer reaches the applicant explained in each language; an upload cut off
    /// for being too slow is tried again later, as a timeout is, with the same key.
    @Test func everyPortalRefusal_isExplained_inEveryLanguage() {
        for code in PortalErrorCode.allCases {
            let error = ClientError(code: code, limit: 5)
            for language in Language.allCases {
                // In the language's own table: the lookup would fall back to English and hide a missing one.
                #expect(StringTable(language).has(error.messageKey), "\(code) in \(language)")
            }
        }
        #expect(ClientError(code: .uploadTooSlow).isTransient)
        #expect(!ClientError(code: .uploadTooSlow).isDefiniteRefusal)
    }

    @Test func sendInterruptedAfterThePortalStoredIt_thenReplayed_isOneMessageAndOneReceipt() async throws {
        try await withPortal { portal in
            let scratch = try Scratch()
            defer { scratch.remove() }
            // Every attempt of this client loses the answer: as if the link died each time, or the app crashed.
            var settings = ClientSettings.fast
            settings.retry.attempts = 2
            let world = try await ClientCase.make(portal, settings: settings, faults: [LoseAnswers(of: "respondToRequest", times: 2)])
            let store = try ApplicantStore(path: scratch.folder.appending(path: "applicant.sqlite").path)
            let pdf = try scratch.file("contract.pdf", Samples.pdf)
            let digest = try LocalFile.digest(path: pdf)
            let draft = Draft(
                target: .request(world.request.id), text: "The contract.",
                files: [AttachedFile(path: pdf, name: "contract.pdf", size: digest.size, sha256: digest.sha256)])
            try store.save(draft)
            await #expect(throws: ClientError.portalUnreachable) {
                _ = try await Courier(client: world.client, store: store).send(draft)
            }
            // The portal has it; the applicant does not know yet.
            #expect(try await portal.store.incomingMessages().count == 1)
            #expect(try await store.outbox().map(\.state) == [.pending])
            await world.client.shutdown()

            // Next start: a new client replays the outbox with the same keys.
            let restarted = try PortalClient(portalURL: portal.portalURL, token: world.client.token, settings: .fast)
            defer { Task { await restarted.shutdown() } }
            let outcomes = await Courier(client: restarted, store: store).deliverPending()
            let receipt = try #require(try outcomes.first?.outcome.get())
            let incoming = try await portal.store.incomingMessages()
            #expect(incoming.count == 1)
            #expect(incoming.first?.receipt.number == receipt.number)
            #expect(incoming.first?.receipt.files.count == 1, "the attachment was uploaded once and attached once")
            #expect(try store.receipts().map(\.receipt.number) == [receipt.number])
            #expect(try await store.outbox().map(\.state) == [.delivered(receiptNumber: receipt.number)])
        }
    }

    @Test func answerCutHalfWayThroughItsBody_staysPending_andIsSentOnce() async throws {
        try await withPortal { portal in
            let scratch = try Scratch()
            defer { scratch.remove() }
            var settings = ClientSettings.fast
            settings.retry.attempts = 1
            let world = try await ClientCase.make(portal, settings: settings, faults: [CutAnswerBodies(of: "sendAdditionalInformation", times: 1)])
            defer { Task { await world.client.shutdown() } }
            let store = try ApplicantStore(path: scratch.folder.appending(path: "applicant.sqlite").path)
            let courier = Courier(client: world.client, store: store)
            let draft = Draft(target: .application(world.application.id), text: "Half an answer.")
            await #expect(throws: ClientError.portalUnreachable) { _ = try await courier.send(draft) }
            #expect(try await store.outbox().map(\.state) == [.pending], "the outcome is unknown: kept, with its key")
            // Pressing Send again sends that same item, not a new message.
            let receipt = try await courier.send(draft)
            let incoming = try await portal.store.incomingMessages()
            #expect(incoming.count == 1)
            #expect(incoming.first?.receipt.number == receipt.number)
        }
    }

    @Test func notificationStream_endsWhenTheSessionExpires() async throws {
        try await withPortal { portal in
            let world = try await ClientCase.make(portal)
            defer { Task { await world.client.shutdown() } }
            var events = world.client.notificationEvents(after: 0).makeAsyncIterator()
            guard case .connected = await events.next() else { Issue.record("no connection"); return }
            portal.clock.advance(by: 31 * 60)
            // A new notification wakes the stream; the portal ends it; the client does not reconnect.
            _ = try await portal.store.issueRequest(
                applicationID: world.application.id, text: "x", items: [], deadline: portal.clock.now + 86_400, now: portal.clock.now)
            var last: NotificationEvent?
            while let event = await events.next() { last = event }
            #expect(last == .disconnected(.sessionExpired))
        }
    }

    @Test func doublePressOnSend_sendsOnce() async throws {
        try await withPortal { portal in
            let scratch = try Scratch()
            defer { scratch.remove() }
            let world = try await ClientCase.make(portal)
            defer { Task { await world.client.shutdown() } }
            let store = try ApplicantStore(path: scratch.folder.appending(path: "applicant.sqlite").path)
            let courier = Courier(client: world.client, store: store)
            let draft = Draft(target: .application(world.application.id), text: "Once.")
            async let first = courier.send(draft)
            async let second = courier.send(draft)
            let receipts = try await [first, second]
            #expect(receipts[0] == receipts[1])
            #expect(try await portal.store.incomingMessages().count == 1)
            #expect(try await store.outbox().count == 1)
        }
    }

    @Test func portalDown_thenUp_deliversTheOutboxOnce() async throws {
        let portal = try await TestPortal.start()
        let scratch = try Scratch()
        defer { scratch.remove(); portal.removeData() }
        let world = try await ClientCase.make(portal)
        let store = try ApplicantStore(path: scratch.folder.appending(path: "applicant.sqlite").path)
        let courier = Courier(client: world.client, store: store)
        await portal.stop()

        let draft = Draft(target: .application(world.application.id), text: "Sent while the portal was down.")
        try store.save(draft)
        await #expect(throws: ClientError.portalUnreachable) { _ = try await world.client.applications() }
        await #expect(throws: ClientError.portalUnreachable) { _ = try await courier.send(draft) }
        #expect(try await store.outbox().map(\.state) == [.pending])

        let again = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)
        let outcomes = await courier.deliverPending()
        #expect(outcomes.count == 1)
        #expect(try await again.store.incomingMessages().map(\.text) == [draft.text])
        #expect(await courier.deliverPending().isEmpty, "nothing left to send")
        // The writing screen still says "waiting: press Enter to try now" and the applicant presses it after the
        // outbox's own retry went: that is the same item, already delivered; its receipt, and no second copy.
        let receipt = try await courier.resend(draft)
        #expect(receipt.number == outcomes.first.flatMap { try? $0.outcome.get() }?.number)
        #expect(try await again.store.incomingMessages().map(\.text) == [draft.text])
        // Sent anew (not the waiting item), the same text is a second message, as the applicant confirmed.
        _ = try await courier.send(draft)
        #expect(try await again.store.incomingMessages().count == 2)
        await world.client.shutdown()
        await again.stop()
    }

    @Test func portalKilledInTheMiddleOfAnUpload_andRestarted_theUploadCompletesOnce() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let data = scratch.folder.appending(path: "portal")
        // An empty portal first: officer commands refuse a folder holding none.
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        _ = try SQLitePortalStore(path: PortalConfiguration(dataFolder: data).databasePath)
        let password = try scratch.file("password", Array("secret words\n".utf8))
        let officer = try await ChildProcess.run(
            PortalProcess.binary.path, ["officer", "create-applicant", "--username", "aino", "--name", "Aino", "--password-file",
                                        password, "--bcrypt-cost", "4", "--data", data.path])
        try #require(officer.status == 0, "\(officer.errors)")
        let portal = try await offThePool { try PortalProcess(dataFolder: data) }
        var settings = ClientSettings.fast
        settings.retry = RetryPolicy(attempts: 40, firstDelay: .milliseconds(50), maxDelay: .milliseconds(200))
        let attempts = CountCalls(of: "uploadAttachment")
        let client = try PortalClient(portalURL: portal.url, caFile: nil, token: nil, settings: settings, faults: [attempts])
        defer { Task { await client.shutdown() } }
        _ = try await client.signIn(username: "aino", password: "secret words")

        let big = Samples.pdf + Array(repeating: 0x20, count: 3 * 1024 * 1024)
        let path = try scratch.file("scan.pdf", big)
        let digest = try LocalFile.digest(path: path)
        let killed = Shared(false)
        let attachment = try await client.upload(
            fileAt: path, name: "scan.pdf", expectedSHA256: digest.sha256, idempotencyKey: "scan"
        ) { sent, total in
            guard sent > total / 4, killed.withLock({ let first = !$0; $0 = true; return first }) else { return }
            // Killed while bytes still flow; back on the same port a moment later.
            portal.kill()
            // Its start waits for the portal to listen: on a thread of its own, not one of the pool's two.
            Thread.detachNewThread { try? portal.start() }
        }
        #expect(killed.withLock { $0 })
        #expect(attempts.count >= 2, "the kill interrupted the first attempt")
        #expect(attachment.sha256 == digest.sha256)
        #expect(attachment.size == Int64(big.count))
        let stored = try Data(contentsOf: DocumentVault(folder: data.appending(path: "documents")).location(sha256: digest.sha256))
        #expect(stored.count == big.count)
        _ = try await offThePool { portal.terminate() }
    }

    @Test func fileChangedAfterAttaching_isCaught_andTheDraftStays() async throws {
        try await withPortal { portal in
            let scratch = try Scratch()
            defer { scratch.remove() }
            let world = try await ClientCase.make(portal)
            defer { Task { await world.client.shutdown() } }
            let store = try ApplicantStore(path: scratch.folder.appending(path: "applicant.sqlite").path)
            let path = try scratch.file("contract.pdf", Samples.pdf)
            let digest = try LocalFile.digest(path: path)
            let draft = Draft(
                target: .request(world.request.id), text: "Every word of this stays.",
                files: [AttachedFile(path: path, name: "contract.pdf", size: digest.size, sha256: digest.sha256)])
            try store.save(draft)
            // The same size, other content: only the digest tells.
            var changed = Samples.pdf
            changed[changed.count - 2] ^= 0x20
            try Data(changed).write(to: URL(fileURLWithPath: path))
            let edited = try LocalFile.digest(path: path)
            await #expect(throws: ClientError.fileChanged(path: path)) {
                _ = try await Courier(client: world.client, store: store).send(draft)
            }
            // The edited file never reached the portal whole: it kept nothing of it.
            let vault = try DocumentVault(folder: portal.configuration.documentsFolder)
            #expect(!FileManager.default.fileExists(atPath: vault.location(sha256: edited.sha256).path))
            try FileManager.default.removeItem(atPath: path)
            await #expect(throws: ClientError.fileChanged(path: path)) {
                _ = try await Courier(client: world.client, store: store).send(Draft(
                    target: draft.target, text: draft.text + " ", files: draft.files))
            }
            #expect(try store.draft(for: draft.target) == draft)
            #expect(try await portal.store.incomingMessages().isEmpty)
            #expect(try await store.outbox().allSatisfy { if case .refused = $0.state { true } else { false } })
        }
    }

    @Test func notificationStream_reconnectsAfterARestart_withoutMissingOrRepeating() async throws {
        let portal = try await TestPortal.start(adjust: { $0.notificationPollInterval = .milliseconds(50) })
        defer { portal.removeData() }
        var settings = ClientSettings.fast
        settings.retry = RetryPolicy(attempts: 3, firstDelay: .milliseconds(50), maxDelay: .milliseconds(200))
        let world = try await ClientCase.make(portal, settings: settings)
        defer { Task { await world.client.shutdown() } }
        let known = try await world.client.notifications().notifications.map(\.sequence).max()
        var events = world.client.notificationEvents(after: known).makeAsyncIterator()

        func nextNotification() async -> PortalNotification? {
            while let event = await events.next() {
                if case .notification(let notification) = event { return notification }
            }
            return nil
        }
        guard case .connected = await events.next() else { Issue.record("no connection"); return }
        let first = try await world.client.sendAdditionalInformation(
            applicationID: world.application.id, message: "one", attachmentIDs: [], idempotencyKey: "1")
        #expect(await nextNotification()?.subjectID == first.number)

        await portal.stop()
        // Created while the stream is down, by the officer's side.
        let request = try await portal.store.issueRequest(
            applicationID: world.application.id, text: "More", items: [], deadline: portal.clock.now + 86_400,
            now: portal.clock.now)
        let again = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port,
                                               adjust: { $0.notificationPollInterval = .milliseconds(50) })
        #expect(await nextNotification()?.subjectID == request.id)
        let second = try await world.client.sendAdditionalInformation(
            applicationID: world.application.id, message: "two", attachmentIDs: [], idempotencyKey: "2")
        #expect(await nextNotification()?.subjectID == second.number, "the next one, not a repeat")
        await again.stop()
    }
}

/// A portal that answers wrongly, to prove the client never crashes on what it receives.
@Suite struct HostilePortalTests {
    private func withHostilePortal(_ body: (URL) async throws -> Void) async throws {
        let router = Router()
        router.get("/api/v1/applications") { request, _ -> Response in
            switch request.headers[.authorization] ?? "" {
            case "Bearer wrong-json":
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: #"{"applications": [{"id": 42}]}"#)))
            case "Bearer html":
                return Response(status: .ok, headers: [.contentType: "text/html"],
                                body: .init(byteBuffer: ByteBuffer(string: "<html>proxy login</html>")))
            case "Bearer huge":
                // An endless answer: the client must stop reading, not fill its memory.
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init { writer in
                    try await writer.write(ByteBuffer(string: #"{"applications": ["#))
                    let chunk = ByteBuffer(repeating: 0x20, count: 1 << 16)
                    while true { try await writer.write(chunk) }
                })
            case "Bearer bad-id":
                let text = #"{"applications":[{"id":"a\u001b[2Jb","type":"citizenship","referenceNumber":"MIG-1","status":"received","submittedAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}]}"#
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: text)))
            case "Bearer broken-500":
                return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "oops")))
            default:
                let hostile = #"{"applications":[{"id":"a","type":"citizenship","referenceNumber":"MIG\u001b]0;owned\u0007-1\u001b[2J","status":"received","submittedAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}]}"#
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: hostile)))
            }
        }
        router.get("/api/v1/notifications/stream") { _, _ -> Response in
            // An event of a kind this client does not know, then one it does: the second must arrive.
            let unknown = #"{"id":"n1","sequence":5,"kind":"kind_from_the_future","applicationId":"a","subjectId":"s","createdAt":"2026-01-01T00:00:00Z"}"#
            let known = #"{"id":"n2","sequence":6,"kind":"decision_ready","applicationId":"a","subjectId":"d1","createdAt":"2026-01-01T00:00:00Z"}"#
            let text = "id: 4\nevent: open\ndata:\n\nid: 5\nevent: notification\ndata: \(unknown)\n\nid: 6\nevent: notification\ndata: \(known)\n\n"
            return Response(status: .ok, headers: [.contentType: "text/event-stream"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let ports = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { ports.continuation.yield($0.localAddress?.port ?? 0) })
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.stream.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        defer { task.cancel() }
        try await body(URL(string: "http://127.0.0.1:\(port)")!)
    }

    @Test func malformedOrHostileReplies_giveClearErrors_neverACrash() async throws {
        try await withHostilePortal { url in
            var settings = ClientSettings.fast
            settings.maxReplyBytes = 1 << 20
            for (token, expected) in [
                ("wrong-json", ClientError.malformedReply), ("html", .malformedReply), ("huge", .malformedReply),
                ("broken-500", .serverError), ("bad-id", .malformedReply),
            ] {
                let client = try PortalClient(portalURL: url, token: token, settings: settings)
                await #expect(throws: expected, "\(token)") { _ = try await client.applications() }
                await client.shutdown()
            }
            // An event this client cannot read is passed over; the stream goes on after it.
            let streaming = try PortalClient(portalURL: url, token: "stream", settings: settings)
            var events = streaming.notificationEvents(after: nil).makeAsyncIterator()
            var delivered: [String] = []
            // Bounded: a client that passed over every event would otherwise reconnect here for ever.
            for _ in 0..<20 {
                guard let event = await events.next() else { break }
                if case .notification(let notification) = event { delivered.append(notification.subjectID); break }
            }
            #expect(delivered == ["d1"])
            await streaming.shutdown()
            // Control characters arrive as data; what is shown is cleaned.
            let client = try PortalClient(portalURL: url, token: "hostile", settings: settings)
            let reference = try #require(try await client.applications().first?.referenceNumber)
            #expect(reference.contains("\u{1B}"))
            #expect(UntrustedText.sanitized(reference) == "MIG-1")
            await client.shutdown()
        }
    }
}
