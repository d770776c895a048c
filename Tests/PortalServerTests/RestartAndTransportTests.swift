import AsyncHTTPClient
import Foundation
import NIOSSL
import OpenAPIAsyncHTTPClient
import PortalAPI
import PortalTestSupport
import PortalServer
import PortalStore
import Testing

enum SQLitePortalStoreOpener {
    /// A second connection to a portal's database, as the officer's CLI opens it from another process.
    static func open(_ portal: TestPortal) throws -> SQLitePortalStore {
        try SQLitePortalStore(path: portal.configuration.databasePath)
    }
}

@Suite struct RestartAndTransportTests {
    /// Files uploaded and never sent are removed when the portal starts a week later; sent ones stay.
    @Test func restart_aWeekLater_removesFilesThatWereNeverSent() async throws {
        let first = try await TestPortal.start(adjust: { $0.sessionIdleTimeout = 30 * 86_400; $0.sessionMaxLifetime = 30 * 86_400 })
        let world = try await Case.make(first)
        let sent = try await world.applicant.client.upload(Samples.pdf, name: "sent.pdf").created.body.json
        _ = try await world.applicant.client.respondToRequest(
            path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "answer"),
            body: .json(.init(message: "Here it is.", attachmentIds: [sent.id]))
        ).created.body.json
        let unsent = try await world.applicant.client.upload(Samples.png, name: "never.png", key: "never").created.body.json
        let vault = try DocumentVault(folder: first.configuration.documentsFolder)
        #expect(FileManager.default.fileExists(atPath: vault.location(sha256: unsent.sha256).path))
        await first.stop()

        // Six days on, everything is kept.
        first.clock.advance(by: 6 * 86_400)
        let second = try await TestPortal.start(folder: first.folder, clock: first.clock)
        #expect(FileManager.default.fileExists(atPath: vault.location(sha256: unsent.sha256).path))
        await second.stop()

        // Past a week, the file never sent is gone; the sent one, and the message, stay.
        first.clock.advance(by: 2 * 86_400)
        let third = try await TestPortal.start(folder: first.folder, clock: first.clock)
        defer { third.removeData() }
        #expect(!FileManager.default.fileExists(atPath: vault.location(sha256: unsent.sha256).path))
        #expect(FileManager.default.fileExists(atPath: vault.location(sha256: sent.sha256).path))
        #expect(try await third.store.incomingMessages().count == 1)
        // Its key is free again: the same upload now makes a new attachment.
        let again = try await third.client(token: world.applicant.token)
            .upload(Samples.png, name: "never.png", key: "never").created.body.json
        #expect(again.id != unsent.id)
        #expect(FileManager.default.fileExists(atPath: vault.location(sha256: unsent.sha256).path))
        await third.stop()
    }

    /// A kept file no record refers to (an upload refused after its body was kept) is removed at the next
    /// start once it is an hour old; a younger one, and one a message refers to, stay.
    @Test func restart_removesFilesNothingRefersTo() async throws {
        let first = try await TestPortal.start()
        let world = try await Case.make(first)
        let sent = try await world.applicant.client.upload(Samples.pdf, name: "sent.pdf").created.body.json
        _ = try await world.applicant.client.sendAdditionalInformation(
            path: .init(applicationId: world.application.id), headers: .init(idempotencyKey: "m"),
            body: .json(.init(message: "Here.", attachmentIds: [sent.id]))
        ).created.body.json
        await first.stop()
        let vault = try DocumentVault(folder: first.configuration.documentsFolder)
        let scratch = first.folder.appending(path: "orphan.png")
        try Data(Samples.png).write(to: scratch)
        let orphan = try await vault.keep(fileAt: scratch)
        var young = Samples.png
        young.append(0)
        try Data(young).write(to: scratch)
        let youngOrphan = try await vault.keep(fileAt: scratch)
        let twoHoursAgo = Date() - 7200
        for digest in [orphan.sha256, sent.sha256] {
            try FileManager.default.setAttributes([.modificationDate: twoHoursAgo], ofItemAtPath: vault.location(sha256: digest).path)
        }

        let second = try await TestPortal.start(folder: first.folder, clock: first.clock)
        defer { second.removeData() }
        #expect(!FileManager.default.fileExists(atPath: vault.location(sha256: orphan.sha256).path))
        #expect(FileManager.default.fileExists(atPath: vault.location(sha256: youngOrphan.sha256).path))
        #expect(FileManager.default.fileExists(atPath: vault.location(sha256: sent.sha256).path))
        await second.stop()
    }

    @Test func restart_betweenMessageAndReadingItsReceipt_losesNothing() async throws {
        let first = try await TestPortal.start()
        let world = try await Case.make(first)
        let attachment = try await world.applicant.client.upload(Samples.pdf, name: "contract.pdf").created.body.json
        let receipt = try await world.applicant.client.respondToRequest(
            path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "before-restart"),
            body: .json(.init(message: "Sent before the restart.", attachmentIds: [attachment.id]))
        ).created.body.json
        await first.stop()

        let second = try await TestPortal.start(folder: first.folder, clock: first.clock)
        defer { second.removeData() }
        let client = second.client(token: world.applicant.token)
        let read = try await client.getReceipt(path: .init(receiptNumber: receipt.number)).ok.body.json
        #expect(read == receipt)
        // A retry after the restart still gets the same receipt.
        let retried = try await client.respondToRequest(
            path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "before-restart"),
            body: .json(.init(message: "Sent before the restart.", attachmentIds: [attachment.id]))
        ).created.body.json
        #expect(retried == receipt)
        let stored = try Data(contentsOf: DocumentVault(folder: second.configuration.documentsFolder)
            .location(sha256: attachment.sha256))
        #expect(Array(stored) == Samples.pdf)
        await second.stop()
    }

    @Test func plainHTTP_onANonLoopbackAddress_isRefusedUnlessAllowed() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "portti-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var configuration = PortalConfiguration(dataFolder: folder)
        configuration.host = "0.0.0.0"
        configuration.bcryptCost = 4
        let store = try SQLitePortalStore(path: configuration.databasePath)
        await #expect(throws: PortalSetupError.insecureBind(host: "0.0.0.0")) {
            _ = try await buildPortal(configuration: configuration, store: store)
        }
        configuration.allowInsecure = true
        _ = try await buildPortal(configuration: configuration, store: store)
    }

    @Test func tls_servesHTTPS_withTheGivenCertificate() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "portti-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let certificate = folder.appending(path: "cert.pem").path
        let key = folder.appending(path: "key.pem").path
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
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(certificate)
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        let client = Client(
            serverURL: URL(string: "https://localhost:\(portal.port)\(portalAPIBasePath)")!,
            transport: AsyncHTTPClientTransport(configuration: .init(client: httpClient)))
        let health = try await client.health().ok.body.plainText
        #expect(try await String(collecting: health, upTo: 10) == "ok")
        // Plain HTTP to the TLS port gets no answer.
        await #expect(throws: (any Error).self) { _ = try await portal.raw(.get, "/health") }
        try await httpClient.shutdown()
        await portal.stop()
    }
}
