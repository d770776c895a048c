import ApplicantStore
import Foundation
import PortalClient
import PortalServer
import PortalStore
import PortalTestSupport
import PorttiModel
import Testing

/// Conversations through the real binary on both sides: the applicant's `messages` and `message`, the officer's
/// `queue`, `read`, `message` and `reply` on the same portal's data folder, with the real portal between them.
@Suite struct ConversationCommandTests {
    /// `portti messages --json`.
    struct Listed: Decodable {
        var messages: [Message]
        var unread: Int
    }

    /// The officer's commands, on the data folder of the portal the applicant uses.
    private func officer(_ applicant: Applicant, _ portal: TestPortal, _ arguments: [String]) async throws
        -> (status: Int32, out: String, err: String)
    {
        try await applicant.run(["officer"] + arguments + ["--data", portal.folder.path])
    }

    @Test func theApplicantsMessage_movesReceivedReadAnswered_asTheOfficerActs_andTheAnswerIsReadAndReplied() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication(.residencePermitWork)
            let reference = application.referenceNumber
            // The applicant's words carry a control sequence: the officer's terminal never gets it.
            let question = try applicant.file("question.txt", Array("Is my case moving?\u{1B}]0;owned\u{07} Thanks.".utf8))
            let sent = try await applicant.run(["message", "--about", reference, "--message-file", question])
            #expect(sent.status == 0, "\(sent.err)")
            #expect(sent.out.contains("Confirmation of receipt") && sent.out.contains(reference), "\(sent.out)")
            let card = try applicant.file("card.txt", Array("Where is my residence permit card?".utf8))
            let other = try await applicant.json(Receipt.self, ["message", "--topic", "residence_card", "--message-file", card])
            #expect(other.topic == "residence_card" && other.applicationID == nil)

            var listed = try await applicant.json(Listed.self, ["messages"])
            let mine = try #require(listed.messages.first)
            #expect(listed.messages.map(\.text) == ["Is my case moving?\u{1B}]0;owned\u{07} Thanks.", "Where is my residence permit card?"])
            #expect(listed.messages.map(\.state) == [.received, .received])
            // Text names the applicant's own message by its receipt number, as the commands take it.
            let number = try #require(mine.receipt?.number)
            let text = try await applicant.run(["messages", reference]).out
            #expect(text.split(separator: "\n").contains { $0.hasPrefix("  \(number)\t") && $0.hasSuffix("\tYou\treceived") }, "\(text)")

            // The officer's queue: in arrival order, the application and the topic named, the words sanitized.
            let queue = try await officer(applicant, portal, ["queue"])
            #expect(queue.status == 0, "\(queue.err)")
            #expect(terminalControls(in: queue.out) == [] && !queue.out.contains("owned"), "\(queue.out.debugDescription)")
            let first = try #require(queue.out.range(of: "Is my case moving?")), second = try #require(queue.out.range(of: "residence permit card"))
            #expect(first.lowerBound < second.lowerBound)
            #expect(queue.out.contains(reference) && queue.out.contains("another matter") == false && queue.out.contains("matter: Residence permit card"))
            let queued = try JSONDecoder.iso8601.decode(
                [IncomingMessage].self, from: Data(try await officer(applicant, portal, ["queue", "--json"]).out.utf8))
            #expect(queued.map(\.messageID) == listed.messages.map(\.id))

            // Read by the officer (by receipt number): the applicant sees the date.
            let read = try await officer(applicant, portal, ["read", number])
            #expect(read.status == 0 && read.out.contains("Is my case moving?"), "\(read.err)")
            #expect(terminalControls(in: read.out) == [], "\(read.out.debugDescription)")
            listed = try await applicant.json(Listed.self, ["messages", reference])
            guard case .readByAuthority = try #require(listed.messages.first?.state) else {
                Issue.record("not read by the authority: \(listed.messages)")
                return
            }
            #expect(try await applicant.run(["messages", reference]).out.contains("read by the authority on"))

            // Answered: the officer's reply names the applicant's message, which leaves the queue.
            let replied = try await officer(applicant, portal, ["reply", mine.id, "--text", "Yes, within a month."])
            #expect(replied.status == 0, "\(replied.err)")
            listed = try await applicant.json(Listed.self, ["messages", reference])
            let answer = try #require(listed.messages.last)
            #expect(answer.direction == .fromAuthority && answer.inReplyTo == mine.id && answer.isUnread)
            #expect(listed.messages.first?.state == .answered(answer.id))
            #expect(listed.unread == 1)
            let shown = try await applicant.run(["messages", reference])
            #expect(shown.out.contains("* \(answer.id)") && shown.out.contains("answered: \(answer.id)"), "\(shown.out)")
            #expect(shown.out.contains("In reply to \(number)"), "\(shown.out)")
            #expect(!(try await officer(applicant, portal, ["queue"])).out.contains("Is my case moving?"))

            // Opened by the applicant: read, and its notification too.
            let opened = try await applicant.json(Message.self, ["messages", "--read", answer.id])
            #expect(opened.readAt != nil && opened.text == "Yes, within a month.")
            #expect(try await applicant.json(Listed.self, ["messages"]).unread == 0)
            struct Notifications: Decodable { var notifications: [PortalNotification]; var unread: Int }
            let notifications = try await applicant.json(Notifications.self, ["notifications"])
            #expect(notifications.notifications.first { $0.subjectID == answer.id }?.readAt != nil)

            // The applicant replies from the authority's message; their own takes no reply. (The officer's CLI
            // dates by the wall clock, the portal by the test's: the reply comes a minute after the answer, however
            // long a loaded machine took to get here.)
            portal.clock.advance(by: max(60, answer.sentAt.timeIntervalSince(portal.clock.now) + 60))
            let thanks = try applicant.file("thanks.txt", Array("Thank you.".utf8))
            let reply = try await applicant.json(Receipt.self, ["message", "--reply-to", answer.id, "--message-file", thanks])
            #expect(reply.inReplyTo == answer.id && reply.applicationID == application.id)
            let own = try await applicant.run(["message", "--reply-to", number, "--message-file", thanks])
            #expect(own.status == 1 && own.err.contains("your own message"), "\(own.err)")
            let conversation = try await applicant.json(Listed.self, ["messages", reference]).messages
            #expect(conversation.map(\.direction) == [.fromApplicant, .fromAuthority, .fromApplicant])
            #expect(conversation.last?.inReplyTo == answer.id && conversation.last?.state == .received)
        }
    }

    @Test func theAuthoritysMessage_isFollowed_savedWithoutOverwriting_andNamedByItsApplication() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let reference = application.referenceNumber
            #expect(try await applicant.run(["messages"]).out.contains("No messages yet."))

            // `notifications --follow` names the new message's application as it arrives.
            let follower = try applicant.follow(["notifications", "--follow"])
            defer { follower.stop() }
            try await waitUntil("the list before following") { follower.output.contains("Unread notifications") }
            let letter = try applicant.file("letter.pdf", Samples.pdf)
            let written = try await officer(applicant, portal, ["message", reference, "--text", "Your letter.", "--attach", letter])
            #expect(written.status == 0, "\(written.err)")
            try await waitUntil("the new message followed: \(follower.output)") {
                follower.output.contains("A new message from the authority")
            }
            #expect(follower.output.contains(reference), "\(follower.output)")

            let message = try #require(try await applicant.json(Listed.self, ["messages"]).messages.first)
            #expect(message.attachments.map(\.name) == ["letter.pdf"])
            let folder = applicant.home.appending(path: "saved")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let saved = try await applicant.run(["messages", "--save", message.id, "--to", folder.path])
            #expect(saved.status == 0, "\(saved.err)")
            #expect(try Array(Data(contentsOf: folder.appending(path: "letter.pdf"))) == Samples.pdf)
            // Never over a file there: the file stays as it was, and the exit code says so.
            try Data("mine".utf8).write(to: folder.appending(path: "letter.pdf"))
            let again = try await applicant.run(["messages", "--save", message.id, "--to", folder.path])
            #expect(again.status == 1 && again.err.contains("exists already"), "\(again.err)")
            // The way out is one this command has: another folder (the name is the portal's).
            #expect(again.err.contains("--to FOLDER") && !again.err.contains("give another name"), "\(again.err)")
            #expect(try Data(contentsOf: folder.appending(path: "letter.pdf")) == Data("mine".utf8))
            // A folder of that name: no example of a decision's file name, the same way out.
            let taken = applicant.home.appending(path: "taken")
            try FileManager.default.createDirectory(at: taken.appending(path: "letter.pdf"), withIntermediateDirectories: true)
            let folderThere = try await applicant.run(["messages", "--save", message.id, "--to", taken.path])
            #expect(folderThere.status == 1 && folderThere.err.contains("--to FOLDER") && !folderThere.err.contains("decision.pdf"), "\(folderThere.err)")
            let none = try await applicant.run(["messages", "--save", message.id, "--attachment", "other.pdf", "--to", folder.path])
            #expect(none.status == 1, "\(none.err)")
            // Saving is not opening: the message is still unread until --read.
            #expect(try await applicant.json(Listed.self, ["messages"]).unread == 1)
        }
    }

    /// The officer's `read` is news on the applicant's `notifications --follow`, as "answered" is, and it is
    /// recorded already read: the unread count stays.
    @Test func theOfficersRead_isFollowedLive_andLeavesTheUnreadCount() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let reference = application.referenceNumber
            let question = try applicant.file("question.txt", Array("Have you read this?".utf8))
            let receipt = try await applicant.json(Receipt.self, ["message", "--about", reference, "--message-file", question])
            struct Notifications: Decodable { var notifications: [PortalNotification]; var unread: Int }
            let unread = try await applicant.json(Notifications.self, ["notifications"]).unread

            let follower = try applicant.follow(["notifications", "--follow"])
            defer { follower.stop() }
            try await waitUntil("the list before following") { follower.output.contains("Unread notifications") }
            let read = try await officer(applicant, portal, ["read", receipt.number])
            #expect(read.status == 0, "\(read.err)")
            try await waitUntil("the reading followed: \(follower.output)") {
                follower.output.contains("The authority read your message")
            }
            let line = try #require(follower.output.split(separator: "\n").first { $0.contains("The authority read your message") })
            // Named by the receipt number the commands take, and its application; not marked unread.
            #expect(line.contains(receipt.number) && line.contains(reference) && !line.hasPrefix("*"), "\(line)")
            let after = try await applicant.json(Notifications.self, ["notifications"])
            #expect(after.unread == unread)
            #expect(after.notifications.first?.kind == .messageRead && after.notifications.first?.readAt != nil)
        }
    }

    /// With the portal stopped, what was kept answers: all the messages, one application's conversation (never
    /// listed alone), and one message by id or receipt number; each says offline and as of when, `--json` adds
    /// `offlineSince`, and `--read` marks nothing read.
    @Test func offline_messagesAndOneConversationAndOneMessage_answerFromWhatWasKept_andMarkNothing() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let reference = application.referenceNumber
            let question = try applicant.file("question.txt", Array("Still there?".utf8))
            let receipt = try await applicant.json(Receipt.self, ["message", "--about", reference, "--message-file", question])
            let mine = try #require(receipt.messageID)
            let written = try await portal.store.sendAuthorityMessage(NewAuthorityMessage(
                target: .application(application.id), text: "Please call us.", files: [], now: portal.clock.now))
            #expect(try await applicant.run(["applications"]).status == 0)
            let online = try await applicant.run(["messages", "--json"])
            #expect(online.status == 0 && !online.out.contains("offlineSince") && !online.err.contains("Offline"), "\(online)")
            await portal.stop()

            struct OfflineList: Decodable { var messages: [Message]; var unread: Int; var offlineSince: Date? }
            struct OfflineMessage: Decodable { var id: String; var text: String; var readAt: Date?; var offlineSince: Date? }
            for arguments in [["messages"], ["messages", reference]] {
                let text = try await applicant.run(arguments)
                #expect(text.status == 0 && text.err.contains("Offline") && text.out.contains("Please call us."), "\(arguments): \(text)")
                #expect(text.out.contains(receipt.number), "\(arguments): \(text.out)")
                let json = try await applicant.json(OfflineList.self, arguments)
                #expect(json.offlineSince != nil && json.messages.map(\.id) == [mine, written.id] && json.unread == 1)
            }
            let read = try await applicant.run(["messages", "--read", written.id])
            #expect(read.status == 0 && read.out.contains("Please call us."), "\(read)")
            #expect(read.err.contains("Offline") && read.err.contains("not marked read"), "\(read.err)")
            let json = try await applicant.json(OfflineMessage.self, ["messages", "--read", written.id])
            #expect(json.id == written.id && json.readAt == nil && json.offlineSince != nil)
            let own = try await applicant.json(OfflineMessage.self, ["messages", "--read", receipt.number])
            #expect(own.text == "Still there?" && own.offlineSince != nil)

            // Nothing was marked: back online, the authority's message is still unopened, and opening it marks it.
            let again = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)
            defer { Task { await again.stop() } }
            #expect(try await applicant.json(Listed.self, ["messages"]).unread == 1)
            let opened = try await applicant.json(OfflineMessage.self, ["messages", "--read", written.id])
            #expect(opened.readAt != nil && opened.offlineSince == nil)
        }
    }

    @Test func foreignAndUnknownIds_answerAlike_andWrongArgumentsAreRefused() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            // Another applicant's conversation: the authority wrote to eero.
            let hash = try await Passwords.hash(TestPortal.password, cost: 4)
            let eero = try await portal.store.createApplicant(username: "eero", displayName: "Eero", passwordHash: hash, now: portal.clock.now)
            let theirs = try await portal.store.createApplication(applicantID: eero.id, type: .citizenship, now: portal.clock.now)
            let foreign = try await portal.store.sendAuthorityMessage(
                NewAuthorityMessage(target: .application(theirs.id), text: "For Eero.", files: [], now: portal.clock.now))
            let unknown = "message_" + String(repeating: "0", count: foreign.id.count - "message_".count)
            let text = try applicant.file("t.txt", Array("Hello.".utf8))
            for arguments in [["messages", "--read"], ["messages", "--save"], ["message", "--message-file", text, "--reply-to"]] {
                let (a, b) = (try await applicant.run(arguments + [foreign.id]), try await applicant.run(arguments + [unknown]))
                #expect(a.status == 1 && b.status == 1, "\(arguments): \(a.err) / \(b.err)")
                #expect(a.out == b.out && a.err.replacingOccurrences(of: foreign.id, with: unknown) == b.err, "\(arguments)")
                #expect(!a.out.contains("For Eero") && !a.err.contains("For Eero"))
            }
            #expect(try await applicant.run(["messages", theirs.referenceNumber]).status == 1)
            #expect(try await applicant.run(["messages", "2026-99999999", "--read", "2026-99999999"]).status == 1)

            // A topic the portal does not have is refused before anything waits in the outbox, naming the list.
            let topic = try await applicant.run(["message", "--topic", "holiday", "--message-file", text])
            #expect(topic.status == 1 && topic.err.contains("residence_card") && topic.err.contains("other"), "\(topic.err)")
            // Exactly one target.
            #expect(try await applicant.run(["message", "--about", application.referenceNumber, "--topic", "other", "--message-file", text]).status == 64)
            #expect(try await applicant.run(["message", "--message-file", text]).status == 64)
            #expect(try await portal.store.incomingMessages().isEmpty)
            // The same refusals as `send`: an empty message.
            let empty = try applicant.file("empty.txt", [])
            #expect(try await applicant.run(["message", "--topic", "other", "--message-file", empty]).status == 1)
        }
    }

    /// The send that reached the portal and whose answer was lost goes again from the outbox with its key:
    /// the portal answers the first receipt, and the authority has one message.
    @Test func aMessageSentAgainWithItsKey_isOneMessage() async throws {
        try await withSignedInApplicant { portal, applicant in
            await portal.stop()
            let text = try applicant.file("m.txt", Array("Once only.".utf8))
            let kept = try await applicant.run(["message", "--topic", "address_change", "--message-file", text])
            #expect(kept.status == 3, "\(kept.err)")
            let again = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)
            defer { Task { await again.stop() } }
            // The first attempt reached the portal; its answer never came back.
            let records = try ApplicantStore(path: ApplicantStore.path(portal: portal.portalURL, username: "aino", environment: applicant.environment))
            let item = try #require(try await records.outbox().first)
            let signIn = try await again.client().signIn(body: .json(.init(username: "aino", password: TestPortal.password)))
            let client = try PortalClient(portalURL: portal.portalURL, token: try signIn.ok.body.json.token)
            let first = try await client.send(to: item.target, text: item.text, attachmentIDs: [], idempotencyKey: item.idempotencyKey)
            await client.shutdown()

            let delivered = try await applicant.run(["outbox", "--send"])
            #expect(delivered.status == 0, "\(delivered.err)")
            #expect(delivered.err.contains(first.number), "the first receipt: \(delivered.err)")
            #expect(try await again.store.incomingMessages().map(\.text) == ["Once only."])
            let listed = try await applicant.json(Listed.self, ["messages"])
            #expect(listed.messages.map(\.receipt?.number) == [first.number])
        }
    }
}

/// Waits for a condition (checked every 50 ms), failing after 20 s.
private func waitUntil(_ what: @autoclosure () -> String, _ condition: @escaping @Sendable () -> Bool) async throws {
    // A bound for a loaded machine (a full parallel run), where a portal in the test process took over 20 s to
    // hear what the officer's CLI wrote.
    try await eventually(60, what()) { condition() }
}

/// A command that keeps running (`notifications --follow`), its output and errors appended to a file as it prints.
struct Follower: Sendable {
    let process: ChildProcess
    let log: URL

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    func stop() { process.terminate() }
}

extension Applicant {
    /// Starts `portti` with `arguments`, leaving it running.
    func follow(_ arguments: [String]) throws -> Follower {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTTI_") && !$0.key.hasPrefix("LC_") }
        env.merge(environment) { $1 }
        let log = home.appending(path: "follow-\(UUID().uuidString).log")
        let process = try ChildProcess(
            PortalProcess.binary.path, arguments, environment: env, captureOutput: false, captureErrors: false, log: log.path)
        return Follower(process: process, log: log)
    }
}

/// A portal that accepts the connection and never answers (its process stopped): every way of writing to the
/// authority puts the message in the outbox before anything goes on the network, so a CLI killed while it
/// waits loses nothing, and the outbox sent later records each message once.
@Suite struct FrozenPortalTests {
    @Test func aMessageToAPortalThatNeverAnswers_waitsInTheOutbox_andIsRecordedOnce() async throws {
        let home = FileManager.default.temporaryDirectory.appending(path: "portti-frozen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let portalData = home.appending(path: "portal")
        let portal = try await offThePool { try PortalProcess(dataFolder: portalData, arguments: ["--demo"]) }
        defer { portal.kill() }
        var setting = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PORTTI_") && !$0.key.hasPrefix("LC_") }
        setting.merge([
            "HOME": home.path, "XDG_DATA_HOME": home.path + "/data", "XDG_STATE_HOME": home.path + "/state",
            "XDG_CONFIG_HOME": home.path + "/config", "LANG": "C.UTF-8", "PORTTI_URL": portal.url.absoluteString,
        ]) { $1 }
        let binary = PortalProcess.binary.path
        let environment = setting
        @Sendable func run(_ arguments: [String], input: String = "") async throws -> (status: Int32, output: String, errors: String) {
            try await ChildProcess.run(binary, arguments, environment: environment, input: Array(input.utf8))
        }
        try #require(try await run(["sign-in", "--username", "demo"], input: "demo-portti\n").status == 0)
        // What the applicant has seen before: the applications, the topics and the conversations are kept here.
        #expect(try await run(["applications"]).status == 0)
        #expect(try await run(["requests", "MIG-2026-000001"]).status == 0)
        let listed = try await run(["messages", "--json"])
        let conversation = try JSONDecoder.iso8601.decode(ConversationCommandTests.Listed.self, from: Data(listed.output.utf8))
        let authorityMessage = try #require(conversation.messages.first { $0.direction == .fromAuthority && $0.isUnread })
        #expect(try await run(["message", "--topic", "nonsense", "--message-file", "/dev/null"]).status == 1)

        let records = try ApplicantStore(path: ApplicantStore.path(portal: portal.url, username: "demo", environment: environment))
        let pid = try #require(portal.processIdentifier)
        kill(pid, SIGSTOP)
        let ways: [[String]] = [
            ["message", "--about", "MIG-2026-000002"], ["message", "--topic", "other"],
            ["message", "--reply-to", authorityMessage.id], ["send", "MIG-2026-000002"], ["reply", "MIG-2026-000001/1"],
        ]
        for (index, way) in ways.enumerated() {
            let text = home.appending(path: "k\(index).txt")
            try Data("Written to a frozen portal, \(index).".utf8).write(to: text)
            let cli = try ChildProcess(binary, way + ["--message-file", text.path], environment: environment)
            let kept: Bool
            do {
                try await eventually(60, "\(way) in the outbox") { ((try? await records.outbox()) ?? []).count >= index + 1 }
                kept = true
            } catch { kept = false }
            kill(cli.pid, SIGKILL)
            _ = await cli.finish()
            #expect(kept, "\(way): nothing in the outbox while the portal does not answer")
        }
        // Left to run, a command ends when its request times out (not tried again): exit 3, the message waits.
        let last = home.appending(path: "last.txt")
        try Data("Waited out.".utf8).write(to: last)
        let waited = try await within(120, "the command to give up") {
            try await run(["message", "--about", "MIG-2026-000002", "--message-file", last.path])
        }
        #expect(waited.status == 3, "\(waited.errors)")
        #expect(waited.errors.contains("outbox"), "\(waited.errors)")
        kill(pid, SIGCONT)

        let delivered = try await run(["outbox"])
        #expect(delivered.status == 0, "\(delivered.errors)")
        #expect(delivered.output.contains("The outbox is empty"), "\(delivered.output)")
        let store = try SQLitePortalStore(path: portalData.appending(path: "portal.sqlite").path)
        let texts = try await store.incomingMessages().map(\.text)
        for index in ways.indices {
            #expect(texts.filter { $0 == "Written to a frozen portal, \(index)." }.count == 1, "\(ways[index]): \(texts)")
        }
        #expect(texts.filter { $0 == "Waited out." }.count == 1)
    }
}

extension ConversationCommandTests {
    /// A topic is shown by its title in the language chosen, everywhere a topic is shown, and once: never its
    /// code, never "Other matter: Other matter"; offline too, from the titles seen before.
    @Test func aTopic_isShownByItsTitle_inTheLanguageChosen_everywhere() async throws {
        try await withSignedInApplicant { portal, applicant in
            let card = try applicant.file("card.txt", Array("Where is my card?".utf8))
            let sent = try await applicant.run(["message", "--topic", "residence_card", "--message-file", card, "--lang", "fi"])
            #expect(sent.status == 0, "\(sent.err)")
            #expect(sent.out.contains("Asia: Oleskelulupakortti") && !sent.out.contains("residence_card"), "\(sent.out)")
            let other = try applicant.file("other.txt", Array("Something else.".utf8))
            #expect(try await applicant.run(["message", "--topic", "other", "--message-file", other]).status == 0)

            let messages = try await applicant.run(["messages"])
            #expect(messages.out.contains("Matter: Other matter") && !messages.out.contains("Other matter: Other matter"), "\(messages.out)")
            #expect(messages.out.contains("Matter: Residence permit card"), "\(messages.out)")
            let receipts = try await applicant.run(["receipts", "--lang", "fi"])
            #expect(receipts.status == 0, "\(receipts.err)")
            #expect(receipts.out.contains("viesti (asia: Oleskelulupakortti)"), "\(receipts.out)")
            #expect(receipts.out.components(separatedBy: "Oleskelulupakortti").count == 2, "shown once: \(receipts.out)")
            #expect(!receipts.out.contains("residence_card") && !receipts.out.contains(": other"), "\(receipts.out)")
            let notifications = try await applicant.run(["notifications", "--lang", "sv"])
            #expect(notifications.out.contains("Uppehållstillståndskort") && notifications.out.contains("Annat ärende"), "\(notifications.out)")
            #expect(!notifications.out.contains("residence_card") && !notifications.out.contains("\tother"), "\(notifications.out)")
            let queue = try await officer(applicant, portal, ["queue", "--lang", "fi"])
            #expect(queue.out.contains("asia: Oleskelulupakortti") && queue.out.contains("asia: Muu asia"), "\(queue.out)")
            #expect(!queue.out.contains("residence_card") && !queue.out.contains(": other"), "\(queue.out)")

            // Offline: the outbox names the topic by the title seen before.
            await portal.stop()
            let later = try applicant.file("later.txt", Array("Written offline.".utf8))
            #expect(try await applicant.run(["message", "--topic", "appointment", "--message-file", later]).status == 3)
            let outbox = try await applicant.run(["outbox", "--lang", "sv"])
            #expect(outbox.out.contains("meddelande (ärende: Tidsbokning till ett serviceställe)"), "\(outbox.out)")
        }
    }
}

extension ConversationCommandTests {
    /// The authority's messages keep the limits the applicant's keep (not empty, 20,000 characters, 4 MiB a
    /// file, 10 files), and a message is answered once unless a second answer is asked for.
    @Test func theOfficersMessages_keepTheApplicantsLimits_andAMessageIsAnsweredOnce() async throws {
        try await withSignedInApplicant { portal, applicant in
            let reference = try await applicant.fileApplication().referenceNumber
            for text in ["", "   \n"] {
                let empty = try await officer(applicant, portal, ["message", reference, "--text", text])
                #expect(empty.status == 1 && empty.err.contains("Write a message or attach a file"), "\(empty.err)")
            }
            let long = try await officer(applicant, portal, ["message", reference, "--text", String(repeating: "a", count: MessageRules.maxCharacters + 1)])
            #expect(long.status == 1 && long.err.contains("too long"), "\(long.err)")
            let large = try applicant.file("large.pdf", Samples.pdf + Array(repeating: 0x20, count: Int(AttachmentLimits().maxFileBytes)))
            let tooLarge = try await officer(applicant, portal, ["message", reference, "--text", "A letter.", "--attach", large])
            #expect(tooLarge.status == 1 && tooLarge.err.contains("too large"), "\(tooLarge.err)")
            let small = try applicant.file("small.pdf", Samples.pdf)
            let eleven = Array(repeating: ["--attach", small], count: AttachmentLimits().maxFilesPerMessage + 1).flatMap { $0 }
            let tooMany = try await officer(applicant, portal, ["message", reference, "--text", "Letters."] + eleven)
            #expect(tooMany.status == 1 && tooMany.err.contains("Too many attachments"), "\(tooMany.err)")
            #expect(try await applicant.json(Listed.self, ["messages"]).messages.isEmpty)

            let question = try applicant.file("q.txt", Array("When?\n\nThanks.\n".utf8))
            #expect(try await applicant.run(["message", "--about", reference, "--message-file", question]).status == 0)
            let mine = try #require(try await applicant.json(Listed.self, ["messages"]).messages.first)
            // A text that ends with a line break shows no indented blank line after it.
            let queue = try await officer(applicant, portal, ["queue"])
            #expect(queue.out.contains("  When?\n\n  Thanks.\n") && !queue.out.contains("\n  \n"), "\(queue.out.debugDescription)")
            let blank = try await officer(applicant, portal, ["reply", mine.id, "--text", " "])
            #expect(blank.status == 1 && blank.err.contains("Write a message or attach a file"), "\(blank.err)")
            let answered = try await officer(applicant, portal, ["reply", mine.id, "--text", "Soon.", "--json"])
            #expect(answered.status == 0, "\(answered.err)")
            let answer = try JSONDecoder.iso8601.decode(Message.self, from: Data(answered.out.utf8))
            #expect(answer.inReplyTo == mine.id && answer.text == "Soon.")
            let second = try await officer(applicant, portal, ["reply", mine.id, "--text", "Sooner."])
            #expect(second.status == 1 && second.err.contains("already been answered") && second.err.contains("--again"), "\(second.err)")
            #expect(try await applicant.json(Listed.self, ["messages"]).messages.map(\.text) == ["When?\n\nThanks.\n", "Soon."])
            #expect(try await officer(applicant, portal, ["reply", mine.id, "--text", "Sooner.", "--again"]).status == 0)
            #expect(try await applicant.json(Listed.self, ["messages"]).messages.map(\.text) == ["When?\n\nThanks.\n", "Soon.", "Sooner."])
        }
    }
}
