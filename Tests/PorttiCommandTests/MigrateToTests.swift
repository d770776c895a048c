import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import PortalStore
import PortalStorePostgres
import PortalTestSupport
import PorttiModel
import ReceiptProof
import Testing

/// `portti officer migrate-to`: a SQLite portal (the demo data) moved into a new PostgreSQL database, read
/// back record by record and served by `portti serve --database` on it.
@Suite struct MigrateToTests {
    @Test func demoPortal_movedIntoPostgres_arrivesWhole_andGoesOn() async throws {
        let portti = try Portti()
        defer { portti.remove() }
        #expect(try await portti.run(["demo"]).status == 0)
        let database = try await PostgresServer.makeDatabase()
        let target = ["--database", database.url]

        // Not while a portal serves the folder: what it took in during the move would be left behind.
        let serving = try await offThePool { try PortalProcess(dataFolder: URL(filePath: portti.dataFolder)) }
        let refused = try await portti.run(["officer", "migrate-to"] + target)
        #expect(refused.status == 64)
        #expect(refused.err.contains("A portal is serving"), "\(refused.err)")
        _ = try await offThePool { serving.terminate() }
        let moved = try await portti.run(["officer", "migrate-to"] + target)
        #expect(moved.status == 0, "\(moved.err)")
        #expect(moved.out.contains("4 applications") && moved.out.contains("3 documents"), "\(moved.out)")

        // Record by record, as each store reads them.
        let sqlite = try portti.store()
        let postgres = try await PostgresPortalStore.open(configuration: database.configuration)
        let pool = Task { try await postgres.run() }
        defer { pool.cancel() }
        let (demo, hash) = try #require(try await sqlite.passwordHash(username: "demo"))
        #expect(try await postgres.passwordHash(username: "demo")?.1 == hash)
        let applications = try await sqlite.applications(applicantID: demo.id)
        #expect(applications.count == 4)
        try same(applications, try await postgres.applications(applicantID: demo.id))
        for application in applications {
            let (before, after) = (try await sqlite.application(id: application.id, applicantID: demo.id),
                                   try await postgres.application(id: application.id, applicantID: demo.id))
            try same(before?.timeline, after?.timeline)
            #expect(before?.decisionID == after?.decisionID)
            try same(try await sqlite.requests(applicationID: application.id, applicantID: demo.id),
                     try await postgres.requests(applicationID: application.id, applicantID: demo.id))
        }
        try same(try await sqlite.receipts(applicantID: demo.id), try await postgres.receipts(applicantID: demo.id))
        try same(try await sqlite.incomingMessages(), try await postgres.incomingMessages())
        // The conversations too: the authority's messages, their states and the letter's file.
        try same(try await sqlite.messages(applicantID: demo.id, applicationID: nil),
                 try await postgres.messages(applicantID: demo.id, applicationID: nil))
        let notifications = try await sqlite.notifications(applicantID: demo.id, after: nil)
        #expect(!notifications.isEmpty)
        try same(notifications, try await postgres.notifications(applicantID: demo.id, after: nil))
        // Every document, under the same SHA-256, with the same bytes.
        let vault = try DocumentVault(folder: portti.folder.appending(path: "data/documents"))
        let digests = await vault.digests(writtenBefore: .distantFuture)
        #expect(digests.count == 3)
        for digest in digests {
            let copied = try #require(try await content(postgres.documents, digest), "\(digest) in the database")
            #expect(sha256(copied) == digest)
            #expect(try await content(vault, digest) == copied)
        }

        // Served by a portal on the database: the old password signs in, the decision's document downloads,
        // and a new message's receipt number follows the last one moved.
        let portal = try await offThePool {
            try PortalProcess(dataFolder: portti.folder.appending(path: "portal-pg"), arguments: target)
        }
        defer { portal.kill() }
        let signIn = try await portal.call(.POST, "/session", json: #"{"username":"demo","password":"demo-portti"}"#)
        #expect(signIn.status == 200)
        let token = try #require(try jsonObject(signIn.body)["token"] as? String)
        var decisionIDs: [String] = []
        for application in applications {
            if let id = try await postgres.application(id: application.id, applicantID: demo.id)?.decisionID { decisionIDs.append(id) }
        }
        let decisionID = try #require(decisionIDs.first)
        let document = try await portal.call(.GET, "/decisions/\(decisionID)/document", token: token)
        #expect(document.status == 200)
        #expect(digests.contains(sha256(document.body)))
        let last = try #require(try await sqlite.incomingMessages().last?.receipt.number)
        let sent = try await portal.call(.POST, "/applications/\(applications[0].id)/messages", token: token, key: "after-move",
                                  json: #"{"message":"Thank you.","attachmentIds":[]}"#)
        #expect(sent.status == 201)
        let number = try #require(try jsonObject(sent.body)["number"] as? String)
        #expect(sequence(of: number) == sequence(of: last) + 1, "\(number) after \(last)")
        let filed = try await portti.run(["officer", "create-application", "--username", "demo", "--type", "citizenship"] + target)
        #expect(filed.status == 0, "\(filed.err)")
        #expect(filed.out.contains("-000005"), "the fifth application: \(filed.out)")

        // Run again: the database holds records now, and nothing is written twice.
        let again = try await portti.run(["officer", "migrate-to"] + target)
        #expect(again.status == 64)
        #expect(again.err.contains("already holds"), "\(again.err)")
        #expect(try await postgres.incomingMessages().count == 4)
        // Without a PostgreSQL database there is nowhere to move to.
        #expect(try await portti.run(["officer", "migrate-to"]).status == 64)
    }

    /// The receipt signing keys and the signed receipts move too: after the move the PostgreSQL portal (on the
    /// same address, so the applicant's machine takes it for the same portal) answers each receipt with the JWS it
    /// answered before, publishes the same keys, signs with the newest, and an export made before the move still
    /// verifies, under keys this machine received from that portal.
    @Test func signedReceiptsAndTheirKeys_moveAsTheyAre() async throws {
        let portti = try Portti()
        defer { portti.remove() }
        #expect(try await portti.run(["demo"]).status == 0)
        let before = try await offThePool { try PortalProcess(dataFolder: URL(filePath: portti.dataFolder)) }
        defer { before.kill() }
        let home = portti.folder.appending(path: "applicant")
        let applicant = [
            "XDG_DATA_HOME": home.appending(path: "data").path, "XDG_STATE_HOME": home.appending(path: "state").path,
            "XDG_CONFIG_HOME": home.appending(path: "config").path, "HOME": home.path, "PORTTI_URL": before.url.absoluteString,
        ]
        func run(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
            try await portti.run(arguments, environment: applicant, portalData: false)
        }
        let password = try portti.file("password", "demo-portti\n")
        #expect(try await run(["sign-in", "--username", "demo", "--password-file", password]).status == 0)
        // Two receipts, each signed with a key of its own: the first key was rotated out between them.
        let first = try await run(["send", "MIG-2026-000004", "--message-file", try portti.file("first.txt", "My new address.")])
        #expect(first.status == 0, "\(first.err)")
        let rotated = try await portti.run(["officer", "rotate-receipt-key"])
        #expect(rotated.status == 0, "\(rotated.err)")
        let second = try await run(["send", "MIG-2026-000004", "--message-file", try portti.file("second.txt", "And my new phone number.")])
        #expect(second.status == 0, "\(second.err)")
        let export = portti.folder.appending(path: "receipts-before.json").path
        #expect(try await run(["receipts", "--export", export]).status == 0)

        let sqlite = try portti.store()
        let (demo, _) = try #require(try await sqlite.passwordHash(username: "demo"))
        let signedBefore = try await sqlite.receipts(applicantID: demo.id).reduce(into: [String: String]()) { signed, receipt in
            signed[receipt.number] = receipt.signed
        }
        #expect(signedBefore.count >= 2, "\(signedBefore)")
        let keysBefore = try await sqlite.receiptSigningKeys()
        #expect(keysBefore.count == 2)
        let jwksBefore = try await before.call(.GET, "/receipt-keys")
        #expect(jwksBefore.status == 200)
        #expect(before.terminate() == 0)

        let database = try await PostgresServer.makeDatabase()
        let moved = try await portti.run(["officer", "migrate-to", "--database", database.url])
        #expect(moved.status == 0, "\(moved.err)")
        let postgres = try await PostgresPortalStore.open(configuration: database.configuration)
        let pool = Task { try await postgres.run() }
        defer { pool.cancel() }
        // The same keys in the same order, private halves too (the newest goes on signing).
        let keyed = { (keys: [ReceiptSigningKey]) in keys.map { "\($0.kid) \($0.privateKey.base64EncodedString())" } }
        #expect(keyed(try await postgres.receiptSigningKeys()) == keyed(keysBefore))

        // Served from PostgreSQL on the same address: the same JWK Set, the same JWS for each receipt.
        let after = try await offThePool {
            try PortalProcess(dataFolder: portti.folder.appending(path: "portal-pg"), port: before.port, arguments: ["--database", database.url])
        }
        defer { after.kill() }
        let jwksAfter = try await after.call(.GET, "/receipt-keys")
        #expect(jwksAfter.status == 200)
        #expect(try Set(keyIDs(jwksAfter.body)) == Set(keysBefore.map(\.kid)))
        #expect(String(decoding: jwksAfter.body, as: UTF8.self) == String(decoding: jwksBefore.body, as: UTF8.self))
        let signIn = try await after.call(.POST, "/session", json: #"{"username":"demo","password":"demo-portti"}"#)
        let token = try #require(try jsonObject(signIn.body)["token"] as? String)
        for (number, jws) in signedBefore {
            let fetched = try await after.call(.GET, "/receipts/\(number)", token: token)
            #expect(fetched.status == 200)
            #expect(try jsonObject(fetched.body)["signed"] as? String == jws, "\(number)")
        }

        // The export made before the move verifies, under keys received from this portal.
        let verified = try await run(["receipts", "verify", export])
        #expect(verified.status == 0, "\(verified.out) \(verified.err)")
        #expect(verified.out.contains("Valid confirmations of receipt: 2/2."), "\(verified.out)")
        #expect(verified.out.contains("This computer received this key from"), "\(verified.out)")
        // A new message is signed with the newest key moved, and the applicant's machine accepts its receipt.
        let third = try await run(["send", "MIG-2026-000004", "--message-file", try portti.file("third.txt", "Thank you.")])
        #expect(third.status == 0, "\(third.err)")
        let newest = try #require(try await postgres.incomingMessages().last?.receipt.signed)
        #expect(ReceiptKeys.kid(of: newest) == keysBefore.last?.kid)
    }

    private func keyIDs(_ body: [UInt8]) throws -> [String] {
        try #require(try jsonObject(body)["keys"] as? [[String: Any]]).compactMap { $0["kid"] as? String }
    }

    /// Both encode to the same JSON, dates to the millisecond (what SQLite keeps).
    private func same<T: Encodable>(_ before: T, _ after: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Int64((date.timeIntervalSince1970 * 1000).rounded()))
        }
        let (left, right) = (String(decoding: try encoder.encode(before), as: UTF8.self),
                             String(decoding: try encoder.encode(after), as: UTF8.self))
        #expect(left == right, sourceLocation: sourceLocation)
    }

    private func sequence(of receiptNumber: String) -> Int {
        Int(receiptNumber.split(separator: "-").last ?? "") ?? -1
    }
}
