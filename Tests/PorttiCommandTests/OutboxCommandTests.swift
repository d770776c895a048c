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
            #expect(try JSONDecoder.iso8601.decode([OutboxItem].self, from: Data(waiting.out.utf8)).map(\.state) == [.pending])

            // Back up: the listing is the outbox after this run's delivery, not before it.
            var again = try await TestPortal.start(folder: portal.folder, clock: portal.clock, port: portal.port)
            let delivered = try await applicant.run(["outbox", "--json"])
            #expect(delivered.status == 0, "\(delivered.err)")
            #expect(delivered.err.contains("Sent from the outbox"))
            #expect(try JSONDecoder.iso8601.decode([OutboxItem].self, from: Data(delivered.out.utf8)) == [])
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
            let refused = try await applicant.run(["send", "application_none", "--message-file", late])
            #expect(refused.status == 1)
            let listed = try await applicant.run(["outbox", "--json"])
            #expect(listed.status == 1)
            let item = try #require(try JSONDecoder.iso8601.decode([OutboxItem].self, from: Data(listed.out.utf8)).first)
            #expect(listed.err.contains("portti outbox --discard"), "\(listed.err)")
            #expect(try await applicant.run(["outbox", "--discard", item.id]).status == 0)
            #expect(try await applicant.run(["outbox"]).status == 0)
            await again.stop()
        }
    }
}
