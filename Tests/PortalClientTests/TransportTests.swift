import ApplicantStore
import Foundation
import PortalServer
import PortalTestSupport
import PorttiModel
import Testing

@testable import PortalClient

@Suite struct TransportTests {
    @Test func https_withTheCAFileTheUserNames() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let certificate = scratch.folder.appending(path: "cert.pem").path
        let key = scratch.folder.appending(path: "key.pem").path
        let openssl = try await ChildProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        try #require(openssl.status == 0)
        let portal = try await TestPortal.start(adjust: {
            $0.tlsCertificatePath = certificate
            $0.tlsKeyPath = key
        })
        defer { portal.removeData() }
        let hash = try await Passwords.hash(TestPortal.password, cost: 4)
        _ = try await portal.store.createApplicant(username: "aino", displayName: "Aino", passwordHash: hash, now: portal.clock.now)
        let url = URL(string: "https://localhost:\(portal.port)")!

        let trusting = try PortalClient(portalURL: url, caFile: certificate, settings: .fast)
        _ = try await trusting.signIn(username: "aino", password: TestPortal.password)
        #expect(try await trusting.applications().isEmpty)
        await trusting.shutdown()

        // The system's trust store does not know this certificate: no connection, and no password sent.
        let system = try PortalClient(portalURL: url, settings: .fast)
        await #expect(throws: ClientError.untrustedPortal) {
            _ = try await system.signIn(username: "aino", password: TestPortal.password)
        }
        await system.shutdown()
        #expect(throws: ClientError.fileUnreadable(path: "/no/such/ca.pem")) {
            _ = try PortalClient(portalURL: url, caFile: "/no/such/ca.pem")
        }
        await portal.stop()
    }

    @Test func aSlowUpload_getsTimeForItsSize() async throws {
        try await withPortal { portal in
            let scratch = try Scratch()
            defer { scratch.remove() }
            let path = try scratch.file("scan.pdf", Samples.pdf + Array(repeating: 0x20, count: 2 * 1024 * 1024))
            // About 1.5 seconds on the wire, with a one-second timeout for ordinary requests. The time allowed for
            // the size is far more (32 s at 64 KiB/s), so a machine loaded by other tests cannot make it fail.
            let slowly: @Sendable (Int64, Int64) -> Void = { _, _ in usleep(45_000) }
            var generous = ClientSettings.fast
            generous.requestTimeout = .seconds(1)
            generous.slowestUploadBytesPerSecond = 64 * 1024
            generous.retry.attempts = 1
            let world = try await ClientCase.make(portal)
            await world.client.shutdown()
            let patient = try PortalClient(portalURL: portal.portalURL, caFile: nil, token: world.client.token, settings: generous, faults: [])
            do {
                let attachment = try await patient.upload(
                    fileAt: path, name: "scan.pdf", expectedSHA256: nil, idempotencyKey: "slow", progress: slowly)
                #expect(attachment.size > 2 * 1024 * 1024)
            } catch {
                Issue.record("the slow upload was cut off: \(error)")
            }
            await patient.shutdown()

            // Without time for the size, the same upload is cut off: the allowance is what saved it.
            var strict = generous
            strict.slowestUploadBytesPerSecond = Int.max / 2
            let cut = try PortalClient(portalURL: portal.portalURL, caFile: nil, token: world.client.token, settings: strict, faults: [])
            await #expect(throws: ClientError.timeout) {
                _ = try await cut.upload(fileAt: path, name: "scan.pdf", expectedSHA256: nil, idempotencyKey: "slow-2", progress: slowly)
            }
            await cut.shutdown()
        }
    }
}

@Suite struct ApplicantStoreTests {
    @Test func everythingSaved_isThereAfterReopening() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.folder.appending(path: "a/applicant.sqlite").path
        let draft = Draft(target: .request("r1"), text: "Half-written answer… åäö 決定",
                          files: [AttachedFile(path: "/tmp/x.pdf", name: "x.pdf", size: 3, sha256: "abc")])
        let item = OutboxItem(draft: Draft(target: .application("a1"), text: "Pending"))
        do {
            let store = try ApplicantStore(path: path)
            try store.save(draft)
            try store.put(item)
            try store.cache(["one", "two"], as: "list", at: Date(timeIntervalSince1970: 1000))
        }
        let reopened = try ApplicantStore(path: path)
        #expect(try reopened.draft(for: .request("r1")) == draft)
        var numbered = item
        numbered.number = 1
        #expect(try reopened.outbox() == [numbered])
        // Outbox numbers are given once: one removed is not given to the next message.
        let second = OutboxItem(draft: Draft(target: .application("a1"), text: "Second"), now: item.createdAt + 1)
        try reopened.put(second)
        try reopened.removeFromOutbox(id: second.id)
        let third = OutboxItem(draft: Draft(target: .application("a1"), text: "Third"), now: item.createdAt + 2)
        try reopened.put(third)
        try reopened.put(third)
        #expect(try reopened.outbox().map(\.number) == [1, 3])
        let cached = try #require(try reopened.cached([String].self, "list"))
        #expect(cached.value == ["one", "two"])
        #expect(cached.fetchedAt == Date(timeIntervalSince1970: 1000))
        #expect(try reopened.cached([Int].self, "list") == nil, "a cache that no longer decodes is simply absent")
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch.folder.appending(path: "a").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
    }

    @Test func delivery_keepsTheReceipt_andRemovesOnlyTheDraftItCameFrom() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try ApplicantStore(path: scratch.folder.appending(path: "applicant.sqlite").path)
        let sent = Draft(target: .request("r1"), text: "Sent text")
        let item = OutboxItem(draft: sent)
        try store.put(item)
        // The applicant went on writing after pressing Send: that newer text must stay.
        try store.save(Draft(target: .request("r1"), text: "Sent text, and more written later"))
        let receipt = Receipt(number: "2026-00000001", receivedAt: Date(), applicationID: "a", applicationReference: "MIG-2026-000001", requestID: "r1", files: [])
        try store.delivered(item, receipt: receipt)
        #expect(try store.draft(for: .request("r1"))?.text == "Sent text, and more written later")
        #expect(try store.receipts().map(\.receipt) == [receipt])
        #expect(try store.outbox().first?.state == .delivered(receiptNumber: receipt.number))
    }
}
