import Foundation
import OpenAPIRuntime
import PortalAPI
import PortalTestSupport
import PortalServer
import PortalStore
import PorttiModel
import Testing

/// An applicant with an application waiting for additional information, as the officer's side makes it.
struct Case {
    let applicant: SignedInApplicant
    let application: Application
    let request: SupplementRequest

    static func make(_ portal: TestPortal, username: String = "aino") async throws -> Case {
        let applicant = try await portal.signedInApplicant(username)
        let application = try await portal.store.createApplication(
            applicantID: applicant.applicant.id, type: .residencePermitWork, now: portal.clock.now)
        let request = try await portal.store.issueRequest(
            applicationID: application.id, text: "Send your employment contract.", items: ["Employment contract"],
            deadline: portal.clock.now + 14 * 86_400, now: portal.clock.now)
        return Case(applicant: applicant, application: application, request: request)
    }
}

@Suite struct OperationsTests {
    @Test func health_answersWithoutToken() async throws {
        try await withPortal { portal in
            let body = try await portal.client().health().ok.body.plainText
            #expect(try await String(collecting: body, upTo: 100) == "ok")
        }
    }

    @Test func applications_listAndDetail_showStatusAndTimeline() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let list = try await client.listApplications().ok.body.json.applications
            #expect(list.map(\.id) == [world.application.id])
            #expect(list[0].status == .waitingForInformation)
            #expect(list[0].referenceNumber.hasPrefix("MIG-"))

            let detail = try await client.getApplication(path: .init(applicationId: world.application.id)).ok.body.json
            #expect(detail.timeline.map(\.kind) == [.submitted, .requestSent])
            #expect(detail.timeline.last?.status == .waitingForInformation)
            #expect(detail.decisionId == nil)
        }
    }

    @Test func requests_listAndRead_showItemsDeadlineAndState() async throws {
        try await withPortal(adjust: {
            $0.sessionIdleTimeout = 90 * 86_400
            $0.sessionMaxLifetime = 90 * 86_400
        }) { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let requests = try await client.listRequests(path: .init(applicationId: world.application.id)).ok.body.json
                .requests
            #expect(requests.map(\.id) == [world.request.id])
            let request = try await client.getRequest(path: .init(requestId: world.request.id)).ok.body.json
            #expect(request.items == ["Employment contract"])
            #expect(request.state == .open)
            #expect(abs(request.deadline.timeIntervalSince(world.request.deadline)) < 1)

            portal.clock.advance(by: 15 * 86_400)
            let later = try await client.getRequest(path: .init(requestId: world.request.id)).ok.body.json
            #expect(later.state == .overdue)
        }
    }

    @Test func respond_withAttachment_givesReceiptAndAnswersRequest() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let attachment = try await client.upload(Samples.pdf, name: "contract.pdf").created.body.json
            #expect(attachment.mediaType == .applicationPdf)
            #expect(attachment.size == Int64(Samples.pdf.count))
            #expect(try attachment.sha256 == Samples.pdf.sha256Hex)

            let receipt = try await client.respondToRequest(
                path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "k1"),
                body: .json(.init(message: "Here it is.", attachmentIds: [attachment.id]))
            ).created.body.json
            #expect(receipt.requestId == world.request.id)
            #expect(receipt.applicationId == world.application.id)
            #expect(receipt.files.map(\.name) == ["contract.pdf"])
            #expect(try receipt.files.first?.sha256 == Samples.pdf.sha256Hex)
            #expect(abs(receipt.receivedAt.timeIntervalSince(portal.clock.now)) < 1)

            let request = try await client.getRequest(path: .init(requestId: world.request.id)).ok.body.json
            #expect(request.state == .answered)
            let detail = try await client.getApplication(path: .init(applicationId: world.application.id)).ok.body.json
            #expect(detail.application.status == .inProcessing)
            #expect(detail.timeline.last?.kind == .informationReceived)

            // The applicant is told it was received.
            let notifications = try await client.listNotifications().ok.body.json
            #expect(notifications.notifications.first?.kind == .messageReceived)
            #expect(notifications.notifications.first?.subjectId == receipt.number)

            // The stored file is the one sent.
            let stored = try Data(contentsOf: DocumentVault(folder: portal.configuration.documentsFolder)
                .location(sha256: attachment.sha256))
            #expect(Array(stored) == Samples.pdf)
        }
    }

    @Test func sendAdditionalInformation_withoutRequest_givesReceipt() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let png = try await client.upload(Samples.png, name: "passport.png").created.body.json
            let jpeg = try await client.upload(Samples.jpeg, name: "photo.jpg").created.body.json
            #expect(png.mediaType == .imagePng)
            #expect(jpeg.mediaType == .imageJpeg)
            let receipt = try await client.sendAdditionalInformation(
                path: .init(applicationId: world.application.id), headers: .init(idempotencyKey: "new-address"),
                body: .json(.init(message: "My new address is Mannerheimintie 1, Helsinki.", attachmentIds: [png.id, jpeg.id]))
            ).created.body.json
            #expect(receipt.requestId == nil)
            #expect(receipt.files.map(\.name) == ["passport.png", "photo.jpg"])
            // The request stays open: additional information does not answer it.
            let request = try await client.getRequest(path: .init(requestId: world.request.id)).ok.body.json
            #expect(request.state == .open)
            let incoming = try await portal.store.incomingMessages()
            #expect(incoming.map(\.text) == ["My new address is Mannerheimintie 1, Helsinki."])
        }
    }

    @Test func receipts_numbersRiseInArrivalOrder_andAreListed() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            var numbers: [String] = []
            for index in 0..<3 {
                let receipt = try await client.sendAdditionalInformation(
                    path: .init(applicationId: world.application.id), headers: .init(idempotencyKey: "m\(index)"),
                    body: .json(.init(message: "Message \(index)", attachmentIds: []))
                ).created.body.json
                numbers.append(receipt.number)
            }
            #expect(numbers == numbers.sorted())
            #expect(Set(numbers).count == 3)
            let listed = try await client.listReceipts().ok.body.json.receipts
            #expect(listed.map(\.number) == numbers.reversed())
            let one = try await client.getReceipt(path: .init(receiptNumber: numbers[1])).ok.body.json
            #expect(one.number == numbers[1])
            // Each names the application's reference number, as sent, listed and fetched.
            let reference = world.application.referenceNumber
            #expect(listed.allSatisfy { $0.applicationReference == reference })
            #expect(one.applicationReference == reference && reference.hasPrefix("MIG-"))
            // The officer handles them oldest first.
            #expect(try await portal.store.incomingMessages().map(\.receipt.number) == numbers)
        }
    }

    @Test func notifications_markRead_isRepeatable() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let list = try await client.listNotifications().ok.body.json
            #expect(list.unreadCount == 1)
            let notification = try #require(list.notifications.first)
            #expect(notification.kind == .requestSent)
            #expect(notification.subjectId == world.request.id)
            #expect(notification.applicationReference == world.application.referenceNumber)
            let read = try await client.markNotificationRead(path: .init(notificationId: notification.id)).ok.body.json
            #expect(read.applicationReference == world.application.referenceNumber)
            let readAt = try #require(read.readAt)
            portal.clock.advance(by: 60)
            let again = try await client.markNotificationRead(path: .init(notificationId: notification.id)).ok.body.json
            #expect(again.readAt == readAt)
            #expect(try await client.listNotifications().ok.body.json.unreadCount == 0)
        }
    }

    @Test func decision_firstReadIsServedDate_andAppealDeadlineFollows() async throws {
        try await withPortal(adjust: {
            $0.appealDays = 21
            $0.sessionIdleTimeout = 90 * 86_400
            $0.sessionMaxLifetime = 90 * 86_400
        }) { portal in
            let world = try await Case.make(portal)
            let vault = try DocumentVault(folder: portal.configuration.documentsFolder)
            let document = try await vault.receive(Chunks([Samples.pdf[...]]), maxBytes: .max)
            let decision = try await portal.store.recordDecision(
                applicationID: world.application.id, text: "Permit granted.", documentSHA256: document.sha256,
                now: portal.clock.now)
            let client = world.applicant.client
            let notification = try await client.listNotifications().ok.body.json.notifications.first
            #expect(notification?.kind == .decisionReady)
            #expect(notification?.subjectId == decision.id)
            let detail = try await client.getApplication(path: .init(applicationId: world.application.id)).ok.body.json
            #expect(detail.decisionId == decision.id)
            #expect(detail.application.status == .decisionMade)

            portal.clock.advance(by: 3 * 86_400)
            let opened = try await client.getDecision(path: .init(decisionId: decision.id)).ok.body.json
            let served = try #require(opened.servedAt)
            #expect(abs(served.timeIntervalSince(portal.clock.now)) < 1)
            let appeal = try #require(opened.appealDeadline)
            #expect(Calendar.portal.dateComponents([.day], from: served, to: appeal).day == 21)
            #expect(opened.hasDocument)

            // Reading again later keeps the first date.
            portal.clock.advance(by: 86_400)
            let again = try await client.getDecision(path: .init(decisionId: decision.id)).ok.body.json
            #expect(again.servedAt == opened.servedAt)

            let body = try await client.downloadDecisionDocument(path: .init(decisionId: decision.id)).ok.body.pdf
            #expect(Array(try await Data(collecting: body, upTo: 1 << 20)) == Samples.pdf)
        }
    }

    @Test func decision_downloadFirst_alsoServesIt() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let vault = try DocumentVault(folder: portal.configuration.documentsFolder)
            let document = try await vault.receive(Chunks([Samples.pdf[...]]), maxBytes: .max)
            let decision = try await portal.store.recordDecision(
                applicationID: world.application.id, text: "Granted.", documentSHA256: document.sha256, now: portal.clock.now)
            _ = try await world.applicant.client.downloadDecisionDocument(path: .init(decisionId: decision.id)).ok
            let opened = try await portal.store.openDecision(id: decision.id, applicantID: world.applicant.applicant.id,
                                                             now: portal.clock.now + 86_400)
            #expect(opened?.decision.servedAt != nil)
            #expect(abs((opened?.decision.servedAt ?? .distantPast).timeIntervalSince(portal.clock.now)) < 1)
        }
    }

    @Test func decision_withoutDocument_answersNotFoundForTheDocument() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let decision = try await portal.store.recordDecision(
                applicationID: world.application.id, text: "Refused.", documentSHA256: nil, now: portal.clock.now)
            let answer = try await portal.raw(.get, "/decisions/\(decision.id)/document", token: world.applicant.token)
            #expect(answer.status == 404)
            #expect(answer.body.contains("\"not_found\""))
        }
    }
}

/// A fixed list of chunks as an async sequence.
struct Chunks: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    let chunks: [ArraySlice<UInt8>]
    init(_ chunks: [ArraySlice<UInt8>]) { self.chunks = chunks }
    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: [ArraySlice<UInt8>]
        mutating func next() async -> ArraySlice<UInt8>? { rest.isEmpty ? nil : rest.removeFirst() }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: chunks) }
}

extension Array where Element == UInt8 {
    var sha256Hex: String {
        get throws {
            let file = FileManager.default.temporaryDirectory.appending(path: UUID().uuidString)
            try Data(self).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let output = try ChildProcess.run("/usr/bin/sha256sum", [file.path]).output
            return String(output.prefix(64))
        }
    }
}
