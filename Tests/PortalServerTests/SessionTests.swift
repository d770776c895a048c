import Foundation
import GRDB
import PortalAPI
import PortalTestSupport
import PortalServer
import Testing

@Suite struct SessionTests {
    @Test func signIn_wrongPasswordOrUnknownUser_isRefusedAlike() async throws {
        try await withPortal { portal in
            _ = try await portal.signedInApplicant("aino")
            for (username, password) in [("aino", "wrong"), ("nobody", "wrong"), ("aino", "")] {
                let output = try await portal.client().signIn(body: .json(.init(username: username, password: password)))
                guard case .default(401, let problem) = output else { Issue.record("\(output)"); continue }
                #expect(problem.code == "invalid_credentials")
            }
        }
    }

    @Test func tokens_areLongRandomAndStoredOnlyHashed() async throws {
        try await withPortal { portal in
            let first = try await portal.signedInApplicant("aino")
            let second = try await portal.client().signIn(body: .json(.init(username: "aino", password: TestPortal.password)))
                .ok.body.json.token
            #expect(first.token != second)
            #expect(Data(base64Encoded: first.token.replacingOccurrences(of: "-", with: "+")
                .replacingOccurrences(of: "_", with: "/") + "=")?.count == 32)
            // The database holds no token and no password, only their hashes.
            let database = try String(contentsOfFile: portal.configuration.databasePath, encoding: .isoLatin1)
            let wal = (try? String(contentsOfFile: portal.configuration.databasePath + "-wal", encoding: .isoLatin1)) ?? ""
            for text in [database, wal] {
                #expect(!text.contains(first.token))
                #expect(!text.contains(TestPortal.password))
            }
            let hash = try #require(try await portal.store.passwordHash(username: "aino")?.1)
            #expect(hash.hasPrefix("$2"))
        }
    }

    @Test func session_expiresWhenIdle_andEachUseMovesTheEndOn() async throws {
        try await withPortal(adjust: { $0.sessionIdleTimeout = 30 * 60 }) { portal in
            let aino = try await portal.signedInApplicant("aino")
            portal.clock.advance(by: 20 * 60)
            _ = try await aino.client.listApplications().ok
            portal.clock.advance(by: 20 * 60)
            _ = try await aino.client.listApplications().ok  // 40 minutes in, but 20 since the last use
            portal.clock.advance(by: 31 * 60)
            let output = try await aino.client.listApplications()
            guard case .default(401, let problem) = output else { Issue.record("\(output)"); return }
            #expect(problem.code == "session_expired")
        }
    }

    @Test func signOut_revokesTheToken_andForgedTokensAreUnauthenticated() async throws {
        try await withPortal { portal in
            let aino = try await portal.signedInApplicant("aino")
            _ = try await aino.client.signOut().noContent
            for token in [aino.token, "forged-token", String(aino.token.dropLast()) + "A"] {
                let answer = try await portal.raw(.get, "/applications", token: token)
                #expect(answer.status == 401)
                #expect(answer.body.contains("\"unauthenticated\""))
            }
            let none = try await portal.raw(.get, "/applications")
            #expect(none.status == 401)
            let basic = try await portal.raw(.get, "/applications", headers: ["Authorization": "Basic YTpi"])
            #expect(basic.status == 401)
        }
    }

    @Test func repeatedFailedSignIns_areSlowedDown() async throws {
        try await withPortal(adjust: { $0.freeSignInAttempts = 3 }) { portal in
            _ = try await portal.signedInApplicant("aino")
            let wrong = Operations.SignIn.Input.Body.json(.init(username: "aino", password: "wrong"))
            for _ in 0..<3 {
                guard case .default(401, _) = try await portal.client().signIn(body: wrong) else {
                    Issue.record("not refused"); return
                }
            }
            // Now even the right password has to wait, however the name is written.
            let answer = try await portal.raw(.post, "/session", headers: ["Content-Type": "application/json"],
                                              body: Array(#"{"username":"AINO","password":"\#(TestPortal.password)"}"#.utf8))
            #expect(answer.status == 429)
            #expect(answer.body.contains("too_many_attempts"))
            #expect(answer.body.contains("retryAfterSeconds"))
            portal.clock.advance(by: 2)
            _ = try await portal.client().signIn(body: .json(.init(username: "aino", password: TestPortal.password))).ok
        }
    }

    @Test func session_survivesARestart() async throws {
        let first = try await TestPortal.start()
        let aino = try await first.signedInApplicant("aino")
        await first.stop()
        let second = try await TestPortal.start(folder: first.folder, clock: first.clock)
        defer { second.removeData() }
        _ = try await second.client(token: aino.token).listApplications().ok
        await second.stop()
    }
}

@Suite struct HardeningTests {
    @Test func parallelFailedSignIns_allCount() async throws {
        try await withPortal(adjust: { $0.freeSignInAttempts = 3 }) { portal in
            _ = try await portal.signedInApplicant("aino")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        try await portal.raw(.post, "/session", headers: ["Content-Type": "application/json"],
                                             body: Array(#"{"username":"aino","password":"wrong"}"#.utf8)).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            // Only the free attempts reach the password check; the rest are told to wait.
            #expect(statuses.filter { $0 == 401 }.count <= 3)
            #expect(statuses.filter { $0 == 429 }.count >= 9)
        }
    }

    @Test func overlongCredentials_areRefusedWithoutWork() async throws {
        try await withPortal { portal in
            let name = String(repeating: "n", count: 10_000)
            let answer = try await portal.raw(.post, "/session", headers: ["Content-Type": "application/json"],
                                              body: Array(#"{"username":"\#(name)","password":"x"}"#.utf8))
            #expect(answer.status == 401)
        }
    }

    @Test func loopback_isParsedAsAnAddress() {
        for host in ["127.0.0.1", "127.1.2.3", "::1", "localhost"] { #expect(PortalConfiguration.isLoopback(host), "\(host)") }
        for host in ["127.example.net", "0.0.0.0", "::", "10.0.0.1", "::2", "example.com"] {
            #expect(!PortalConfiguration.isLoopback(host), "\(host)")
        }
    }

    @Test func notificationStream_endsWhenTheSessionEnds() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let body = try await world.applicant.client.streamNotifications(headers: .init()).ok.body.textEventStream
            var events = body.asDecodedServerSentEvents().makeAsyncIterator()
            #expect(try await events.next()?.event == "open")
            _ = try await world.applicant.client.signOut().noContent
            // Something new wakes the stream; it finds the session gone and ends instead of delivering it.
            _ = try await portal.store.issueRequest(
                applicationID: world.application.id, text: "x", items: [], deadline: portal.clock.now + 86_400,
                now: portal.clock.now)
            var delivered: [String] = []
            while let event = try await events.next() { if event.event == "notification" { delivered.append(event.id ?? "") } }
            #expect(delivered.isEmpty)
        }
    }

    @Test func duplicateUploads_leaveNoTemporaryFiles() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            for index in 0..<3 { _ = try await world.applicant.client.upload(Samples.pdf, name: "\(index).pdf").created }
            _ = try await portal.raw(.post, "/attachments?filename=x.pdf", token: world.applicant.token,
                                     headers: ["Idempotency-Key": "z", "Content-Type": "application/octet-stream"],
                                     body: Samples.zip)
            let incoming = portal.configuration.documentsFolder.appending(path: "incoming").path
            #expect(try FileManager.default.contentsOfDirectory(atPath: incoming).isEmpty)
        }
    }

    @Test func tinyFiles_withOnlyAPartialSignature_areRefused() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            for bytes: [UInt8] in [[0xFF, 0xD8, 0xFF], Array("%PDF-".utf8)] {
                let answer = try await portal.raw(
                    .post, "/attachments?filename=x.pdf", token: world.applicant.token,
                    headers: ["Idempotency-Key": UUID().uuidString, "Content-Type": "application/octet-stream"], body: bytes)
                #expect(answer.status == 415)
            }
        }
    }
}
