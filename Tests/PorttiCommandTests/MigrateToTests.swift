import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import PortalStore
import PortalStorePostgres
import PortalTestSupport
import PorttiModel
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
