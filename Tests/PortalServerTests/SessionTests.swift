import Foundation
import GRDB
import PortalAPI
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
