import ApplicantStore
import Delivery
import Foundation
import HTTPTypes
import OpenAPIRuntime
import PortalServer
import PortalStore
import PortalTestSupport
import PorttiModel
import Testing

@testable import PortalClient

/// A folder for one test's files, removed afterwards.
struct Scratch {
    let folder: URL
    init() throws {
        folder = FileManager.default.temporaryDirectory.appending(path: "portti-client-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = folder.appending(path: name)
        try Data(bytes).write(to: url)
        return url.path
    }
    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// An applicant signed in through the real client, with a case waiting for additional information.
struct ClientCase {
    let portal: TestPortal
    let client: PortalClient
    let applicant: Applicant
    let application: Application
    let request: SupplementRequest

    static func make(
        _ portal: TestPortal, settings: ClientSettings = .fast, faults: [any ClientMiddleware] = []
    ) async throws -> ClientCase {
        let hash = try await Passwords.hash(TestPortal.password, cost: 4)
        let applicant = try await portal.store.createApplicant(
            username: "aino", displayName: "Aino", passwordHash: hash, now: portal.clock.now)
        let application = try await portal.store.createApplication(
            applicantID: applicant.id, type: .residencePermitWork, now: portal.clock.now)
        let request = try await portal.store.issueRequest(
            applicationID: application.id, text: "Send the contract.", items: ["Contract"],
            deadline: portal.clock.now + 14 * 86_400, now: portal.clock.now)
        let client = try PortalClient(
            portalURL: portal.portalURL, caFile: nil, token: nil, settings: settings, faults: faults)
        do {
            _ = try await client.signIn(username: "aino", password: TestPortal.password)
        } catch {
            await client.shutdown()  // a client let go without it ends the test process
            throw error
        }
        return ClientCase(portal: portal, client: client, applicant: applicant, application: application, request: request)
    }
}

extension ClientSettings {
    /// Quick retries, so tests of failures do not wait long.
    static var fast: ClientSettings {
        var settings = ClientSettings()
        settings.retry = RetryPolicy(attempts: 3, firstDelay: .milliseconds(20), maxDelay: .milliseconds(100))
        settings.requestTimeout = .seconds(10)
        return settings
    }
}

@Suite struct PortalClientTests {
    @Test func everyOperation_throughTheClient() async throws {
        try await withPortal { portal in
            let world = try await ClientCase.make(portal)
            defer { Task { await world.client.shutdown() } }
            let client = world.client
            let scratch = try Scratch()
            defer { scratch.remove() }

            #expect(try await client.applications().map(\.id) == [world.application.id])
            let overview = try await client.application(id: world.application.id)
            #expect(overview.application.status == .waitingForInformation)
            #expect(overview.timeline.map(\.kind) == [.submitted, .requestSent])
            #expect(try await client.requests(applicationID: world.application.id).map(\.id) == [world.request.id])
            #expect(try await client.request(id: world.request.id).items == ["Contract"])

            let path = try scratch.file("contract.pdf", Samples.pdf)
            let digest = try LocalFile.digest(path: path)
            let progress = Shared<[Int64]>([])
            let attachment = try await client.upload(
                fileAt: path, name: "contract.pdf", expectedSHA256: digest.sha256, idempotencyKey: "u1"
            ) { sent, _ in progress.withLock { $0.append(sent) } }
            #expect(attachment.sha256 == digest.sha256)
            #expect(progress.withLock { $0 }.last == Int64(Samples.pdf.count))

            let receipt = try await client.respond(
                toRequest: world.request.id, message: "Here.", attachmentIDs: [attachment.id], idempotencyKey: "m1")
            #expect(receipt.files.map(\.sha256) == [digest.sha256])
            let other = try await client.sendAdditionalInformation(
                applicationID: world.application.id, message: "New address.", attachmentIDs: [], idempotencyKey: "m2")
            #expect(other.number > receipt.number)
            #expect(try await client.receipts().map(\.number) == [other.number, receipt.number])
            #expect(try await client.receipt(number: receipt.number) == receipt)

            let (notifications, unread) = try await client.notifications()
            #expect(unread == 3)
            let read = try await client.markRead(notificationID: notifications[0].id)
            #expect(read.readAt != nil)

            let vault = try DocumentVault(folder: portal.configuration.documentsFolder)
            let document = try await vault.keep(fileAt: URL(fileURLWithPath: path))
            let decision = try await portal.store.recordDecision(
                applicationID: world.application.id, text: "Granted.", documentSHA256: document.sha256, now: portal.clock.now)
            let served = try await client.decision(id: decision.id)
            #expect(served.decision.servedAt != nil)
            #expect(served.appealDeadline != nil)
            let saved = scratch.folder.appending(path: "decision.pdf").path
            #expect(try await client.saveDecisionDocument(id: decision.id, to: saved) == Int64(Samples.pdf.count))
            #expect(FileManager.default.contents(atPath: saved) == Data(Samples.pdf))

            try await client.signOut()
            await #expect(throws: ClientError.notSignedIn) { _ = try await client.applications() }
        }
    }

    @Test func refusals_areTyped() async throws {
        try await withPortal { portal in
            let world = try await ClientCase.make(portal)
            defer { Task { await world.client.shutdown() } }
            let scratch = try Scratch()
            defer { scratch.remove() }
            let zip = try scratch.file("contract.pdf", Samples.zip)
            await #expect(throws: ClientError.attachmentRefused(.attachmentTypeRefused, limit: nil)) {
                _ = try await world.client.upload(fileAt: zip, name: "contract.pdf", expectedSHA256: nil, idempotencyKey: "z")
            }
            await #expect(throws: ClientError.notFound) { _ = try await world.client.request(id: "request_nope") }
            _ = try await world.client.respond(toRequest: world.request.id, message: "a", attachmentIDs: [], idempotencyKey: "1")
            await #expect(throws: ClientError.requestAlreadyAnswered) {
                _ = try await world.client.respond(toRequest: world.request.id, message: "b", attachmentIDs: [], idempotencyKey: "2")
            }
            let missing = scratch.folder.appending(path: "missing.pdf").path
            await #expect(throws: ClientError.fileUnreadable(path: missing)) {
                _ = try await world.client.upload(fileAt: missing, name: "m.pdf", expectedSHA256: nil, idempotencyKey: "m")
            }
            let wrong = try PortalClient(portalURL: portal.portalURL, settings: .fast)
            await #expect(throws: ClientError.invalidCredentials) { _ = try await wrong.signIn(username: "aino", password: "no") }
            await wrong.shutdown()
        }
    }

    @Test func expiredSession_isReported_andTheOutboxWaitsForTheNextSignIn() async throws {
        try await withPortal { portal in
            let world = try await ClientCase.make(portal)
            defer { Task { await world.client.shutdown() } }
            let scratch = try Scratch()
            defer { scratch.remove() }
            let store = try ApplicantStore(path: scratch.folder.appending(path: "applicant.sqlite").path)
            portal.clock.advance(by: 31 * 60)
            await #expect(throws: ClientError.sessionExpired) { _ = try await world.client.applications() }

            let courier = Courier(client: world.client, store: store)
            let draft = Draft(target: .request(world.request.id), text: "Written while signed out.")
            try store.save(draft)
            await #expect(throws: ClientError.sessionExpired) { _ = try await courier.send(draft) }
            #expect(try await store.outbox().map(\.state) == [.pending])
            #expect(try store.draft(for: draft.target)?.text == draft.text)

            _ = try await world.client.signIn(username: "aino", password: TestPortal.password)
            let outcomes = await courier.deliverPending()
            let receipt = try #require(try outcomes.first?.outcome.get())
            #expect(try store.receipts().map(\.receipt.number) == [receipt.number])
            #expect(try store.draft(for: draft.target) == nil, "a delivered draft is done")
            #expect(try await portal.store.incomingMessages().count == 1)
        }
    }
}
