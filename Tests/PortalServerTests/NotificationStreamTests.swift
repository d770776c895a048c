import Foundation
import OpenAPIRuntime
import PortalAPI
import PortalTestSupport
import PorttiModel
import Testing

@Suite struct NotificationStreamTests {
    /// Reads server-sent events from an open stream, one at a time.
    final class EventReader {
        var iterator: ServerSentEventsDeserializationSequence<ServerSentEventsLineDeserializationSequence<HTTPBody>>.AsyncIterator
        init(_ body: HTTPBody) {
            iterator = body.asDecodedServerSentEvents().makeAsyncIterator()
        }

        /// The next event that is not a keep-alive.
        func next() async throws -> ServerSentEvent? {
            while let event = try await iterator.next() {
                if event.event != "keepalive" { return event }
            }
            return nil
        }
    }

    private func open(_ client: Client, lastEventID: String? = nil) async throws -> EventReader {
        let body = try await client.streamNotifications(headers: .init(lastEventID: lastEventID)).ok.body.textEventStream
        let reader = EventReader(body)
        let first = try await reader.next()
        #expect(first?.event == "open")
        return reader
    }

    /// Polled every 250 ms: it comes in a second on an idle machine; the bound leaves room for one busy with the
    /// rest of the suite and other builds (2.9 s and 6.8 s were seen), and is still far from the stream's 45 s idle timeout.
    @Test func newNotification_arrivesWithinSeconds_evenWhenWrittenByAnotherProcess() async throws {
        try await withPortal(adjust: { $0.notificationPollInterval = .milliseconds(250) }) { portal in
            let world = try await Case.make(portal)
            let reader = try await open(world.applicant.client)
            // The officer's CLI writes to the database directly; the server learns of it only by looking.
            let officer = try SQLitePortalStoreOpener.open(portal)
            let started = ContinuousClock.now
            let request = try await officer.issueRequest(
                applicationID: world.application.id, text: "One more thing.", items: [], deadline: portal.clock.now + 86_400,
                now: portal.clock.now)
            let event = try #require(try await reader.next())
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(event.event == "notification")
            let notification = try JSONDecoder.iso8601.decode(Components.Schemas.Notification.self, from: Data((event.data ?? "").utf8))
            #expect(notification.subjectId == request.id)
            #expect(event.id == String(notification.sequence))
        }
    }

    @Test func reconnect_withLastEventID_resumesWithoutGapsOrRepeats() async throws {
        try await withPortal { portal in
            let world = try await Case.make(portal)
            let client = world.applicant.client
            let firstReader = try await open(client)
            _ = try await client.sendAdditionalInformation(
                path: .init(applicationId: world.application.id), headers: .init(idempotencyKey: "one"),
                body: .json(.init(message: "one", attachmentIds: []))).created
            let first = try #require(try await firstReader.next())
            let lastID = try #require(first.id)

            // While disconnected: two more notifications.
            _ = try await client.sendAdditionalInformation(
                path: .init(applicationId: world.application.id), headers: .init(idempotencyKey: "two"),
                body: .json(.init(message: "two", attachmentIds: []))).created
            _ = try await portal.store.issueRequest(
                applicationID: world.application.id, text: "More", items: [], deadline: portal.clock.now + 86_400,
                now: portal.clock.now)

            let resumed = try await open(client, lastEventID: lastID)
            let second = try #require(try await resumed.next())
            let third = try #require(try await resumed.next())
            let ids = [first, second, third].compactMap { $0.id.flatMap(Int64.init) }
            #expect(ids.count == 3)
            #expect(ids == ids.sorted() && Set(ids).count == 3)
            let all = try await client.listNotifications().ok.body.json.notifications.map(\.sequence).sorted()
            #expect(Array(all.suffix(3)) == ids, "exactly the notifications created, in order")
        }
    }

    @Test func stream_carriesOnlyTheApplicantsOwn() async throws {
        try await withPortal { portal in
            let aino = try await Case.make(portal, username: "aino")
            let bo = try await Case.make(portal, username: "bo")
            let reader = try await open(bo.applicant.client, lastEventID: "0")
            // Bo's own request notification, then nothing of Aino's even after Aino gets one.
            let own = try #require(try await reader.next())
            #expect(own.data?.contains(bo.request.id) == true)
            _ = try await portal.store.issueRequest(
                applicationID: aino.application.id, text: "For Aino", items: [], deadline: portal.clock.now + 86_400,
                now: portal.clock.now)
            let boNext = try await portal.store.issueRequest(
                applicationID: bo.application.id, text: "For Bo", items: [], deadline: portal.clock.now + 86_400,
                now: portal.clock.now)
            let next = try #require(try await reader.next())
            #expect(next.data?.contains(boNext.id) == true)
        }
    }

    @Test func badLastEventID_isMalformed() async throws {
        try await withPortal { portal in
            let aino = try await portal.signedInApplicant("aino")
            let answer = try await portal.raw(.get, "/notifications/stream", token: aino.token,
                                              headers: ["Last-Event-ID": "yesterday"])
            #expect(answer.status == 400)
        }
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
