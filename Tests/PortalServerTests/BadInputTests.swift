import Foundation
import PortalAPI
import PortalTestSupport
import PorttiModel
import Testing

/// Every bad input gets a JSON answer with a stable code; none gets a 500, none is stored.
@Suite struct BadInputTests {
    private func upload(_ portal: TestPortal, _ world: Case, name: String, _ bytes: [UInt8]) async throws
        -> (status: Int, body: String)
    {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        return try await portal.raw(
            .post, "/attachments?filename=\(encoded)", token: world.applicant.token,
            headers: ["Idempotency-Key": UUID().uuidString, "Content-Type": "application/octet-stream"], body: bytes)
    }

    @Test func attachment_ofAnotherTypeNamedPDF_isRefusedByContent() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let answer = try await upload(portal, world, name: "contract.pdf", Samples.zip)
            #expect(answer.status == 415)
            #expect(answer.body.contains("attachment_type_refused"))
            let text = try await upload(portal, world, name: "x.pdf", Array("just text, not a PDF".utf8))
            #expect(text.status == 415)
        }
    }

    @Test func attachment_tooLarge_isRefusedWithTheLimit() async throws {
        try await withPortal(adjust: { $0.attachmentLimits.maxFileBytes = 64 * 1024 }) { portal in
            let world = try await Case.make(portal)
            let big = Samples.pdf + Array(repeating: 0x20, count: 64 * 1024)
            let answer = try await upload(portal, world, name: "big.pdf", big)
            #expect(answer.status == 413)
            #expect(answer.body.contains("attachment_too_large"))
            #expect(answer.body.contains("65536"))
            // Exactly at the limit is accepted.
            let fits = Samples.pdf + Array(repeating: 0x20, count: 64 * 1024 - Samples.pdf.count)
            #expect(try await upload(portal, world, name: "fits.pdf", fits).status == 201)
        }
    }

    @Test func attachment_empty_isRefused() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let answer = try await upload(portal, world, name: "empty.pdf", [])
            #expect(answer.status == 400)
            #expect(answer.body.contains("attachment_empty"))
        }
    }

    @Test func attachment_pathLikeNames_areSanitized() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            for (raw, expected) in [
                ("../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\boot.ini.png", "boot.ini.png"),
                ("/absolute/x.pdf", "x.pdf"), ("\u{1B}[31mred\u{1B}[0m.pdf", "[31mred[0m.pdf"), ("..", "attachment"),
            ] {
                let answer = try await upload(portal, world, name: raw, Samples.pdf)
                #expect(answer.status == 201)
                let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
                #expect(json?["fileName"] as? String == expected, "\(raw)")
            }
            // Nothing was written outside the data folder's documents.
            #expect(!FileManager.default.fileExists(atPath: portal.folder.deletingLastPathComponent().appending(path: "passwd.pdf").path))
        }
    }

    @Test func message_withTooManyAttachments_isRefused() async throws {
        try await withPortal(adjust: { $0.attachmentLimits.maxFilesPerMessage = 2 }) { portal in
            let world = try await Case.make(portal)
            var ids: [String] = []
            for index in 0..<3 {
                ids.append(try await world.applicant.client.upload(Samples.pdf, name: "\(index).pdf").created.body.json.id)
            }
            let output = try await world.applicant.client.respondToRequest(
                path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "k"),
                body: .json(.init(message: "three", attachmentIds: ids)))
            guard case .default(let status, let problem) = output else { Issue.record("accepted: \(output)"); return }
            #expect(status == 400)
            #expect(problem.code == "too_many_attachments")
            #expect(try await portal.store.incomingMessages().isEmpty)
        }
    }

    /// Files uploaded and never sent are limited per day; the refusal comes before the body is read, a repeat of
    /// an upload is still answered, and a day later uploads are taken again.
    @Test func uploads_unsentBeyondTheDailyLimit_areRefused() async throws {
        try await withPortal(adjust: {
            $0.maxUnsentAttachmentsPerDay = 2
            $0.sessionIdleTimeout = 90 * 86_400  // the session outlives the day the test skips
            $0.sessionMaxLifetime = 90 * 86_400
        }) { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let first = try await client.upload(Samples.pdf, name: "a.pdf", key: "a").created.body.json
            _ = try await client.upload(Samples.pdf, name: "b.pdf", key: "b").created.body.json
            let refused = try await client.upload(Samples.pdf, name: "c.pdf", key: "c")
            guard case .default(let status, let problem) = refused else { Issue.record("accepted: \(refused)"); return }
            #expect(status == 409)
            #expect(problem.code == "too_many_unsent_attachments")
            #expect(try await client.upload(Samples.pdf, name: "a.pdf", key: "a").created.body.json.id == first.id)
            portal.clock.advance(by: 86_401)
            _ = try await client.upload(Samples.pdf, name: "c.pdf", key: "c").created.body.json
        }
    }

    @Test func message_emptyOrTooLong_isRefused() async throws {
        try await withPortal(adjust: { $0.maxMessageCharacters = 10 }) { portal in
            let world = try await Case.make(portal)
            for (text, status, code) in [("   \n", 400, "message_empty"), ("12345678901", 413, "message_too_long")] {
                let output = try await world.applicant.client.sendAdditionalInformation(
                    path: .init(applicationId: world.application.id), headers: .init(idempotencyKey: UUID().uuidString),
                    body: .json(.init(message: text, attachmentIds: [])))
                guard case .default(let answered, let problem) = output else { Issue.record("accepted"); continue }
                #expect(answered == status)
                #expect(problem.code == code)
            }
        }
    }

    @Test func malformedJSON_andInvalidUTF8_areMalformedRequests() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let path = "/applications/\(world.application.id)/messages"
            let bodies: [[UInt8]] = [
                Array(#"{"message": "#.utf8),
                Array(#"{"message": 42, "attachmentIds": []}"#.utf8),
                Array(#"{"attachmentIds": []}"#.utf8),
                Array(#"{"message": ""#.utf8) + [0xFF, 0xFE, 0xC3] + Array(#"", "attachmentIds": []}"#.utf8),
                Array(repeating: 0x5B, count: 100_000),  // deeply nested arrays
            ]
            for body in bodies {
                let answer = try await portal.raw(
                    .post, path, token: world.applicant.token,
                    headers: ["Idempotency-Key": UUID().uuidString, "Content-Type": "application/json"], body: body)
                #expect(answer.status == 400, "\(answer.body)")
                #expect(answer.body.contains("malformed_request"))
            }
            let signIn = try await portal.raw(.post, "/session", headers: ["Content-Type": "application/json"],
                                              body: [0x7B, 0xFF, 0x7D])
            #expect(signIn.status == 400)
            // A body too large to be a message is refused before it is read whole.
            let huge = try await portal.raw(
                .post, path, token: world.applicant.token,
                headers: ["Idempotency-Key": "h", "Content-Type": "application/json"],
                body: Array(repeating: 0x20, count: 2 * 1024 * 1024))
            #expect(huge.status == 400)
            #expect(huge.body.contains("malformed_request"))
            #expect(try await portal.store.incomingMessages().isEmpty)
        }
    }

    @Test func unknownIdsAndRoutes_answerNotFound() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            for path in ["/applications/nope", "/requests/nope", "/receipts/nope", "/decisions/nope", "/nowhere"] {
                let answer = try await portal.raw(.get, path, token: world.applicant.token)
                #expect(answer.status == 404, "\(path)")
                #expect(answer.body.contains("\"not_found\""), "\(path)")
            }
            let output = try await world.applicant.client.respondToRequest(
                path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "k"),
                body: .json(.init(message: "x", attachmentIds: ["attachment_missing"])))
            guard case .default(404, let problem) = output else { Issue.record("\(output)"); return }
            #expect(problem.code == "not_found")
            // The failed send left the request open.
            #expect(try await world.applicant.client.getRequest(path: .init(requestId: world.request.id)).ok.body.json.state == .open)
        }
    }

    @Test func respond_toAnsweredOrOverdueRequest_isRefused() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            _ = try await client.respondToRequest(
                path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "a"),
                body: .json(.init(message: "first", attachmentIds: []))).created
            let again = try await client.respondToRequest(
                path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "b"),
                body: .json(.init(message: "second", attachmentIds: [])))
            guard case .default(409, let answered) = again else { Issue.record("\(again)"); return }
            #expect(answered.code == "request_already_answered")

            let late = try await portal.store.issueRequest(
                applicationID: world.application.id, text: "More.", items: [], deadline: portal.clock.now + 60,
                now: portal.clock.now)
            portal.clock.advance(by: 120)
            let overdue = try await client.respondToRequest(
                path: .init(requestId: late.id), headers: .init(idempotencyKey: "c"),
                body: .json(.init(message: "late", attachmentIds: [])))
            guard case .default(409, let problem) = overdue else { Issue.record("\(overdue)"); return }
            #expect(problem.code == "request_overdue")
            // Extending the deadline opens it again.
            _ = try await portal.store.extendDeadline(requestID: late.id, deadline: portal.clock.now + 86_400, now: portal.clock.now)
            _ = try await client.respondToRequest(
                path: .init(requestId: late.id), headers: .init(idempotencyKey: "d"),
                body: .json(.init(message: "in time now", attachmentIds: []))).created
        }
    }
}
