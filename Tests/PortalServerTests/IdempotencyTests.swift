import Foundation
import PortalStore
import OpenAPIRuntime
import PortalAPI
import PortalTestSupport
import PorttiModel
import Testing

@Suite struct IdempotencyTests {
    @Test func respond_repeatedWithSameKey_returnsFirstReceipt_andMakesOneMessage() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let draft = Components.Schemas.MessageDraft(message: "The contract.", attachmentIds: [])
            let first = try await client.respondToRequest(
                path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "same"), body: .json(draft)
            ).created.body.json
            // The request is answered now; a retry must still get its receipt, not an error.
            let second = try await client.respondToRequest(
                path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "same"), body: .json(draft)
            ).created.body.json
            #expect(first == second)
            #expect(try await portal.store.incomingMessages().count == 1)
            let received = try await client.listNotifications().ok.body.json.notifications.filter { $0.kind == .messageReceived }
            #expect(received.count == 1)
        }
    }

    @Test func sameKeyWithAnotherBody_isRefused() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let path = "/applications/\(world.application.id)/messages"
            let first = try await portal.raw(.post, path, token: world.applicant.token,
                headers: ["Idempotency-Key": "k", "Content-Type": "application/json"],
                body: Array(#"{"message":"one","attachmentIds":[]}"#.utf8))
            #expect(first.status == 201)
            let second = try await portal.raw(.post, path, token: world.applicant.token,
                headers: ["Idempotency-Key": "k", "Content-Type": "application/json"],
                body: Array(#"{"message":"two","attachmentIds":[]}"#.utf8))
            #expect(second.status == 422)
            #expect(second.body.contains("idempotency_key_reused"))
            #expect(try await portal.store.incomingMessages().map(\.text) == ["one"])
        }
    }

    @Test func concurrentCopies_makeOneRecord() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let attachment = try await client.upload(Samples.pdf, name: "a.pdf").created.body.json
            let receipts = try await withThrowingTaskGroup(of: Components.Schemas.Receipt.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try await client.respondToRequest(
                            path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "once"),
                            body: .json(.init(message: "Only once.", attachmentIds: [attachment.id]))
                        ).created.body.json
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(receipts.map(\.number)).count == 1)
            #expect(try await portal.store.incomingMessages().count == 1)
        }
    }

    @Test func upload_repeatedWithSameKey_returnsFirstAttachment() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let uploads = try await withThrowingTaskGroup(of: Components.Schemas.Attachment.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await client.upload(Samples.pdf, name: "a.pdf", key: "upload-1").created.body.json }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(uploads.map(\.id)).count == 1)
            let other = try await portal.raw(
                .post, "/attachments?filename=a.pdf", token: world.applicant.token,
                headers: ["Idempotency-Key": "upload-1", "Content-Type": "application/octet-stream"], body: Samples.png)
            #expect(other.status == 422)
            #expect(other.body.contains("idempotency_key_reused"))
        }
    }

    @Test func aKeyReusedForOtherContent_leavesNothingOnDisk_andARetryIsStillAnswered() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let first = try await client.upload(Samples.pdf, name: "a.pdf", key: "upload-1").created.body.json
            let vault = try DocumentVault(folder: portal.configuration.documentsFolder)
            let kept = await vault.digests(writtenBefore: .distantFuture)
            #expect(kept.count == 1)
            // Not counted by the quota (the key is known), so the disk is what bounds it: nothing may stay.
            for round in 0..<5 {
                let other = try await portal.raw(
                    .post, "/attachments?filename=a.pdf", token: world.applicant.token,
                    headers: ["Idempotency-Key": "upload-1", "Content-Type": "application/octet-stream"],
                    body: Samples.pdf + Array(repeating: UInt8(round), count: 1000))
                #expect(other.status == 422)
            }
            #expect(await vault.digests(writtenBefore: .distantFuture) == kept)
            let incoming = try FileManager.default.contentsOfDirectory(
                atPath: portal.configuration.documentsFolder.appending(path: "incoming").path)
            #expect(incoming.isEmpty)
            let retry = try await client.upload(Samples.pdf, name: "a.pdf", key: "upload-1").created.body.json
            #expect(retry.id == first.id)
            #expect(retry.sha256 == first.sha256)
        }
    }

    @Test func keysAreTheApplicantsOwn() async throws {
        try await withPortal { portal in
            let aino = try await Case.make(portal, username: "aino")
            let bo = try await Case.make(portal, username: "bo")
            // Two applicants who happen to use the same key each get their own message.
            for world in [aino, bo] {
                _ = try await world.applicant.client.sendAdditionalInformation(
                    path: .init(applicationId: world.application.id), headers: .init(idempotencyKey: "shared"),
                    body: .json(.init(message: "Hello", attachmentIds: []))
                ).created
            }
            #expect(try await portal.store.incomingMessages().count == 2)
        }
    }

    @Test func missingKey_isRefused() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let answer = try await portal.raw(
                .post, "/applications/\(world.application.id)/messages", token: world.applicant.token,
                headers: ["Content-Type": "application/json"], body: Array(#"{"message":"x","attachmentIds":[]}"#.utf8))
            #expect(answer.status == 400)
            #expect(answer.body.contains("idempotency_key_missing"))
            #expect(try await portal.store.incomingMessages().isEmpty)
        }
    }
}
