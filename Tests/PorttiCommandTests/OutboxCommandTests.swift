import Foundation
import PortalTestSupport
import PorttiModel
import Testing

@Suite struct OutboxCommandTests {
    @Test func outbox_showsWhatIsLeftAfterItsDelivery_andExitsByWhatStillWaits() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            await portal.stop()

            let message = try applicant.file("m.txt", Array("Written while offline.".utf8))
            let kept = try await applicant.run(["send", application.id, "--message-file", message])
            #expect(kept.status == 3)
            #expect(kept.err.contains("portti outbox --send"))
            // The portal is still down: the message waits, and the exit code says why.
            let waiting = try await applicant.run(["outbox", "--json"])
            #expect(waiting.status == 3, "\(waiting.err)")
            #expect(waiting.err.contains("cannot be reached"))
            #expect(try JSONDecoder.iso8601.decode([ListedOutboxItem].self, from: Data(waiting.out.utf8)).map(\.state) == ["pending"])

            // Back up: the listing is the outbox after this run's delivery, not before it.
            var again = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)
            let delivered = try await applicant.run(["outbox", "--json"])
            #expect(delivered.status == 0, "\(delivered.err)")
            #expect(delivered.err.contains("Sent from the outbox"))
            #expect(try JSONDecoder.iso8601.decode([ListedOutboxItem].self, from: Data(delivered.out.utf8)).isEmpty)
            #expect(try await again.store.incomingMessages().map(\.text) == ["Written while offline."])

            // The same in text, and with --send, the command the hint names.
            for arguments in [["outbox"], ["outbox", "--send"]] {
                await again.stop()
                let other = try applicant.file("o.txt", Array("Also offline: \(arguments.count).".utf8))
                #expect(try await applicant.run(["send", application.id, "--message-file", other]).status == 3)
                again = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)
                let sent = try await applicant.run(arguments)
                #expect(sent.status == 0, "\(arguments): \(sent.err)")
                #expect(sent.err.contains("Sent from the outbox"))
                #expect(sent.out.contains("The outbox is empty"), "\(arguments): \(sent.out)")
            }
            #expect(try await again.store.incomingMessages().count == 3)

            // The session ends while a message waits: it stays, and the exit code asks for a sign-in.
            await again.stop()
            let late = try applicant.file("late.txt", Array("Late.".utf8))
            #expect(try await applicant.run(["send", application.id, "--message-file", late]).status == 3)
            again = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)
            portal.clock.advance(by: 31 * 60)
            let expired = try await applicant.run(["outbox", "--send"])
            #expect(expired.status == 4, "\(expired.err)")
            #expect(expired.out.contains("waiting to be sent"))
            let renewed = try await applicant.run(["sign-in", "--username", "aino"], input: TestPortal.password + "\n")
            #expect(renewed.status == 0, "\(renewed.err)")
            #expect(try await applicant.run(["outbox"]).status == 0)

            // A message the portal refused for good stays listed, with exit 1, until it is discarded.
            let request = try await portal.store.issueRequest(
                applicationID: application.id, text: "Your passport.", items: ["Passport"],
                deadline: portal.clock.now + 86_400, now: portal.clock.now)
            #expect(try await applicant.run(["reply", request.id, "--message-file", late]).status == 0)
            // Sent again on purpose (--again): the portal refuses a second answer.
            let refused = try await applicant.run(["reply", request.id, "--message-file", late, "--again"])
            #expect(refused.status == 1)
            let listed = try await applicant.run(["outbox", "--json"])
            #expect(listed.status == 1)
            let item = try #require(try JSONDecoder.iso8601.decode([ListedOutboxItem].self, from: Data(listed.out.utf8)).first)
            #expect(listed.err.contains("portti outbox --discard"), "\(listed.err)")
            #expect(try await applicant.run(["outbox", "--discard", item.id]).status == 0)
            #expect(try await applicant.run(["outbox"]).status == 0)
            await again.stop()
        }
    }
}

@Suite struct RefusedOutboxTests {
    /// A message refused for good is listed with its reason and number, marked in `drafts`, and can be sent
    /// again changed (a new message with a key of its own) or removed with its draft: it never stays for ever.
    @Test func aRefusedMessage_isListed_editedAsANewMessage_orDiscarded() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let reference = application.referenceNumber
            #expect(try await applicant.run(["applications"]).status == 0)  // the reference is known offline
            await portal.stop()
            let message = try applicant.file("m.txt", Array("The contract, signed.".utf8))
            let contract = try applicant.file("contract.pdf", Samples.pdf)
            #expect(try await applicant.run(["send", reference, "--message-file", message, "--attach", contract]).status == 3)
            // The file changes while the message waits: what was attached is not what would go, so it is refused.
            try Data(Samples.pdf + Array("% signed\n".utf8)).write(to: URL(filePath: contract))
            let again = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)

            let listed = try await applicant.run(["outbox"])
            #expect(listed.status == 1)
            #expect(listed.out.contains("Not sent, refused:"), "\(listed.out)")
            #expect(listed.out.contains("additional information for application \(reference)"), "\(listed.out)")
            #expect(listed.err.contains("portti outbox --edit N"), "\(listed.err)")
            let json = try await applicant.run(["outbox", "--json"])
            let item = try #require(try JSONDecoder.iso8601.decode([ListedOutboxItem].self, from: Data(json.out.utf8)).first)
            #expect(item.state == "refused")
            #expect(item.reasonKey == "client.error.file_changed", "\(json.out)")
            #expect(item.reason?.contains(contract) == true, "\(json.out)")
            #expect(item.target == .init(kind: "application", id: application.id, name: reference))
            #expect(item.files.map(\.path) == [contract])
            let drafts = try await applicant.run(["drafts"])
            #expect(drafts.out.contains("refused: see portti outbox (message \(item.number))"), "\(drafts.out)")

            // Sent again as it is now, with the new text: a new message, received once; the refused one is gone.
            let edited = try applicant.file("m2.txt", Array("The contract, signed by both.".utf8))
            let resent = try await applicant.run(["outbox", "--edit", String(item.number), "--message-file", edited])
            #expect(resent.status == 0, "\(resent.err)")
            #expect(resent.out.contains("Confirmation of receipt"), "\(resent.out)")
            #expect(try await again.store.incomingMessages().map(\.text) == ["The contract, signed by both."])
            #expect(try await applicant.run(["outbox"]).out.contains("The outbox is empty"))
            #expect(try await applicant.run(["drafts"]).out.contains("No unsent drafts"))
            // A message still waiting is not changed under its key.
            await again.stop()
            #expect(try await applicant.run(["send", reference, "--message-file", message]).status == 3)
            let pending = try #require(try JSONDecoder.iso8601.decode(
                [ListedOutboxItem].self, from: Data(try await applicant.run(["outbox", "--json"]).out.utf8)).first)
            let notRefused = try await applicant.run(["outbox", "--edit", String(pending.number), "--message-file", edited])
            #expect(notRefused.status == 1)
            #expect(notRefused.err.contains("was not refused"), "\(notRefused.err)")
            let third = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)
            #expect(try await applicant.run(["outbox"]).status == 0)

            // Refused again (the request was answered meanwhile): discarding removes it and its draft.
            let request = try await third.store.issueRequest(
                applicationID: application.id, text: "Passport.", items: ["Passport"],
                deadline: third.clock.now + 86_400, now: third.clock.now)
            #expect(try await applicant.run(["reply", "\(reference)/1", "--message-file", message]).status == 0)
            _ = request
            let late = try applicant.file("late.txt", Array("Once more.".utf8))
            #expect(try await applicant.run(["reply", "\(reference)/1", "--message-file", late]).status == 1)
            let refused = try #require(try JSONDecoder.iso8601.decode(
                [ListedOutboxItem].self, from: Data(try await applicant.run(["outbox", "--json"]).out.utf8)).first)
            #expect(refused.target.name == "\(reference)/1")
            #expect(refused.number > item.number, "numbers are never given twice")
            #expect(try await applicant.run(["drafts"]).out.contains("Once more."))
            let discarded = try await applicant.run(["outbox", "--discard", String(refused.number)])
            #expect(discarded.status == 0, "\(discarded.err)")
            #expect(try await applicant.run(["outbox"]).status == 0)
            #expect(try await applicant.run(["drafts"]).out.contains("No unsent drafts"))
            await third.stop()
        }
    }
}

/// An item of `portti outbox --json`, in its documented shape.
struct ListedOutboxItem: Decodable, Equatable {
    struct Target: Decodable, Equatable {
        var kind: String
        var id: String
        var name: String?
    }
    struct File: Decodable, Equatable {
        var name: String
        var path: String
        var size: Int64
        var sha256: String
    }
    var number: Int
    var id: String
    var state: String
    var reason: String?
    var reasonKey: String?
    var target: Target
    var createdAt: Date
    var text: String
    var files: [File]
}
