import Foundation
import PortalServer
import PortalStore
import PortalTestSupport
import PorttiModel
import Testing

@testable import PortalClient

/// Conversations through the real portal and the real client: both directions, the states, saving files.
@Suite struct ConversationTests {
    /// The authority's reading arrives on the open stream (what an open conversation and `--follow` listen to),
    /// already read: the unread count stays.
    @Test func readByTheAuthority_arrivesOnTheStream_alreadyRead() async throws {
        try await withPortal { portal in
            let world = try await ClientCase.make(portal)
            defer { Task { await world.client.shutdown() } }
            let client = world.client
            let mine = try #require(try await client.send(
                to: .application(world.application.id), text: "Read it?", attachmentIDs: [], idempotencyKey: "ask").messageID)
            let (known, unread) = try await client.notifications()
            let after = known.map(\.sequence).max()
            // Bounded: a client that cannot read the kind passes the event over and would wait for ever.
            let arrived = try await within(20, "the reading on the stream") { () async throws -> PortalNotification? in
                var events = client.notificationEvents(after: after).makeAsyncIterator()
                guard case .connected = await events.next() else { return nil }
                _ = try await portal.store.markReadByAuthority(messageID: mine, now: portal.clock.now)
                while let event = await events.next() {
                    if case .notification(let notification) = event { return notification }
                }
                return nil
            }
            #expect(arrived?.kind == .messageRead && arrived?.subjectID == mine, "\(String(describing: arrived))")
            #expect(arrived?.readAt != nil && arrived?.applicationReference == world.application.referenceNumber)
            #expect(try await client.notifications().unread == unread)
        }
    }

    @Test func applicantsMessage_movesReceivedReadAnswered_andTheAnswerIsNotifiedReadAndSaved() async throws {
        try await withPortal { portal in
            let world = try await ClientCase.make(portal)
            defer { Task { await world.client.shutdown() } }
            let client = world.client
            let receipt = try await client.send(
                to: .application(world.application.id), text: "When will you decide?", attachmentIDs: [], idempotencyKey: "ask")
            let mine = try #require(receipt.messageID)
            #expect(try await client.send(
                to: .application(world.application.id), text: "When will you decide?", attachmentIDs: [], idempotencyKey: "ask")
                == receipt)
            #expect(try await client.message(id: mine).state == .received)

            _ = try await portal.store.markReadByAuthority(messageID: mine, now: portal.clock.now)
            // The date as the contract's date-time carries it (to the second at least).
            guard case .readByAuthority(let readAt)? = try await client.message(id: mine).state else {
                Issue.record("not read by the authority")
                return
            }
            #expect(abs(readAt.timeIntervalSince(portal.clock.now)) < 1)

            let scratch = try Scratch()
            defer { scratch.remove() }
            let vault = try DocumentVault(folder: portal.configuration.documentsFolder)
            let document = try await vault.keep(fileAt: URL(fileURLWithPath: try scratch.file("sent.pdf", Samples.pdf)))
            let answer = try await portal.store.sendAuthorityMessage(NewAuthorityMessage(
                target: .reply(mine), text: "Within a month.",
                files: [.init(name: "timetable.pdf", size: document.size, sha256: document.sha256, type: .pdf)],
                now: portal.clock.now))
            let conversation = try await client.messages(applicationID: world.application.id)
            #expect(conversation.map(\.id) == [mine, answer.id])
            #expect(conversation.first?.state == .answered(answer.id))
            #expect(conversation.last?.isUnread == true && conversation.last?.attachments.map(\.name) == ["timetable.pdf"])

            let (notifications, unread) = try await client.notifications()
            #expect(notifications.first?.kind == .message && notifications.first?.subjectID == answer.id)
            #expect(unread == notifications.count { $0.readAt == nil })
            let read = try await client.markMessageRead(id: answer.id)
            #expect(read.readAt != nil)
            #expect(try await client.notifications().unread == unread - 1)

            // Saved under the name chosen, never over a file already there.
            let target = scratch.folder.appending(path: "timetable.pdf").path
            let file = try #require(read.attachments.first)
            #expect(try await client.saveMessageAttachment(messageID: answer.id, attachmentID: file.id, to: target) == file.size)
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: target))) == Samples.pdf)
            await #expect(throws: ClientError.self) {
                _ = try await client.saveMessageAttachment(messageID: answer.id, attachmentID: file.id, to: target)
            }

            // A reply from the message itself, sent once by its key.
            let reply = try await client.send(to: .reply(answer.id), text: "Thank you.", attachmentIDs: [], idempotencyKey: "re")
            #expect(reply.inReplyTo == answer.id && reply.applicationID == world.application.id)
            #expect(try await client.send(to: .reply(answer.id), text: "Thank you.", attachmentIDs: [], idempotencyKey: "re") == reply)
            #expect(try await client.messages(applicationID: world.application.id).count == 3)
            // One's own message exists (it is listed), so it is not "not found": it takes no reply. An unknown id is.
            await #expect(throws: ClientError.refused(.messageNotReplyable, limit: nil)) {
                _ = try await client.send(to: .reply(mine), text: "To myself", attachmentIDs: [], idempotencyKey: "self")
            }
            await #expect(throws: ClientError.notFound) {
                _ = try await client.send(to: .reply("message_nobody"), text: "To nobody", attachmentIDs: [], idempotencyKey: "nobody")
            }
        }
    }

    @Test func messageOnAnotherMatter_takesATopicFromThePortalsList() async throws {
        try await withPortal { portal in
            let world = try await ClientCase.make(portal)
            defer { Task { await world.client.shutdown() } }
            let topics = try await world.client.messageTopics()
            #expect(topics.last?.code == MessageTopic.otherCode && topics.count == MessageTopics.standard.count)
            let receipt = try await world.client.send(
                to: .topic("address_change"), text: "I moved.", attachmentIDs: [], idempotencyKey: "moved")
            #expect(receipt.topic == "address_change" && receipt.applicationID == nil && receipt.applicationReference == nil)
            let all = try await world.client.messages()
            #expect(all.map(\.topic) == ["address_change"])
            await #expect(throws: ClientError.self) {
                _ = try await world.client.send(to: .topic("no_such_topic"), text: "?", attachmentIDs: [], idempotencyKey: "bad")
            }
            #expect(try await portal.store.incomingMessages().count == 1)
        }
    }
}
