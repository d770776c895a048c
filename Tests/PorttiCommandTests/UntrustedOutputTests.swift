import ApplicantStore
import Logging
@testable import portti
import Foundation
import PortalClient
import PortalStore
import PortalTestSupport
import PorttiModel
import Testing

/// Text as a hostile applicant, portal or record could carry it: `word`, then a clear-screen (ESC [2J), a window
/// title (OSC 0;owned BEL), "!", a bell, a carriage return and a C1 control sequence (CSI 31m), then "end".
/// On a terminal it shows as "`word`! end" (or "`word`!" and "end" on two lines where lines are kept).
func hostile(_ word: String) -> String { "\(word)\u{1B}[2J\u{1B}]0;owned\u{07}!\u{07}\r\u{9B}31mend" }

/// The characters of `output` a terminal would act on: every C0 control but line feed and tab, DEL, every C1.
func terminalControls(in output: String) -> [String] {
    output.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value) }
        .map { String(format: "U+%04X", $0.value) }
}

@Suite struct UntrustedOutputTests {
    @Test func officerMessages_andPortalText_reachTheTerminalWithoutTheirControls() async throws {
        try await withPortal { portal in
            let applicant = try Applicant(portal)
            defer { applicant.remove() }
            let signedIn = try await applicant.signIn(displayName: hostile("Aino"))
            #expect(terminalControls(in: signedIn.out + signedIn.err) == [])
            #expect(signedIn.out.contains("Aino! end"), "\(signedIn.out)")
            let application = try await applicant.fileApplication()
            let aino = try #require(try await portal.store.applicant(username: "aino"))

            // What the applicant writes reaches the officer's terminal.
            let message = try applicant.file("message.txt", Array((hostile("Dear officer") + "\nThe contract.").utf8))
            let sent = try await applicant.run(["send", application.id, "--message-file", message])
            #expect(sent.status == 0, "\(sent.err)")
            // A file name as the database may hold it (the portal cleans names it receives; older rows, or
            // another writer, may not have been).
            let file = try await portal.store.recordAttachment(NewAttachment(
                applicantID: aino.id, idempotencyKey: "file", fileName: hostile("contract") + ".pdf", size: 10,
                sha256: String(repeating: "a", count: 64), type: .pdf, now: portal.clock.now))
            _ = try await portal.store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "with-file", target: .application(application.id), text: "See the file.",
                attachmentIDs: [file.id], now: portal.clock.now))

            let listed = try await applicant.run(["officer", "messages", "--data", portal.folder.path])
            #expect(listed.status == 0, "\(listed.err)")
            #expect(terminalControls(in: listed.out + listed.err) == [], "\(listed.out.debugDescription)")
            #expect(listed.out.contains("  Dear officer!\n  end\n  The contract.\n"), "\(listed.out)")
            #expect(listed.out.contains("\tAino! end\n"), "the applicant's name: \(listed.out)")
            #expect(listed.out.contains("📎 contract! end.pdf"), "\(listed.out)")
            #expect(!listed.out.contains("owned") && !listed.out.contains("31m"))
            // JSON keeps the text whole, every control written as an escape.
            let json = try await applicant.run(["officer", "messages", "--data", portal.folder.path, "--json"])
            #expect(terminalControls(in: json.out) == [], "\(json.out.debugDescription)")
            let messages = try JSONDecoder.iso8601.decode([IncomingMessage].self, from: Data(json.out.utf8))
            #expect(messages.first?.text == hostile("Dear officer") + "\nThe contract.")
            #expect(messages.first?.applicantName == hostile("Aino"))

            // What the officer writes reaches the applicant's terminal.
            _ = try await portal.store.issueRequest(
                applicationID: application.id, text: hostile("Send your contract."), items: [hostile("Contract")],
                deadline: portal.clock.now + 10 * 86_400, now: portal.clock.now)
            let requests = try await applicant.run(["requests", application.id, "--full"])
            #expect(terminalControls(in: requests.out + requests.err) == [])
            #expect(requests.out.contains("    Send your contract.!\n    end\n    • Contract! end"), "\(requests.out)")
            let decision = try await portal.store.recordDecision(
                applicationID: application.id, text: hostile("Granted."), documentSHA256: nil, now: portal.clock.now)
            let read = try await applicant.run(["decision", decision.id])
            #expect(terminalControls(in: read.out + read.err) == [])
            #expect(read.out.contains("Granted.!\nend"), "\(read.out)")
            for arguments in [["application", application.id], ["notifications"], ["receipts"]] {
                let shown = try await applicant.run(arguments)
                #expect(shown.status == 0, "\(arguments): \(shown.err)")
                #expect(terminalControls(in: shown.out + shown.err) == [], "\(arguments)")
            }
        }
    }

    @Test func keptRecords_ofEveryKind_reachTheTerminalWithoutTheirControls() async throws {
        try await withSignedInApplicant { portal, applicant in
            await portal.stop()
            // What the portal answered earlier and the records of sends, as the disk holds them: every id, number and
            // name is hostile. With the portal down, each command shows them from there.
            do {
                let store = try ApplicantStore(path: applicant.recordsFolder.appending(path: "applicant.sqlite").path)
                let now = Date()
                let application = Application(
                    // The id is the one typed; only --json prints ids, and everything else is hostile.
                    id: "A1", type: .citizenship, referenceNumber: hostile("MIG"), status: .waitingForInformation,
                    submittedAt: now, updatedAt: now)
                try store.cache([application], as: "applications")
                try store.cache(ApplicationOverview(
                    application: application, timeline: [TimelineEvent(at: now, kind: .submitted, status: .received)],
                    decisionID: "D1"), as: "application:A1")
                try store.cache([SupplementRequest(
                    id: hostile("R1"), applicationID: "A1", text: hostile("Send"), items: [hostile("Passport")],
                    deadline: now + 10 * 86_400, sentAt: now, answeredAt: nil)], as: "requests:A1")
                struct NotificationList: Codable { var notifications: [PortalNotification]; var unread: Int }
                try store.cache(NotificationList(notifications: [PortalNotification(
                    id: hostile("N1"), sequence: 1, kind: .decisionReady, applicationID: "A1",
                    applicationReference: hostile("MIG"), subjectID: hostile("D1"), createdAt: now, readAt: nil)], unread: 1),
                    as: "notifications")
                try store.cache(ServedDecision(
                    decision: Decision(id: "D1", applicationID: "A1", text: hostile("Granted"), madeAt: now, servedAt: now,
                                       hasDocument: false),
                    appealDeadline: now + 30 * 86_400), as: "decision:D1")
                let sentBefore = OutboxItem(draft: Draft(target: .application(hostile("A1")), text: "Sent"))
                try await store.put(sentBefore)
                try await store.delivered(sentBefore, receipt: Receipt(
                    number: hostile("2026"), receivedAt: now, applicationID: "A1", applicationReference: hostile("MIG"),
                    requestID: nil, files: [.init(name: hostile("contract"), size: 10, sha256: hostile("ab"))]))
                try await store.put(OutboxItem(draft: Draft(target: .request(hostile("R1")), text: "Waiting")))
                try store.save(Draft(target: .request("R2"), text: hostile("Draft")))
                try store.cache([
                    Message(id: hostile("M1"), direction: .fromAuthority, applicationID: "A1",
                            applicationReference: hostile("MIG"), topic: nil, text: hostile("Answer"),
                            attachments: [.init(id: "F1", name: hostile("letter"), size: 10, sha256: "ab", type: .pdf)],
                            sentAt: now, inReplyTo: hostile("M0")),
                    Message(id: "M2", direction: .fromApplicant, applicationID: nil, applicationReference: nil,
                            topic: hostile("topic"), text: hostile("Question"), attachments: [], sentAt: now, inReplyTo: nil,
                            receipt: Receipt(number: hostile("2026"), receivedAt: now, applicationID: nil,
                                             applicationReference: nil, requestID: nil, files: []),
                            answeredBy: hostile("M1")),
                ], as: "messages")
            }
            let commands = [
                ["applications"], ["application", "A1"], ["requests", "A1", "--full"], ["notifications"], ["decision", "A1"],
                ["receipts"], ["outbox"], ["drafts"], ["drafts", "--show", "R2"], ["messages"],
            ]
            // At once: each tries the portal a few times, with backoff, before it shows what is kept.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for arguments in commands {
                    group.addTask {
                        let shown = try await applicant.run(arguments)
                        #expect(terminalControls(in: shown.out + shown.err) == [], "\(arguments): \(shown.out.debugDescription)")
                        #expect(shown.out.contains("! end") || shown.out.contains("!\nend"), "\(arguments): \(shown.out)")
                        #expect(!shown.out.contains("owned"), "\(arguments)")
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}

/// The portal's log reaches the operator's terminal (`portti serve`) and the embedded portal's log file: what it
/// carries from requests is sanitized there too.
@Suite struct SanitizedLogTests {
    final class Lines: @unchecked Sendable {
        var lines: [String] = []
    }

    struct Recording: LogHandler {
        let lines: Lines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.lines.append("\(event.message) \(event.metadata ?? [:])")
        }
    }

    @Test func aLogLine_withControlsFromARequest_reachesTheHandlerClean() {
        let lines = Lines()
        let logger = Logger(label: "t") { _ in SanitizedLogHandler(wrapped: Recording(lines: lines)) }
        logger.error("decision \(hostile("d1")): document missing", metadata: ["path": "\(hostile("/x"))"])
        #expect(lines.lines.count == 1)
        let line = lines.lines.first ?? ""
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "\(line.debugDescription)")
        #expect(line.contains("d1! end: document missing"))
    }
}
