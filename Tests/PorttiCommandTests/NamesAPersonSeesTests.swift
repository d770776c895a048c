import ApplicantStore
import Foundation
import PortalStore
import PortalTestSupport
import PorttiModel
import Testing

/// The applicant's commands take the names a person sees (the reference number, `MIG-…/1` for a request, the
/// number of a notification or an outbox message) and print no internal id but in `--json`.
@Suite struct NamesAPersonSeesTests {
    /// Anything that looks like one of the portal's ids or a UUID.
    static func internalIDs(in text: String) -> [String] {
        let pattern = /(application|request|decision|notification|attachment|applicant|pending)_[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}/
        return text.matches(of: pattern).map { String(text[$0.range]) }
    }

    @Test func everyCommand_takesTheReferenceNumber_andPrintsNoInternalID() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication(.residencePermitWork)
            let reference = application.referenceNumber
            let first = try await portal.store.issueRequest(
                applicationID: application.id, text: "First: your contract.", items: ["Contract"],
                deadline: portal.clock.now + 10 * 86_400, now: portal.clock.now)
            portal.clock.advance(by: 60)
            let second = try await portal.store.issueRequest(
                applicationID: application.id, text: "Second: your passport.", items: ["Passport"],
                deadline: portal.clock.now + 10 * 86_400, now: portal.clock.now)
            var printed = ""
            func run(_ arguments: [String], input: String? = nil) async throws -> (status: Int32, out: String, err: String) {
                let result = try await applicant.run(arguments, input: input)
                printed += result.out + result.err
                return result
            }

            let listed = try await run(["applications"])
            #expect(listed.out.contains(reference), "\(listed.out)")
            let shown = try await run(["application", reference.lowercased()])
            #expect(shown.status == 0, "\(shown.err)")
            #expect(shown.out.contains("\(reference)/1") && shown.out.contains("\(reference)/2"), "\(shown.out)")
            let requests = try await run(["requests", reference, "--full"])
            #expect(requests.status == 0, "\(requests.err)")
            #expect(requests.out.contains("\(reference)/2"), "\(requests.out)")

            // The second request, by its name: the portal has the answer to that one.
            let message = try applicant.file("answer.txt", Array("My passport.".utf8))
            let pdf = try applicant.file("passport.pdf", Samples.pdf)
            let reply = try await run(["reply", "\(reference)/2", "--message-file", message, "--attach", pdf])
            #expect(reply.status == 0, "\(reply.err)")
            #expect(try await portal.store.request(id: second.id, applicantID: nil)?.answeredAt != nil)
            #expect(try await portal.store.request(id: first.id, applicantID: nil)?.answeredAt == nil)
            let sent = try await run(["send", reference, "--message-file", "-"], input: "New address.")
            #expect(sent.status == 0, "\(sent.err)")
            let receipts = try await run(["receipts"])
            #expect(receipts.out.contains("response to request \(reference)/2"), "\(receipts.out)")
            #expect(receipts.out.contains("additional information for application \(reference)"), "\(receipts.out)")

            // A name that is none of the account's is refused here, naming it, and nothing waits in the outbox.
            let unknown = try await run(["send", "MIG-1999-000042", "--message-file", message])
            #expect(unknown.status == 1)
            #expect(unknown.err.contains("MIG-1999-000042 is not one of your applications"), "\(unknown.err)")
            let noSuchRequest = try await run(["reply", "\(reference)/9", "--message-file", message])
            #expect(noSuchRequest.status == 1)
            #expect(noSuchRequest.err.contains("\(reference)/9 is not one of your requests"), "\(noSuchRequest.err)")
            #expect(try await run(["outbox"]).status == 0)

            // The decision by its application's reference; before there is one, said so.
            let early = try await run(["decision", reference])
            #expect(early.status == 1)
            #expect(early.err.contains("Application \(reference) has no decision yet."), "\(early.err)")
            _ = try await portal.store.recordDecision(
                applicationID: application.id, text: "Granted.", documentSHA256: nil, now: portal.clock.now)
            let decision = try await run(["decision", reference])
            #expect(decision.status == 0, "\(decision.err)")
            #expect(decision.out.contains("Granted."))
            #expect(try await run(["application", reference]).out.contains("portti decision \(reference)"))

            // Notifications by their number; the request's notice names the request as typed.
            let notifications = try await run(["notifications"])
            #expect(notifications.out.contains("\(reference)/1"), "\(notifications.out)")
            struct List: Decodable { var notifications: [PortalNotification]; var unread: Int }
            let list = try await applicant.json(List.self, ["notifications"])
            let notice = try #require(list.notifications.first)
            #expect(try await run(["notifications", "--read", String(notice.sequence)]).status == 0)
            #expect(try await applicant.json(List.self, ["notifications"]).unread == list.unread - 1)

            // A draft, named as the request it answers.
            let store = try ApplicantStore(path: applicant.recordsFolder.appending(path: "applicant.sqlite").path)
            try store.save(Draft(target: .request(first.id), text: "Half written."))
            let drafts = try await run(["drafts"])
            #expect(drafts.out.contains("\(reference)/1"), "\(drafts.out)")
            #expect(try await run(["drafts", "--show", "\(reference)/1"]).out.contains("Half written."))

            #expect(Self.internalIDs(in: printed).isEmpty, "internal ids in text output: \(Self.internalIDs(in: printed))\n\(printed)")
            // They are all in --json, and still taken.
            #expect(try await applicant.run(["applications", "--json"]).out.contains(application.id))
            #expect(try await applicant.run(["application", application.id]).status == 0)
        }
    }
}
