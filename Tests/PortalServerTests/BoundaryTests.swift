import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import NIOHTTP1
import PortalAPI
import PortalServer
import PortalTestSupport
import Testing

/// What every request meets before an operation: NUL refused everywhere, bodies bounded however they are
/// framed, stalled connections closed, and answers that say what the contract says.
@Suite struct BoundaryTests {
    // MARK: NUL

    @Test func nul_inAnyStringOfTheBody_isRefused_andNothingIsStored() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            // The name with NUL once signed in as the name before it.
            let signIn = try await portal.raw(
                .post, "/session", headers: ["Content-Type": "application/json"],
                body: Array(#"{"username":"aino\u0000x","password":"correct horse battery"}"#.utf8))
            #expect(signIn.status == 400)
            #expect(signIn.body.contains("nul_character"))
            let message = try await portal.raw(
                .post, "/requests/\(world.request.id)/response", token: world.applicant.token,
                headers: ["Content-Type": "application/json", "Idempotency-Key": "k1"],
                body: Array(#"{"message":"before\u0000after","attachmentIds":[]}"#.utf8))
            #expect(message.status == 400)
            #expect(message.body.contains("nul_character"))
            #expect(try await portal.store.receipts(applicantID: world.applicant.applicant.id).isEmpty)
            // An escaped backslash before "u0000" is text, not NUL.
            let text = try await portal.raw(
                .post, "/requests/\(world.request.id)/response", token: world.applicant.token,
                headers: ["Content-Type": "application/json", "Idempotency-Key": "k2"],
                body: Array(#"{"message":"C:\\u0000 is a path","attachmentIds":[]}"#.utf8))
            #expect(text.status == 201)
            #expect(try await portal.store.incomingMessages().map(\.text) == [#"C:\u0000 is a path"#])
        }
    }

    @Test func nul_inAPathIdQueryOrHeader_isRefused() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let token = world.applicant.token
            for path in ["/requests/\(world.request.id)%00x", "/applications/\(world.application.id)%00",
                         "/decisions/x%00y", "/receipts/R%00"] {
                let answer = try await portal.raw(.get, path, token: token)
                #expect(answer.status == 400, "\(path)")
                #expect(answer.body.contains("nul_character"), "\(path)")
            }
            let upload = try await portal.raw(
                .post, "/attachments?filename=a%00.pdf", token: token,
                headers: ["Idempotency-Key": "u", "Content-Type": "application/octet-stream"], body: Samples.pdf)
            #expect(upload.status == 400)
            #expect(upload.body.contains("nul_character"))
            // A header with NUL never reaches an operation: HTTP forbids it, and the answer is still a Problem.
            let connection = try await RawConnection.open(port: portal.port)
            try await connection.send("GET /api/v1/applications HTTP/1.1\r\nHost: x\r\nX-Name: a\u{0}b\r\n\r\n")
            let answer = try await within(10, "the answer to a header with NUL") { try await connection.answerAfterClose() }
            #expect(answer.hasPrefix("HTTP/1.1 400"))
            #expect(answer.contains(#""code":"malformed_request""#))
        }
    }

    // MARK: Bodies

    @Test func chunkedBody_overTheLimit_isRefusedAsWithALength_everywhere() async throws {
        try await withPortal(adjust: { $0.maxJSONBodyBytes = 64 * 1024 }) { portal in
            let big = [UInt8](repeating: 0x20, count: 64 * 1024 + 1)
            for (method, path) in [(HTTPMethod.POST, "/session"), (.GET, "/health"), (.GET, "/applications")] {
                for chunked in [true, false] {
                    var request = HTTPClientRequest(url: portal.baseURL.absoluteString + path)
                    request.method = method
                    request.headers.add(name: "Content-Type", value: "application/json")
                    if chunked {
                        let chunks = stride(from: 0, to: big.count, by: 8192).map { ByteBuffer(bytes: big[$0..<min($0 + 8192, big.count)]) }
                        request.body = .stream(chunks.async, length: .unknown)
                    } else {
                        request.body = .bytes(big)
                    }
                    let response = try await HTTPClient.forTests.execute(request, timeout: .seconds(30))
                    let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
                    #expect(response.status.code == 400, "\(method) \(path) chunked: \(chunked)")
                    #expect(body.contains("malformed_request"), "\(method) \(path) chunked: \(chunked)")
                    #expect(body.contains(#""limit":65536"#), "\(method) \(path) chunked: \(chunked)")
                }
            }
            #expect(portal.logs.entries.isEmpty, "\(portal.logs.entries)")
        }
    }

    @Test func aRemaining500_isLoggedWithItsCause() async throws {
        try await withPortal { portal in
            let aino = try await portal.signedInApplicant("aino")
            // A fault of the portal itself: its database lost a table under it.
            let database = try DatabaseQueue(path: portal.configuration.databasePath)
            try await database.write { db in try db.execute(sql: "ALTER TABLE notification RENAME TO lost") }
            let answer = try await portal.raw(.get, "/notifications", token: aino.token)
            #expect(answer.status == 500)
            #expect(answer.body.contains("internal_error"))
            #expect(portal.logs.entries.contains { $0.contains("listNotifications") && $0.contains("no such table") },
                    "\(portal.logs.entries)")
            #expect(!portal.logs.entries.contains { $0.contains(aino.token) }, "a token in the log")
            // Personal data is the portal's user's alone.
            let mode = try FileManager.default.attributesOfItem(atPath: portal.configuration.databasePath)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    // MARK: Connections

    @Test func stalledConnections_areClosed_whileThePortalKeepsServing() async throws {
        try await withPortal(adjust: {
            $0.requestHeadTimeout = .seconds(2)
            $0.requestBodyTimeout = .seconds(2)
        }) { portal in
            let aino = try await portal.signedInApplicant("aino")
            var stalled: [RawConnection] = []
            for index in 0..<500 {
                let connection = try await RawConnection.open(port: portal.port)
                // A loaded machine can keep this task waiting past the deadline between the open and the send:
                // then the portal has closed the connection already, which is what this test waits for anyway.
                switch index % 3 {
                case 0: try? await connection.send("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")  // part of the headers
                case 1:  // part of a JSON body
                    try? await connection.send(
                        "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user")
                default: break  // nothing at all
                }
                stalled.append(connection)
            }
            // Served while all 500 are open.
            #expect(try await portal.raw(.get, "/health").status == 200)
            #expect(try await portal.raw(.get, "/applications", token: aino.token).status == 200)
            // Each stalled one is closed by the portal, none left open.
            let all = stalled
            try await within(60, "the portal to close 500 stalled connections") {
                for connection in all { _ = try await connection.answerAfterClose() }
            }
            #expect(stalled.allSatisfy { !$0.isOpen })
        }
    }

    @Test func anUploadThatWaits_isNotClosedByTheHeaderDeadline() async throws {
        // Deadlines of seconds, not one: on a machine busy with the rest of the suite (a load of 11 on two cores
        // in a parallel run), the portal may take seconds to read a head that was sent at once. The upload's own
        // grace is far longer, so that only the header deadline could close it.
        try await withPortal(adjust: {
            $0.requestHeadTimeout = .seconds(6)
            $0.requestBodyTimeout = .seconds(6)
            $0.uploadGrace = .seconds(120)
        }) { portal in
            let world = try await Case.make(portal)
            let connection = try await RawConnection.open(port: portal.port)
            let half = Samples.pdf.count / 2
            try await connection.send(
                "POST /api/v1/attachments?filename=a.pdf HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(world.applicant.token)\r\n"
                    + "Idempotency-Key: slow\r\nContent-Type: application/octet-stream\r\nContent-Length: \(Samples.pdf.count)\r\n\r\n")
            try await connection.send(Array(Samples.pdf[..<half]))
            // Longer than both deadlines, shorter than the upload's grace: the upload is still open.
            let fresh = try await RawConnection.open(port: portal.port)
            _ = try await within(30, "a connection with nothing sent to be closed") { try await fresh.answerAfterClose() }
            _ = try await within(30, "a second idle connection to be closed") {
                let other = try await RawConnection.open(port: portal.port)
                return try await other.answerAfterClose()
            }
            #expect(connection.isOpen)
            try await connection.send(Array(Samples.pdf[half...]))
            try await connection.send("")
            await connection.close()
        }
    }

    @Test func hugeHeaders_areAnsweredWithAProblem() async throws {
        try await withPortal { portal in
            let connection = try await RawConnection.open(port: portal.port)
            let value = String(repeating: "a", count: 1 << 20)
            try await connection.send("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: \(value)\r\n\r\n")
            let answer = try await within(10, "the answer to 1 MB of headers") { try await connection.answerAfterClose() }
            #expect(answer.hasPrefix("HTTP/1.1 431"))
            #expect(answer.contains(#""code":"headers_too_large""#))
        }
    }

    // MARK: What the contract says

    @Test func unauthenticated_carriesWWWAuthenticateBearer() async throws {
        try await withPortal { portal in
            for token in [nil, "forged"] as [String?] {
                var request = HTTPClientRequest(url: portal.baseURL.absoluteString + "/applications")
                if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                let response = try await HTTPClient.forTests.execute(request, timeout: .seconds(30))
                #expect(response.status.code == 401)
                #expect(response.headers["WWW-Authenticate"].first?.hasPrefix("Bearer") == true)
            }
        }
    }

    @Test func aMethodThePathLacks_answers405WithAllow() async throws {
        try await withPortal { portal in
            let aino = try await portal.signedInApplicant("aino")
            for (method, path, allowed) in [
                (HTTPMethod.DELETE, "/applications", "GET"), (.PUT, "/session", "POST, DELETE"),
                (.GET, "/requests/r1/response", "POST"), (.PATCH, "/notifications/n1/read", "POST"),
            ] {
                var request = HTTPClientRequest(url: portal.baseURL.absoluteString + path)
                request.method = method
                request.headers.add(name: "Authorization", value: "Bearer \(aino.token)")
                let response = try await HTTPClient.forTests.execute(request, timeout: .seconds(30))
                let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
                #expect(response.status.code == 405, "\(method) \(path)")
                #expect(Set(response.headers["Allow"].first?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
                        == Set(allowed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }), "\(method) \(path)")
                #expect(body.contains("method_not_allowed"))
            }
            #expect(try await portal.raw(.get, "/no/such/path", token: aino.token).status == 404)
        }
    }

    @Test func idempotencyKey_missingOrTooLong_getsItsOwnCode() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let body = Array(#"{"message":"hello","attachmentIds":[]}"#.utf8)
            let path = "/requests/\(world.request.id)/response"
            let missing = try await portal.raw(.post, path, token: world.applicant.token,
                                               headers: ["Content-Type": "application/json"], body: body)
            #expect(missing.status == 400)
            #expect(missing.body.contains("idempotency_key_missing"))
            let long = try await portal.raw(.post, path, token: world.applicant.token,
                                            headers: ["Content-Type": "application/json", "Idempotency-Key": String(repeating: "k", count: 201)],
                                            body: body)
            #expect(long.status == 400)
            #expect(long.body.contains("idempotency_key_invalid"))
            let upload = try await portal.raw(.post, "/attachments?filename=a.pdf", token: world.applicant.token,
                                              headers: ["Content-Type": "application/octet-stream"], body: Samples.pdf)
            #expect(upload.body.contains("idempotency_key_missing"))
            var twoKeys = HTTPClientRequest(url: portal.baseURL.absoluteString + path)
            twoKeys.method = .POST
            twoKeys.headers.add(name: "Authorization", value: "Bearer \(world.applicant.token)")
            twoKeys.headers.add(name: "Content-Type", value: "application/json")
            twoKeys.headers.add(name: "Idempotency-Key", value: "a1")
            twoKeys.headers.add(name: "Idempotency-Key", value: "a2")
            twoKeys.body = .bytes(body)
            let twice = try await HTTPClient.forTests.execute(twoKeys, timeout: .seconds(30))
            #expect(twice.status.code == 400)
            #expect(String(buffer: try await twice.body.collect(upTo: 1 << 16)).contains("idempotency_key_invalid"))
            let exact = try await portal.raw(.post, path, token: world.applicant.token,
                                             headers: ["Content-Type": "application/json", "Idempotency-Key": String(repeating: "k", count: 200)],
                                             body: body)
            #expect(exact.status == 201)
        }
    }

    @Test func attachment_twiceInAMessage_orAlreadySent_isRefused() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let first = try await client.upload(Samples.pdf, name: "a.pdf").created.body.json.id
            let twice = try await client.sendAdditionalInformation(
                path: .init(applicationId: world.application.id), headers: .init(idempotencyKey: "twice"),
                body: .json(.init(message: "m", attachmentIds: [first, first])))
            guard case .default(400, let problem) = twice else { Issue.record("\(twice)"); return }
            #expect(problem.code == "attachment_listed_twice")
            let sent = try await client.sendAdditionalInformation(
                path: .init(applicationId: world.application.id), headers: .init(idempotencyKey: "once"),
                body: .json(.init(message: "m", attachmentIds: [first]))).created.body.json
            #expect(sent.files.count == 1)
            // The same send again is the first receipt, not a refusal.
            let repeated = try await client.sendAdditionalInformation(
                path: .init(applicationId: world.application.id), headers: .init(idempotencyKey: "once"),
                body: .json(.init(message: "m", attachmentIds: [first]))).created.body.json
            #expect(repeated.number == sent.number)
            let again = try await client.respondToRequest(
                path: .init(requestId: world.request.id), headers: .init(idempotencyKey: "again"),
                body: .json(.init(message: "m", attachmentIds: [first])))
            guard case .default(409, let problem) = again else { Issue.record("\(again)"); return }
            #expect(problem.code == "attachment_already_sent")
            #expect(try await portal.store.receipts(applicantID: world.applicant.applicant.id).count == 1)
        }
    }

    @Test func emptyLastEventID_startsFromNow() async throws {
        try await withPortal { portal in
            let aino = try await portal.signedInApplicant("aino")
            let body = try await aino.client.streamNotifications(headers: .init(lastEventID: "")).ok.body.textEventStream
            var events = body.asDecodedServerSentEvents().makeAsyncIterator()
            #expect(try await events.next()?.event == "open")
        }
    }

    @Test func headers_areReadAsSent_notPercentDecoded() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let path = "/applications/\(world.application.id)/messages"
            func send(_ key: String, _ text: String) async throws -> (status: Int, body: String) {
                try await portal.raw(.post, path, token: world.applicant.token,
                                     headers: ["Content-Type": "application/json", "Idempotency-Key": key],
                                     body: Array(#"{"message":"\#(text)","attachmentIds":[]}"#.utf8))
            }
            // Two keys, not one: the generated layer decoded "%41" to "A".
            #expect(try await send("kA", "first").status == 201)
            #expect(try await send("k%41", "second").status == 201)
            // A key that is not valid percent-encoding is still a key.
            #expect(try await send("ab%", "third").status == 201)
            let stream = try await portal.raw(.get, "/notifications/stream", token: world.applicant.token,
                                              headers: ["Last-Event-ID": "%31"])
            #expect(stream.status == 400)
        }
    }

    @Test func messageLength_isCountedInCodePoints_asTheContractSays() async throws {
        try await withPortal(adjust: { $0.maxMessageCharacters = 10 }) { portal in
            let world = try await Case.make(portal)
            // Six letters with a combining accent each: six characters on screen, twelve code points.
            let text = String(repeating: "e\u{301}", count: 6)
            let answer = try await portal.raw(
                .post, "/applications/\(world.application.id)/messages", token: world.applicant.token,
                headers: ["Content-Type": "application/json", "Idempotency-Key": "long"],
                body: Array(try JSONEncoder().encode(["message": text]).dropLast()) + Array(#","attachmentIds":[]}"#.utf8))
            #expect(answer.status == 413)
            #expect(answer.body.contains("message_too_long"))
        }
    }

    @Test func oneApplicantsWaitingUploads_areBounded_andTheRestRefusedAtOnce() async throws {
        try await withPortal(adjust: {
            $0.maxUploadsUnderWayPerApplicant = 1
            $0.maxUploadsWaitingPerApplicant = 1
        }) { portal in
            let world = try await Case.make(portal)
            func stalledUpload(_ key: String) async throws -> RawConnection {
                let connection = try await RawConnection.open(port: portal.port)
                try await connection.send(
                    "POST /api/v1/attachments?filename=a.pdf HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(world.applicant.token)\r\n"
                        + "Idempotency-Key: \(key)\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n%PDF-1.7\n")
                return connection
            }
            // Three at once: one is read, one waits, and the third (whichever comes last) is refused before a byte
            // of it is read; it may come again.
            let uploads = [try await stalledUpload("first"), try await stalledUpload("second"), try await stalledUpload("third")]
            let refused = try await within(10, "one of the three uploads to be refused") {
                while true {
                    if let refused = uploads.firstIndex(where: { $0.received.contains("HTTP/1.1") }) { return refused }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            let answer = try await within(10, "the refused upload's connection to end") { try await uploads[refused].answerAfterClose() }
            #expect(answer.hasPrefix("HTTP/1.1 429"), "\(answer)")
            #expect(answer.contains("too_many_uploads"))
            let others = uploads.indices.filter { $0 != refused }.map { uploads[$0] }
            #expect(others.allSatisfy { $0.isOpen && $0.received.isEmpty })
            // Another applicant is not affected.
            let other = try await portal.signedInApplicant("bo")
            #expect(try await other.client.upload(Samples.pdf, name: "b.pdf").created.body.json.size > 0)
            for upload in uploads { await upload.close() }
        }
    }

    @Test func oneApplicantsStreams_areBounded_byEndingTheOldest() async throws {
        try await withPortal(adjust: { $0.maxStreamsPerApplicant = 2 }) { portal in
            let aino = try await portal.signedInApplicant("aino")
            var streams: [RawConnection] = []
            for _ in 0..<3 {
                let connection = try await RawConnection.open(port: portal.port)
                try await connection.send(
                    "GET /api/v1/notifications/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(aino.token)\r\n\r\n")
                streams.append(connection)
                // Opened in order: each answers its first event before the next one opens.
                let opened = connection
                try await within(10, "the stream to open") {
                    while !(opened.received.contains("event: open")) { try await Task.sleep(for: .milliseconds(20)) }
                }
            }
            let oldest = streams[0]
            _ = try await within(10, "the oldest stream to end") { try await oldest.answerAfterClose() }
            #expect(streams[1].isOpen && streams[2].isOpen)
            for stream in streams { await stream.close() }
        }
    }
}
