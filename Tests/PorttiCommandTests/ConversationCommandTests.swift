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
            #expect(queue.out.contains(reference) && queue.out.contains("residence_card"))
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
            #expect(try Data(contentsOf: folder.appending(path: "letter.pdf")) == Data("mine".utf8))
            let none = try await applicant.run(["messages", "--save", message.id, "--attachment", "other.pdf", "--to", folder.path])
            #expect(none.status == 1, "\(none.err)")
            // Saving is not opening: the message is still unread until --read.
            #expect(try await applicant.json(Listed.self, ["messages"]).unread == 1)
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
    try await within(60, what()) {
        while !condition() { try await Task.sleep(for: .milliseconds(50)) }
    }
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
