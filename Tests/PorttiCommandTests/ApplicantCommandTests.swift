import ApplicantStore
import Foundation
import PortalServer
import PortalStore
import PortalTestSupport
import PorttiModel
import Testing

/// The applicant's commands, run as the real binary against a real portal: every job of the terminal UI can
/// be done with them, by a script or a screen-reader user.
struct Applicant {
    let home: URL
    let portal: TestPortal

    init(_ portal: TestPortal) throws {
        self.portal = portal
        home = FileManager.default.temporaryDirectory.appending(path: "portti-applicant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: home) }

    var environment: [String: String] {
        [
            "XDG_DATA_HOME": home.appending(path: "data").path, "XDG_STATE_HOME": home.appending(path: "state").path,
            "XDG_CONFIG_HOME": home.appending(path: "config").path, "HOME": home.path, "LANG": "C.UTF-8",
            "PORTTI_URL": portal.portalURL.absoluteString,
        ]
    }

    /// Runs `portti` on a thread of its own: waiting for a process must not hold a thread of the cooperative
    /// pool, which the portal under test needs to answer.
    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:], input: String? = nil) async throws
        -> (status: Int32, out: String, err: String)
    {
        try await offThePool { try self.runBlocking(arguments, environment: extra, input: input) }
    }

    private func runBlocking(_ arguments: [String], environment extra: [String: String], input: String?) throws
        -> (status: Int32, out: String, err: String)
    {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTTI_") && !$0.key.hasPrefix("LC_") }
        env.merge(environment) { $1 }
        env.merge(extra) { $1 }
        let (status, out, err) = try ChildProcess.run(PortalProcess.binary.path, arguments, environment: env,
                                                      input: Array((input ?? "").utf8))
        return (status, out, err)
    }

    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = home.appending(path: name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @discardableResult
    func signIn(displayName: String = "Aino Virtanen") async throws -> (status: Int32, out: String, err: String) {
        let hash = try await Passwords.hash(TestPortal.password, cost: 4)
        _ = try await portal.store.createApplicant(username: "aino", displayName: displayName, passwordHash: hash, now: portal.clock.now)
        let result = try await run(["sign-in", "--username", "aino"], input: TestPortal.password + "\n")
        #expect(result.status == 0, "\(result.err)")
        return result
    }

    /// An application of aino's, filed by the officer.
    func fileApplication(_ type: ApplicationType = .citizenship) async throws -> PorttiModel.Application {
        let aino = try #require(try await portal.store.applicant(username: "aino"))
        return try await portal.store.createApplication(applicantID: aino.id, type: type, now: portal.clock.now)
    }

    /// The folder of aino's records on this machine (drafts, outbox, receipts, cache).
    var recordsFolder: URL {
        URL(fileURLWithPath: ApplicantStore.path(portal: portal.portalURL, username: "aino", environment: environment))
            .deletingLastPathComponent()
    }

    func json<T: Decodable>(_ type: T.Type, _ arguments: [String]) async throws -> T {
        let result = try await run(arguments + ["--json"])
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(result.out.utf8))
    }
}

/// Runs `body` with a fresh portal and aino signed in to it, and removes both folders after. A portal `body` starts
/// again on the same folder it stops itself.
func withSignedInApplicant<T>(_ body: (TestPortal, Applicant) async throws -> T) async throws -> T {
    try await withPortal { portal in
        let applicant = try Applicant(portal)
        defer { applicant.remove() }
        try await applicant.signIn()
        return try await body(portal, applicant)
    }
}


@Suite struct ApplicantCommandTests {
    @Test func respondToARequest_andSendAdditionalInformation_fromTheCommandLine() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication(.residencePermitWork)
            let request = try await portal.store.issueRequest(
                applicationID: application.id, text: "Send your contract.\u{1B}]0;owned\u{07}", items: ["Contract"],
                deadline: portal.clock.now + 10 * 86_400, now: portal.clock.now)

            let applications = try await applicant.json([Application].self, ["applications"])
            #expect(applications.map(\.id) == [application.id])
            let listed = try await applicant.run(["requests", application.id, "--full", "--lang", "fi"])
            #expect(listed.out.contains("Avoin"))
            #expect(listed.out.contains("Send your contract."))
            #expect(!listed.out.contains("\u{1B}"), "control sequences from the portal never reach the terminal")
            let shown = try await applicant.run(["application", application.id, "--lang", "sv"])
            #expect(shown.out.contains("Väntar på tilläggsuppgifter"))
            #expect(shown.out.contains("Begäran om komplettering skickad"))

            let message = try applicant.file("message.txt", Array("Here is the contract.".utf8))
            let pdf = try applicant.file("contract.pdf", Samples.pdf)
            let reply = try await applicant.run(["reply", request.id, "--message-file", message, "--attach", pdf])
            #expect(reply.status == 0, "\(reply.err)")
            #expect(reply.out.contains("Confirmation of receipt"))
            #expect(reply.out.contains("contract.pdf"))
            #expect(reply.out.contains("Application: \(application.referenceNumber)"), "\(reply.out)")

            let again = try await applicant.run(["reply", request.id, "--message-file", message])
            #expect(again.status == 1)
            #expect(again.err.contains("already been answered"))

            let sent = try await applicant.run(["send", application.id, "--message-file", "-", "--json"], input: "My new e-mail: aino@example.fi")
            #expect(sent.status == 0, "\(sent.err)")
            let receipt = try JSONDecoder.iso8601.decode(Receipt.self, from: Data(sent.out.utf8))
            #expect(receipt.requestID == nil)

            let kept = try await applicant.json([KeptReceipt].self, ["receipts"])
            #expect(kept.count == 2)
            #expect(kept.first?.receipt.number == receipt.number)
            let export = applicant.home.appending(path: "receipts.json").path
            #expect(try await applicant.run(["receipts", "--export", export]).status == 0)
            let exported = try String(contentsOfFile: export, encoding: .utf8)
            // The signed receipts, with the text and files each covers (SignedReceiptCommandTests verifies them).
            #expect(exported.contains(try #require(receipt.signed)))
            #expect(exported.contains("Here is the contract."))
            #expect(receipt.applicationReference == application.referenceNumber)
            #expect(exported.contains(try #require(kept.last?.receipt.files.first?.sha256)))
            // A second export to the same name writes nothing over the first.
            try Data("mine".utf8).write(to: URL(filePath: export))
            let exportedAgain = try await applicant.run(["receipts", "--export", export])
            #expect(exportedAgain.status == 1)
            #expect(exportedAgain.err.contains("exists already. Portti never overwrites a file"), "\(exportedAgain.err)")
            #expect(try String(contentsOfFile: export, encoding: .utf8) == "mine")
            #expect(try await portal.store.incomingMessages().map(\.text) == ["Here is the contract.", "My new e-mail: aino@example.fi"])
        }
    }

    @Test func decisionsAndNotifications_fromTheCommandLine() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let vault = try DocumentVault(folder: portal.configuration.documentsFolder)
            let pdf = try applicant.file("source.pdf", Samples.pdf)
            let document = try await vault.keep(fileAt: URL(fileURLWithPath: pdf))
            let decision = try await portal.store.recordDecision(
                applicationID: application.id, text: "You have been granted citizenship.", documentSHA256: document.sha256,
                now: portal.clock.now)

            struct List: Decodable { var notifications: [PortalNotification]; var unread: Int }
            let list = try await applicant.json(List.self, ["notifications"])
            #expect(list.unread == 1)
            #expect(list.notifications.first?.kind == .decisionReady)
            #expect(list.notifications.first?.applicationReference == application.referenceNumber)
            let printed = try await applicant.run(["notifications"])
            #expect(printed.out.contains(application.referenceNumber), "\(printed.out)")
            let saved = applicant.home.appending(path: "decision.pdf").path
            let read = try await applicant.run(["decision", decision.id, "--save", saved, "--lang", "fi"])
            #expect(read.status == 0, "\(read.err)")
            #expect(read.out.contains("Valituksen viimeinen päivä"))
            #expect(read.out.contains("Päätös: \(application.referenceNumber)"), "\(read.out)")
            #expect(read.out.contains("You have been granted citizenship."))
            #expect(FileManager.default.contents(atPath: saved) == Data(Samples.pdf))
            // Never over a file that is there, and a folder that is not there is named as such.
            try Data("my own notes".utf8).write(to: URL(filePath: saved))
            let over = try await applicant.run(["decision", decision.id, "--save", saved])
            #expect(over.status == 1)
            #expect(over.err.contains("\(saved) exists already."), "\(over.err)")
            #expect(FileManager.default.contents(atPath: saved) == Data("my own notes".utf8))
            let nowhere = applicant.home.appending(path: "no/such/folder/d.pdf").path
            let missing = try await applicant.run(["decision", decision.id, "--save", nowhere])
            #expect(missing.status == 1)
            let toFolder = try await applicant.run(["decision", decision.id, "--save", applicant.home.path])
            #expect(toFolder.status == 1)
            #expect(toFolder.err.contains("\(applicant.home.path) is a folder"), "\(toFolder.err)")
            let folder = applicant.home.appending(path: "no/such/folder").path
            #expect(missing.err.contains("The folder \(folder) does not exist."), "\(missing.err)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: applicant.home.path).allSatisfy { !$0.hasSuffix(".part") })
            let marked = try await applicant.run(["notifications", "--read", try #require(list.notifications.first?.id)])
            #expect(marked.status == 0)
            #expect(try await applicant.json(List.self, ["notifications"]).unread == 0)
        }
    }

    @Test func portalDown_exitsThree_keepsTheMessage_andTheNextCommandSendsIt() async throws {
        let portal = try await TestPortal.start()
        defer { portal.removeData() }
        let applicant = try Applicant(portal)
        defer { applicant.remove() }
        try await applicant.signIn()
        let application = try await applicant.fileApplication()
        #expect(try await applicant.run(["applications"]).status == 0)  // fills the cache
        await portal.stop()

        let offline = try await applicant.run(["applications"])
        #expect(offline.status == 0)
        #expect(offline.err.contains("Offline"))
        #expect(offline.out.contains(application.referenceNumber))
        #expect(!offline.out.contains(application.id), "internal ids only in --json: \(offline.out)")
        let message = try applicant.file("m.txt", Array("Written while offline.".utf8))
        let send = try await applicant.run(["send", application.id, "--message-file", message])
        #expect(send.status == 3)
        #expect(send.err.contains("outbox"))
        #expect(try await applicant.run(["outbox"]).out.contains("waiting to be sent"))

        let again = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)
        // Running the same send again sends the message kept in the outbox: once.
        let resent = try await applicant.run(["send", application.id, "--message-file", message])
        #expect(resent.status == 0, "\(resent.err)")
        #expect(try await again.store.incomingMessages().map(\.text) == ["Written while offline."])
        // And a message left over from before goes with the next command, whatever it is.
        let other = try applicant.file("o.txt", Array("Also written offline.".utf8))
        await again.stop()
        #expect(try await applicant.run(["send", application.id, "--message-file", other]).status == 3)
        let third = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)
        let next = try await applicant.run(["applications"])
        #expect(next.status == 0)
        #expect(next.err.contains("Sent from the outbox"))
        #expect(try await third.store.incomingMessages().map(\.text) == ["Written while offline.", "Also written offline."])
        #expect(try await applicant.run(["outbox"]).out.contains("empty"))
        await third.stop()
    }

    @Test func signIn_isNeeded_andTheSessionFileIsPrivate() async throws {
        try await withPortal { portal in
            let applicant = try Applicant(portal)
            defer { applicant.remove() }
            let before = try await applicant.run(["applications"])
            #expect(before.status == 4)
            #expect(before.err.contains("Sign in first"))
            try await applicant.signIn()
            let sessions = applicant.home.appending(path: "state/portti/sessions")
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: sessions.path).first)
            let attributes = try FileManager.default.attributesOfItem(atPath: sessions.appending(path: name).path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let content = try String(contentsOf: sessions.appending(path: name), encoding: .utf8)
            #expect(!content.contains(TestPortal.password))

            portal.clock.advance(by: 31 * 60)
            let expired = try await applicant.run(["applications", "--lang", "fi"])
            #expect(expired.status == 4)
            #expect(expired.err.contains("Istuntosi on vanhentunut"))
            #expect(try await applicant.run(["sign-out"]).status == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: sessions.path).isEmpty)
        }
    }

    @Test func settings_comeFromFlagsThenEnvironmentThenTheConfigFile() async throws {
        try await withSignedInApplicant { portal, applicant in
            // The config file names the portal and Swedish; the environment says Finnish; the flag says English.
            let config = applicant.home.appending(path: "config/portti")
            try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
            try Data(#"{"url": "\#(portal.portalURL.absoluteString)", "lang": "sv"}"#.utf8).write(to: config.appending(path: "config.json"))
            let withoutURL = ["PORTTI_URL": ""]
            #expect(try await applicant.run(["outbox"], environment: withoutURL).out.contains("Utkorgen är tom"))
            #expect(try await applicant.run(["outbox"], environment: withoutURL.merging(["PORTTI_LANG": "fi"]) { $1 }).out.contains("Lähtevät on tyhjä"))
            #expect(try await applicant.run(["outbox", "--lang", "en"], environment: ["PORTTI_LANG": "fi"]).out.contains("The outbox is empty"))
            // Without a language anywhere, the locale variables decide, from their text alone.
            try Data(#"{"url": "\#(portal.portalURL.absoluteString)"}"#.utf8).write(to: config.appending(path: "config.json"))
            #expect(try await applicant.run(["outbox"], environment: ["LANG": "fi_FI.UTF-8"]).out.contains("Lähtevät on tyhjä"))
            // No portal anywhere: a clear error and the usage exit code.
            try FileManager.default.removeItem(at: config.appending(path: "config.json"))
            let none = try await applicant.run(["applications"], environment: ["PORTTI_URL": ""])
            #expect(none.status == 64)
            #expect(none.err.contains("No portal is configured"))
            // The config file named is the one read: under XDG_CONFIG_HOME, not ~/.config.
            #expect(none.err.contains(config.appending(path: "config.json").path), "\(none.err)")
        }
    }

    @Test func refusedAttachments_areExplainedBeforeAnyUpload() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let message = try applicant.file("m.txt", Array("See attached.".utf8))
            let docx = try applicant.file("letter.pdf", Samples.zip)
            let wrongType = try await applicant.run(["send", application.id, "--message-file", message, "--attach", docx])
            #expect(wrongType.status == 1)
            #expect(wrongType.err.contains("not a PDF, JPEG or PNG"))
            let big = try applicant.file("big.pdf", Samples.pdf + Array(repeating: 0x20, count: 4 * 1024 * 1024))
            let tooLarge = try await applicant.run(["send", application.id, "--message-file", message, "--attach", big, "--lang", "fi"])
            #expect(tooLarge.status == 1)
            // The size and the limit are told apart, not both "4,0 Mt".
            #expect(tooLarge.err.contains("big.pdf on 4,001 Mt; raja on 4,000 Mt"), "\(tooLarge.err)")
            #expect(try await portal.store.incomingMessages().isEmpty)
        }
    }

    /// Each file refused is named with its own reason, all of them in one run; nothing is sent or kept.
    @Test func severalBadFiles_eachNamedWithItsOwnReason() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let message = try applicant.file("m.txt", Array("See attached.".utf8))
            let good = try applicant.file("good.pdf", Samples.pdf)
            let wrong = try applicant.file("letter.pdf", Samples.zip)
            let empty = try applicant.file("empty.pdf", [])
            let folder = URL(filePath: good).deletingLastPathComponent().appending(path: "scans").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let pipe = URL(filePath: good).deletingLastPathComponent().appending(path: "pipe.pdf").path
            #expect(mkfifo(pipe, 0o600) == 0)
            let missing = URL(filePath: good).deletingLastPathComponent().appending(path: "gone.pdf").path
            let result = try await applicant.run(["send", application.id, "--message-file", message, "--attach", good,
                                                  "--attach", wrong, "--attach", empty, "--attach", folder, "--attach", pipe,
                                                  "--attach", missing, "--attach", "/dev/null"])
            #expect(result.status == 1)
            let lines = result.err.split(separator: "\n").map(String.init)
            let expected = [
                "\(wrong) is not a PDF, JPEG or PNG file (checked from its content).",
                "\(empty) is empty.",
                "\(folder) is a folder: attach the files in it instead.",
                "\(pipe) is not an ordinary file (a pipe, device or socket), so it is not read.",
                "\(missing): there is no such file.",
                "/dev/null is not an ordinary file (a pipe, device or socket), so it is not read.",
                "6 files cannot be attached. Nothing was sent or put in the outbox.",
            ]
            #expect(lines.suffix(expected.count) == expected[...], "\(result.err)")
            #expect(try await portal.store.incomingMessages().isEmpty)
            let outbox = try await applicant.run(["outbox", "--json"])
            #expect(!outbox.out.contains("See attached."), "nothing waits in the outbox: \(outbox.out)")
        }
    }

    /// A file whose name is not UTF-8 (bytes 0xFF 0xFE) is opened by its own bytes, reaches the portal under a
    /// name in UTF-8, and is still the same file when the send is finished later from the outbox.
    @Test func aFileNamedInBytesThatAreNotUTF8_isAttached_evenWhenSentLaterFromTheOutbox() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let name: [UInt8] = [0xFF, 0xFE] + Array(".pdf".utf8)
            let path = Array(applicant.home.path.utf8) + [UInt8(ascii: "/")] + name
            let descriptor = (path.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer {
                open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            }
            #expect(descriptor >= 0)
            #expect(Samples.pdf.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == Samples.pdf.count)
            close(descriptor)
            // The message file's name is not UTF-8 either.
            let messagePath = Array(applicant.home.path.utf8) + [UInt8(ascii: "/"), 0xFF] + Array("m.txt".utf8)
            let messageFile = (messagePath.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer {
                open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            }
            #expect(Array("The scan.".utf8).withUnsafeBytes { write(messageFile, $0.baseAddress, $0.count) } == 9)
            close(messageFile)
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTTI_") && !$0.key.hasPrefix("LC_") }
            environment.merge(applicant.environment) { $1 }
            // The shell makes the argument from its bytes: a Swift string cannot hold them.
            let script = #"cd "$1" && exec "$0" send "$2" --message-file "$(printf '\377m.txt')" --attach "$(printf '\377\376.pdf')" --again"#
            func send() async throws -> (status: Int32, output: String, errors: String) {
                try await ChildProcess.run("/bin/sh", ["-c", script, PortalProcess.binary.path, applicant.home.path,
                                                       application.referenceNumber], environment: environment)
            }
            #expect(try await applicant.run(["applications"]).status == 0)

            let sent = try await send()
            #expect(sent.status == 0, "\(sent.errors)")
            #expect(sent.output.contains("_.pdf"), "\(sent.output)")
            await portal.stop()
            let kept = try await send()
            #expect(kept.status == 3, "kept in the outbox: \(kept.errors)")
            let again = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)
            let delivered = try await applicant.run(["outbox"])
            #expect(delivered.status == 0, "\(delivered.err)")
            #expect(delivered.err.contains("Sent from the outbox"), "\(delivered.err)")
            let received = try await again.store.incomingMessages()
            #expect(received.map(\.text) == ["The scan.", "The scan."])
            #expect(received.allSatisfy { $0.receipt.files.map(\.name) == ["__.pdf"] }, "\(received.map(\.receipt.files))")
            #expect(received.allSatisfy { $0.receipt.files.first?.size == Int64(Samples.pdf.count) })
            await again.stop()
        }
    }

    @Test func aMessageThePortalWouldRefuse_isRefusedBeforeTheOutbox_andTheFileIsUntouched() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let cases: [([UInt8], String)] = [
                (Array("before\u{0}after".utf8), "NUL"),
                (Array(repeating: UInt8(ascii: "a"), count: MessageRules.maxCharacters + 1), "too long"),
                (Array("caf".utf8) + [0xE9], "not UTF-8"),
                (Array("   \n".utf8), "Write a message"),
            ]
            for (bytes, words) in cases {
                let file = try applicant.file("m.txt", bytes)
                let result = try await applicant.run(["send", application.id, "--message-file", file])
                #expect(result.status == 1, "\(words): \(result.err)")
                #expect(result.err.contains(words), "\(words): \(result.err)")
                #expect(try Data(contentsOf: URL(filePath: file)) == Data(bytes), "the file is left as it was")
            }
            let outbox = try await applicant.run(["outbox", "--json"])
            #expect(outbox.status == 0, "nothing waits in the outbox: \(outbox.out) \(outbox.err)")
            #expect(try await portal.store.incomingMessages().isEmpty)
        }
    }
}
