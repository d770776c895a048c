import Foundation
import HTTPTypes
import PortalAPI
import PortalTestSupport
import PortalStore
import PorttiModel
import Testing

/// Another applicant's ids must answer exactly like ids that do not exist, on every operation.
@Suite struct AuthorizationWalkTests {
    @Test func everyOperation_withAnotherApplicantsIds_answersLikeNoSuchId() async throws {
        try await withPortal { portal in
            // Aino owns one of everything.
            let aino = try await Case.make(portal, username: "aino")
            let attachment = try await aino.applicant.client.upload(Samples.pdf, name: "a.pdf").created.body.json
            let receipt = try await aino.applicant.client.sendAdditionalInformation(
                path: .init(applicationId: aino.application.id), headers: .init(idempotencyKey: "k"),
                body: .json(.init(message: "Mine.", attachmentIds: [attachment.id]))
            ).created.body.json
            let vault = try DocumentVault(folder: portal.configuration.documentsFolder)
            let document = try await vault.receive(Chunks([Samples.pdf[...]]), maxBytes: .max)
            let decision = try await portal.store.recordDecision(
                applicationID: aino.application.id, text: "Granted.", documentSHA256: document.sha256, now: portal.clock.now)
            let notification = try #require(
                try await aino.applicant.client.listNotifications().ok.body.json.notifications.first)
            // The authority wrote to Aino, with a file.
            let written = try await portal.store.sendAuthorityMessage(NewAuthorityMessage(
                target: .application(aino.application.id), text: "Please come by.",
                files: [.init(name: "map.pdf", size: document.size, sha256: document.sha256, type: .pdf)], now: portal.clock.now))
            let writtenFile = try #require(written.attachments.first)
            let mine = try #require(receipt.messageId)

            // Bo has a case of his own, to try Aino's attachment on.
            let bo = try await Case.make(portal, username: "bo")
            let json = ["Content-Type": "application/json"]
            let message = Array(#"{"message":"hi","attachmentIds":[]}"#.utf8)
            let reply = Array(#"{"text":"hi","attachmentIds":[]}"#.utf8)
            let attaching = { (id: String) in Array(#"{"message":"hi","attachmentIds":["\#(id)"]}"#.utf8) }

            typealias Call = (method: HTTPRequest.Method, path: (String) -> String, headers: [String: String], body: ((String) -> [UInt8])?)
            let walks: [(theirs: String, call: Call)] = [
                (aino.application.id, (.get, { "/applications/\($0)" }, [:], nil)),
                (aino.application.id, (.get, { "/applications/\($0)/requests" }, [:], nil)),
                (aino.application.id, (.post, { "/applications/\($0)/messages" }, json.merging(["Idempotency-Key": "w1"]) { $1 }, { _ in message })),
                (aino.request.id, (.get, { "/requests/\($0)" }, [:], nil)),
                (aino.request.id, (.post, { "/requests/\($0)/response" }, json.merging(["Idempotency-Key": "w2"]) { $1 }, { _ in message })),
                (receipt.number, (.get, { "/receipts/\($0)" }, [:], nil)),
                (notification.id, (.post, { "/notifications/\($0)/read" }, [:], nil)),
                (decision.id, (.get, { "/decisions/\($0)" }, [:], nil)),
                (decision.id, (.get, { "/decisions/\($0)/document" }, [:], nil)),
                // Aino's attachment on Bo's own request and application.
                (attachment.id, (.post, { _ in "/requests/\(bo.request.id)/response" }, json.merging(["Idempotency-Key": "w3"]) { $1 },
                                 attaching)),
                // Conversations: Aino's application, the authority's message to her, its file, her own message.
                (aino.application.id, (.get, { "/messages?applicationId=\($0)" }, [:], nil)),
                (aino.application.id, (.post, { _ in "/messages" }, json, { Array(#"{"applicationId":"\#($0)","text":"hi","attachmentIds":[]}"#.utf8) })),
                (written.id, (.get, { "/messages/\($0)" }, [:], nil)),
                (written.id, (.post, { "/messages/\($0)/read" }, [:], nil)),
                (written.id, (.post, { "/messages/\($0)/reply" }, json, { _ in reply })),
                (written.id, (.get, { "/messages/\($0)/attachments/\(writtenFile.id)" }, [:], nil)),
                (writtenFile.id, (.get, { "/messages/\(written.id)/attachments/\($0)" }, [:], nil)),
                (mine, (.get, { "/messages/\($0)" }, [:], nil)),
                (mine, (.post, { "/messages/\($0)/read" }, [:], nil)),
                (mine, (.get, { "/messages/\($0)/attachments/\(attachment.id)" }, [:], nil)),
                // Aino's attachment in Bo's own new message.
                (attachment.id, (.post, { _ in "/messages" }, json, {
                    Array(#"{"applicationId":"\#(bo.application.id)","text":"hi","attachmentIds":["\#($0)"]}"#.utf8)
                })),
            ]
            for (index, walk) in walks.enumerated() {
                let ghost = walk.theirs.hasPrefix("20") ? "2026-99999999" : "\(walk.theirs.prefix { $0 != "_" })_00000000000000000000000000000000"
                func send(_ id: String) async throws -> (status: Int, body: String) {
                    let body = walk.call.body?(id) ?? []
                    return try await portal.raw(
                        walk.call.method, walk.call.path(id), token: bo.applicant.token,
                        headers: walk.call.headers.merging(["Idempotency-Key": "walk-\(index)-\(id)"]) { $1 },
                        body: walk.call.method == .get ? nil : body)
                }
                let theirs = try await send(walk.theirs)
                let none = try await send(ghost)
                #expect(theirs.status == 404, "walk \(index): \(walk.call.path(walk.theirs))")
                #expect(theirs.status == none.status && theirs.body == none.body, "walk \(index): \(theirs.body) vs \(none.body)")
            }

            // Lists show Bo nothing of Aino's, and nothing of Aino's changed.
            let boApplications = try await bo.applicant.client.listApplications().ok.body.json.applications
            #expect(boApplications.map(\.id) == [bo.application.id])
            #expect(try await bo.applicant.client.listReceipts().ok.body.json.receipts.isEmpty)
            #expect(try await bo.applicant.client.listNotifications().ok.body.json.notifications.allSatisfy {
                $0.applicationId == bo.application.id
            })
            let ainoRequest = try await aino.applicant.client.getRequest(path: .init(requestId: aino.request.id)).ok.body.json
            #expect(ainoRequest.state == .open)
            let stillUnread = try await aino.applicant.client.listNotifications().ok.body.json.notifications
                .first { $0.id == notification.id }
            #expect(stillUnread?.readAt == nil)
            let opened = try await portal.store.openDecision(id: decision.id, applicantID: aino.applicant.applicant.id,
                                                             now: portal.clock.now + 86_400)
            #expect(abs((opened?.decision.servedAt ?? .distantPast).timeIntervalSince(portal.clock.now + 86_400)) < 1,
                    "Bo's attempts must not serve Aino's decision")
            #expect(try await portal.store.incomingMessages().count == 1)
            let ainos = try #require(try await portal.store.messages(applicantID: aino.applicant.applicant.id, applicationID: nil))
            #expect(ainos.map(\.id) == [mine, written.id])
            #expect(ainos.last?.readAt == nil, "Bo's attempts must not read Aino's message")
            #expect(try await bo.applicant.client.listMessages(query: .init()).ok.body.json.messages.isEmpty)
        }
    }
}
