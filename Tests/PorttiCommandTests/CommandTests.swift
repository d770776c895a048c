import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PortalStore
import PortalTestSupport
import PorttiModel
import Testing

/// Runs the real `portti` binary that `swift build` put beside the test bundle.
struct Portti {
    static var binary: URL { PortalProcess.binary }

    let folder: URL

    /// A folder with an empty portal in `data` (officer commands refuse a folder holding none).
    init() throws {
        folder = FileManager.default.temporaryDirectory.appending(path: "portti-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appending(path: "data"), withIntermediateDirectories: true)
        _ = try SQLitePortalStore(path: folder.appending(path: "data/portal.sqlite").path)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    var dataFolder: String { folder.appending(path: "data").path }

    /// Runs `portti` with the data folder set (unless `portalData` is false: an applicant's command), and
    /// answers its exit status and output.
    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:], portalData: Bool = true) async throws
        -> (status: Int32, out: String, err: String)
    {
        try await offThePool { try self.runBlocking(arguments, environment: environment, portalData: portalData) }
    }

    private func runBlocking(_ arguments: [String], environment: [String: String], portalData: Bool) throws
        -> (status: Int32, out: String, err: String)
    {
        var env = ProcessInfo.processInfo.environment
        env["LANG"] = "C.UTF-8"
        env["PORTTI_LANG"] = nil
        for (key, value) in environment { env[key] = value }
        let (status, out, err) = try ChildProcess.run(
            Self.binary.path, arguments + (portalData ? ["--data", dataFolder] : []), environment: env)
        return (status, out, err)
    }

    func store() throws -> SQLitePortalStore {
        try SQLitePortalStore(path: folder.appending(path: "data/portal.sqlite").path)
    }

    func file(_ name: String, _ contents: String) throws -> String {
        let url = folder.appending(path: name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}

@Suite struct CommandTests {
    @Test func officer_refusesAccountsThePortalCouldNotCheckRightly() async throws {
        let portti = try Portti()
        defer { portti.remove() }
        let good = try portti.file("good", "s3cret words\n")
        let cases: [([String], String)] = [
            (["--username", "", "--name", "A", "--password-file", good], "user name"),
            (["--username", "evil\u{1B}[2J", "--name", "A", "--password-file", good], "user name"),
            (["--username", String(repeating: "n", count: 257), "--name", "A", "--password-file", good], "user name"),
            (["--username", "aino", "--name", " ", "--password-file", good], "name"),
            (["--username", "aino", "--name", "A", "--password-file", good, "--bcrypt-cost", "14"], "bcrypt"),
            (["--username", "aino", "--name", "A", "--password-file", try portti.file("nul", "a\u{0}b\n")], "NUL"),
            (["--username", "aino", "--name", "A", "--password-file", try portti.file("long", String(repeating: "p", count: 73))],
             "72 bytes"),
            (["--username", "aino", "--name", "A", "--password-file", "/nonexistent/pw"], "does not exist"),
        ]
        for (arguments, words) in cases {
            let result = try await portti.run(["officer", "create-applicant", "--bcrypt-cost", "4"] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.err.contains(words), "\(arguments): \(result.err)")
        }
        let listed = try await portti.run(["officer", "applications", "--username", "aino"])
        #expect(listed.status != 0, "no account was made")
    }

    @Test func officer_createsAccountsApplicationsRequestsAndDecisions() async throws {
        let portti = try Portti()
        defer { portti.remove() }
        let password = try portti.file("password", "s3cret words\n")
        let created = try await portti.run(["officer", "create-applicant", "--username", "aino", "--name", "Aino Virtanen",
                                      "--password-file", password, "--bcrypt-cost", "4"])
        #expect(created.status == 0, "\(created.err)")
        #expect(created.out.contains("aino"))
        let taken = try await portti.run(["officer", "create-applicant", "--username", "aino", "--name", "X",
                                    "--password-file", password, "--bcrypt-cost", "4", "--lang", "fi"])
        #expect(taken.status == 1)
        #expect(taken.err.contains("on jo käytössä"))

        #expect(try await portti.run(["officer", "create-application", "--username", "aino", "--type", "citizenship"]).status == 0)
        let badType = try await portti.run(["officer", "create-application", "--username", "aino", "--type", "visa"])
        #expect(badType.status == 1)
        #expect(badType.err.contains("residence_permit_work"))

        let listed = try await portti.run(["officer", "applications", "--username", "aino", "--json"])
        let applications = try JSONDecoder.iso8601.decode([Application].self, from: Data(listed.out.utf8))
        let application = try #require(applications.first)
        #expect(application.status == .received)

        let issued = try await portti.run(["officer", "request", application.id, "--text", "Send your passport.",
                                     "--item", "Passport, all pages", "--item", "Photo", "--deadline", "2030-01-31"])
        #expect(issued.status == 0, "\(issued.err)")
        let applicant = try #require(try await portti.store().applicant(username: "aino"))
        let request = try #require(try await portti.store().requests(applicationID: application.id, applicantID: applicant.id)?.first)
        #expect(request.items == ["Passport, all pages", "Photo"])
        // The deadline lasts to the end of that day in Finland.
        let end = Calendar.portal.dateComponents([.year, .month, .day, .hour, .minute], from: request.deadline)
        #expect([end.year, end.month, end.day, end.hour, end.minute] == [2030, 1, 31, 23, 59])

        let badDate = try await portti.run(["officer", "extend-deadline", request.id, "--deadline", "2030-02-30"])
        #expect(badDate.status == 64)
        #expect(try await portti.run(["officer", "extend-deadline", request.id, "--deadline", "2030-02-28"]).status == 0)
        let earlier = try await portti.run(["officer", "extend-deadline", request.id, "--deadline", "2030-02-01"])
        #expect(earlier.status == 1)
        #expect(earlier.err.contains("later"))
        #expect(try await portti.run(["officer", "extend-deadline", "request_none", "--deadline", "2030-02-28"]).status == 1)

        #expect(try await portti.run(["officer", "set-status", application.id, "in_processing"]).status == 0)
        #expect(try await portti.run(["officer", "set-status", application.id, "approved"]).status == 1)

        let notPDF = try portti.file("decision.txt", "not a pdf")
        let refused = try await portti.run(["officer", "decide", application.id, "--text", "Granted.", "--document", notPDF,
                                      "--lang", "sv"])
        #expect(refused.status == 1)
        #expect(refused.err.contains("PDF-fil"))
        let png = portti.folder.appending(path: "decision.png")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]).write(to: png)
        #expect(try await portti.run(["officer", "decide", application.id, "--text", "x", "--document", png.path]).status == 1)
        let pdf = try portti.file("decision.pdf", "%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n")
        let decided = try await portti.run(["officer", "decide", application.id, "--text", "Granted.", "--document", pdf])
        #expect(decided.status == 0, "\(decided.err)")
        let twice = try await portti.run(["officer", "decide", application.id, "--text", "Again."])
        #expect(twice.status == 1)
        #expect(twice.err.contains("already has a decision"))
        let detail = try await portti.store().application(id: application.id, applicantID: applicant.id)
        #expect(detail?.application.status == .decisionMade)
        let decisionID = try #require(detail?.decisionID)
        let opened = try await portti.store().openDecision(id: decisionID, applicantID: applicant.id, now: Date())
        #expect(opened?.decision.hasDocument == true)
    }

    @Test func officer_listsIncomingMessagesOldestFirst() async throws {
        let portti = try Portti()
        defer { portti.remove() }
        #expect(try await portti.run(["officer", "messages"]).out.contains("No incoming messages"))
        #expect(try await portti.run(["demo"]).status == 0)
        let store = try portti.store()
        let applicant = try #require(try await store.applicant(username: "demo"))
        let application = try #require(try await store.applications(applicantID: applicant.id).first)
        for text in ["second", "third"] {
            _ = try await store.receiveMessage(NewMessage(
                applicantID: applicant.id, idempotencyKey: text, target: .application(application.id), text: text,
                attachmentIDs: [], now: Date()))
        }
        let listed = try await portti.run(["officer", "messages", "--json"])
        let messages = try JSONDecoder.iso8601.decode([IncomingMessage].self, from: Data(listed.out.utf8))
        #expect(messages.map(\.text).suffix(2) == ["second", "third"])
        #expect(messages.map(\.receipt.number) == messages.map(\.receipt.number).sorted())
        let text = try await portti.run(["officer", "messages"]).out
        let second = try #require(text.range(of: "second")), third = try #require(text.range(of: "third"))
        #expect(second.lowerBound < third.lowerBound)
    }

    @Test func demo_hasEveryStateOnce_andIsNotDuplicated() async throws {
        let portti = try Portti()
        defer { portti.remove() }
        let first = try await portti.run(["demo"])
        #expect(first.status == 0)
        #expect(first.out.contains("demo-portti"))
        #expect(try await portti.run(["demo"]).out.contains("already"))
        let store = try portti.store()
        let applicant = try #require(try await store.applicant(username: "demo"))
        let applications = try await store.applications(applicantID: applicant.id)
        #expect(applications.count == 4)
        var states: [SupplementRequest.State] = []
        var decisions = 0
        for application in applications {
            for request in try await store.requests(applicationID: application.id, applicantID: applicant.id) ?? [] {
                states.append(request.state(at: Date()))
            }
            if try await store.application(id: application.id, applicantID: applicant.id)?.decisionID != nil { decisions += 1 }
        }
        #expect(states.sorted { $0.rawValue < $1.rawValue } == [.answered, .open])
        #expect(decisions == 1)
        #expect(Set(applications.map(\.status)).count >= 3)
        // Conversations: an exchange answered and read, one authority message unread, one on another matter.
        let messages = try #require(try await store.messages(applicantID: applicant.id, applicationID: nil))
        #expect(messages.filter(\.isUnread).count == 1)
        #expect(messages.compactMap(\.state).map(\.code).sorted() == ["answered", "received", "received"])
        #expect(messages.filter { $0.topic != nil }.map(\.direction) == [.fromApplicant])
        let answered = try #require(messages.first { $0.answeredBy != nil })
        let answer = try #require(messages.first { $0.id == answered.answeredBy })
        #expect(answer.inReplyTo == answered.id && answer.readAt != nil)
        #expect(messages.map(\.sentAt) == messages.map(\.sentAt).sorted())
        let unread = try await store.notifications(applicantID: applicant.id, after: nil).filter { $0.readAt == nil }
        #expect(unread.filter { $0.kind == .message }.count == 1)
    }

    @Test func serve_listensOnLoopback_andStopsOnSIGTERM() async throws {
        let portti = try Portti()
        defer { portti.remove() }
        let folder = URL(fileURLWithPath: portti.dataFolder)
        let portal = try await offThePool { try PortalProcess(dataFolder: folder, arguments: ["--demo"]) }
        let (data, response) = try await URLSession.shared.data(from: portal.url.appending(path: "api/v1/health"))
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self) == "ok")
        #expect(try await offThePool { portal.terminate() } == 0)
    }

    /// An officer command on a folder holding no portal (a mistyped --data) makes none: it says so, exit 64.
    @Test func officer_refusesAFolderHoldingNoPortal() async throws {
        let portti = try Portti()
        defer { portti.remove() }
        let nowhere = portti.folder.appending(path: "nonexist").path
        let password = try portti.file("password", "s3cret words\n")
        for command in [
            ["rotate-receipt-key"], ["messages"], ["applications", "--username", "aino"],
            ["create-applicant", "--username", "x", "--name", "X", "--password-file", password],
            ["create-application", "--username", "x", "--type", "citizenship"], ["set-status", "application_1", "in_processing"],
            ["request", "application_1", "--text", "x", "--deadline", "2030-01-01"],
            ["extend-deadline", "request_1", "--deadline", "2030-01-01"], ["decide", "application_1", "--text", "x"],
        ] {
            let refused = try await portti.run(["officer"] + command + ["--data", nowhere], portalData: false)
            #expect(refused.status == 64, "\(command): \(refused.err)")
            #expect(refused.err.contains("holds no portal"), "\(command): \(refused.err)")
        }
        #expect(!FileManager.default.fileExists(atPath: nowhere))
    }

    /// A --receipt-key that is not an Ed25519 private key in PEM is a wrong command line: exit 64, said why.
    @Test func serve_refusesAReceiptKeyThatIsNotAnEd25519PrivateKey_asUsage() async throws {
        let portti = try Portti()
        defer { portti.remove() }
        let rsa = portti.folder.appending(path: "rsa.pem").path
        let made = try await offThePool { try ChildProcess.run("/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", rsa]) }
        #expect(made.status == 0, "\(made.errors)")
        let publicOnly = try portti.file("public.pem", """
            -----BEGIN PUBLIC KEY-----
            MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
            -----END PUBLIC KEY-----
            """)
        let garbage = try portti.file("garbage.pem", "not a key at all")
        for key in [rsa, publicOnly, garbage, portti.folder.appending(path: "missing.pem").path] {
            let refused = try await portti.run(["serve", "--port", "0", "--receipt-key", key])
            #expect(refused.status == 64, "\(key): \(refused.err)")
            #expect(refused.err.contains(key), "\(refused.err)")
        }
    }

    @Test func serve_refusesPlainHTTPBeyondLoopback() async throws {
        let portti = try Portti()
        defer { portti.remove() }
        let refused = try await portti.run(["serve", "--host", "0.0.0.0", "--port", "0"], environment: ["LANG": "fi_FI.UTF-8"])
        #expect(refused.status == 64, "a wrong command line")
        #expect(refused.err.contains("TLS"))
        #expect(refused.err.contains("ei kuunnella"))
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
