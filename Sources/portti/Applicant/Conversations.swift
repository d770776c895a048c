import ApplicantStore
import ArgumentParser
import Foundation
import PortalClient
import PorttiModel

extension Portti {
    /// The conversations with the authority: every message both ways, the state of the applicant's own, and
    /// the authority's opened (`--read`) and their files saved (`--save`).
    struct Messages: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "messages",
            abstract: "Your conversations with the authority, oldest first; --read opens one, --save keeps its files.",
            discussion: """
                Your own messages show their state: received (the receipt), read by the authority (the date), \
                answered (the answer's id). The authority's messages not yet opened are marked *; --read ID opens \
                one and marks it read. A message is named by its id (message_…) or, for your own, its receipt \
                number. --save ID keeps the message's files in the folder --to names (default: here), under their \
                own names, never overwriting. --json prints {messages [...], unread}; with --read the message; with \
                --save {saved [{name, path, size}]}.
                """)

        @OptionGroup var options: ApplicantOptions
        @Argument(help: "Only this application's conversation: its reference number, MIG-2026-000001.")
        var application: String?
        @Option(help: "Open this message (its id, or your own's receipt number) and mark it read.") var read: String?
        @Option(help: "Save the files of this message (its id, or your own's receipt number).") var save: String?
        @Option(help: "With --save: only the file with this name.") var attachment: String?
        @Option(help: "With --save: the folder to save into. Default: the current folder.") var to: String?

        func validate() throws {
            if save == nil && (attachment != nil || to != nil) { throw ValidationError("--attachment and --to go with --save ID.") }
            if read != nil && save != nil { throw ValidationError("--read and --save are one at a time.") }
        }

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                var applicationID: String?
                if let application { applicationID = try await context.applicationID(store, named: application) }
                if let read { return try await open(read, context, store) }
                if let save { return try await saveFiles(of: save, context, store) }
                let conversation = try await context.conversation(store, applicationID: applicationID)
                let messages = conversation.value
                let unread = messages.count(where: \.isUnread)
                if options.json {
                    return try sayJSON(MessageList(messages: messages, unread: unread, offlineSince: conversation.offlineSince))
                }
                if messages.isEmpty { return say("\(context.strings("cli.messages_none"))") }
                if unread > 0 { say("\(context.strings("cli.messages_unread", count: unread))") }
                let topics = await context.knownTopics(store)
                let names = MessageNames(messages)
                for message in messages { context.show(message, topics: topics, names: names) }
            }
        }

        private func open(_ name: String, _ context: ApplicantContext, _ store: ApplicantStore) async throws {
            let id = try await context.messageID(store, named: name)
            let opened = try await context.keptOrFresh(store, message: id)
            var message = opened.value
            if let offlineSince = opened.offlineSince {
                note("\(context.strings("cli.offline", ["time": context.formats.dateTime(offlineSince)]))")
                // Marking read needs the portal: nothing is marked, and the message stays unopened there.
                if message.isUnread { note("\(context.strings("cli.message_not_marked_offline"))") }
            } else if message.isUnread {
                message = try await context.client.markMessageRead(id: id)
                // Kept as opened: read offline later, it does not show unopened again.
                try? await store.keep(message, as: "message:\(id)")
            }
            if options.json { return try sayJSON(OfflineMarked(value: message, offlineSince: opened.offlineSince)) }
            context.show(message, topics: await context.knownTopics(store), names: MessageNames([message]))
        }

        private func saveFiles(of name: String, _ context: ApplicantContext, _ store: ApplicantStore) async throws {
            let id = try await context.messageID(store, named: name)
            let message = try await context.client.message(id: id)
            let files = message.attachments.filter { attachment == nil || $0.name == attachment }
            guard !files.isEmpty else {
                throw Failure(context.strings("cli.message_no_files", [
                    "id": id, "name": UntrustedText.sanitized(attachment ?? ""),
                ]), ExitStatus.refused)
            }
            let folder = to ?? "."
            var saved: [SavedFile] = []
            var refused = false
            for file in files {
                // The portal's name, made safe again here: a name is never a path out of the folder chosen.
                let path = URL(fileURLWithPath: folder).appending(path: FileName.sanitized(file.name)).path
                do {
                    let size = try await context.client.saveMessageAttachment(messageID: id, attachmentID: file.id, to: path)
                    saved.append(SavedFile(name: file.name, path: path, size: size))
                    if !options.json {
                        say("\(context.strings("cli.message_file_saved", ["path": path, "size": context.formats.size(size, strings: context.strings)]))")
                    }
                } catch {
                    // One file that cannot be written here (its name taken) does not keep the others from being saved.
                    switch error {
                    case .fileExists, .folderGiven:
                        // The name is the portal's: the way out here is another folder.
                        note("\(context.strings("cli.message_file_taken", ["path": path]))")
                        refused = true
                    case .fileUnwritable:
                        note("\(context.failure(error).message)")
                        refused = true
                    default: throw error
                    }
                }
            }
            if options.json { try sayJSON(SavedFiles(saved: saved)) }
            if refused { throw ExitCode(ExitStatus.refused) }
        }
    }

    /// Writes the authority a new message: about an application, on another matter, or a reply to theirs.
    struct MessageCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "message",
            abstract: "Write to the authority about an application (--about), on another matter (--topic) or in reply (--reply-to); prints the receipt.",
            discussion: """
                Exactly one of --about, --topic and --reply-to. Sent once through the outbox, as `send` is: a \
                message that cannot go now waits there, and the receipt comes only from the portal. --topic takes \
                a code from the portal's list (the first column of the list an unknown code prints); --reply-to a \
                message of the authority (see `portti messages`). --json prints the receipt.
                """)

        @OptionGroup var options: ApplicantOptions
        @Option(help: "The application the message is about: its reference number, MIG-2026-000001.") var about: String?
        @Option(help: "A topic for a message about no application (address_change, …, other).") var topic: String?
        @Option(help: "The authority's message to reply to (its id, message_…).") var replyTo: String?
        @OptionGroup var message: MessageOptions

        func validate() throws {
            guard [about, topic, replyTo].compactMap({ $0 }).count == 1 else {
                throw ValidationError("Give exactly one of --about, --topic and --reply-to.")
            }
        }

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                let target: MessageTarget
                if let about {
                    target = .application(try await context.applicationID(store, named: about))
                } else if let topic {
                    target = .topic(try await context.topicCode(store, named: topic))
                } else {
                    target = .reply(try await context.replyableMessageID(store, named: replyTo ?? ""))
                }
                let text = try context.messageText(message.messageFile)
                try await context.printReceipt(try await context.compose(
                    target, text: text, attachments: message.attachments.map(GivenPath.fromCommandLine), again: message.again))
            }
        }
    }

    /// `portti messages --json`: the conversation and how many of the authority's messages are unopened.
    struct MessageList: Codable, Sendable {
        var messages: [Message]
        var unread: Int
        /// When the portal gave this list, when it is shown from what was kept here (offline); absent when fresh.
        var offlineSince: Date?
    }

    /// A value printed as JSON with `offlineSince` beside its own fields when it comes from what was kept here:
    /// online the shape is the value's alone.
    struct OfflineMarked<Value: Encodable>: Encodable {
        var value: Value
        var offlineSince: Date?

        private enum Key: String, CodingKey { case offlineSince }

        func encode(to encoder: any Encoder) throws {
            try value.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encodeIfPresent(offlineSince, forKey: .offlineSince)
        }
    }

    /// `portti messages --save ID --json`: the files written.
    struct SavedFiles: Encodable {
        var saved: [SavedFile]
    }

    struct SavedFile: Encodable {
        var name: String
        var path: String
        /// Bytes written.
        var size: Int64
    }
}

/// The names messages are shown by: the applicant's own by its receipt number (`2026-00000042`), which the
/// commands take too; the authority's by its id (`message_…`), as it has no other.
struct MessageNames {
    private let receiptNumbers: [String: String]

    init(_ messages: [Message]) {
        receiptNumbers = Dictionary(messages.compactMap { message in message.receipt.map { (message.id, $0.number) } }) { first, _ in first }
    }

    subscript(id: String) -> String { receiptNumbers[id] ?? id }
}

extension ApplicantContext {
    /// One message for the terminal: its name, when, what it is about, who wrote it, its state; then its text
    /// and files.
    func show(_ message: Message, topics: [MessageTopic], names: MessageNames) {
        let about = message.applicationReference ?? strings("cli.message_topic", ["topic": topicTitle(message.topic, topics)])
        let mark = message.isUnread ? "*" : " "
        let who = strings(message.direction == .fromApplicant ? "cli.message_from_you" : "cli.message_from_authority")
        say("\(mark) \(names[message.id])\t\(formats.dateTime(message.sentAt))\t\(about)\t\(who)\t\(state(of: message, names))")
        if let inReplyTo = message.inReplyTo { say("  \(strings("cli.message_in_reply_to", ["id": names[inReplyTo]]))") }
        say("\(lines: message.text, indent: "  ")")
        for file in message.attachments { say("  📎 \(file.name)  \(formats.size(file.size, strings: strings))") }
    }

    /// The applicant's message's state, or whether the applicant has opened the authority's.
    private func state(of message: Message, _ names: MessageNames) -> String {
        switch message.state {
        case .received: strings("cli.message_state.received")
        case .readByAuthority(let date): strings("cli.message_state.read_by_authority", ["date": formats.date(date)])
        case .answered(let answer): strings("cli.message_state.answered", ["id": names[answer]])
        case nil: message.readAt.map { strings("cli.message_opened", ["date": formats.date($0)]) } ?? strings("cli.message_unopened")
        }
    }

    /// A topic's title in the language chosen, or its code when the portal's list is not known here.
    private func topicTitle(_ code: String?, _ topics: [MessageTopic]) -> String {
        guard let code else { return "" }
        return References(applications: [], requests: [:], topics: topics).topicTitle(code, language: settings.language.rawValue)
    }

    /// The portal's topics (kept for offline use: the titles seen last stay known); none when they cannot be
    /// learnt now.
    func knownTopics(_ store: ApplicantStore) async -> [MessageTopic] {
        return (try? await readThroughCache(store, key: "message-topics") { try await client.messageTopics() }.value) ?? []
    }

    /// The topic code `name` names (in any case). With the portal out of reach and its list not kept, taken as
    /// given (the portal decides when the message goes).
    /// - Throws: a `Failure` listing the codes when the portal has no such topic.
    func topicCode(_ store: ApplicantStore, named name: String) async throws -> String {
        // The kept list first (see applicationID): nothing goes on the network before the outbox has the message.
        let kept: Fresh<[MessageTopic]>? = await cachedOnly(store, key: "message-topics")
        if let topic = kept?.value.first(where: { $0.code.caseInsensitiveCompare(name) == .orderedSame }) { return topic.code }
        let topics = await knownTopics(store)
        if topics.isEmpty { return name }
        guard let topic = topics.first(where: { $0.code.caseInsensitiveCompare(name) == .orderedSame }) else {
            let list = topics.map { "\($0.code) (\($0.titles.title(language: settings.language.rawValue)))" }.joined(separator: ", ")
            throw Failure(strings("cli.unknown_topic", ["topic": UntrustedText.sanitized(name), "topics": list]), ExitStatus.refused)
        }
        return topic.code
    }

    /// The id of the message `name` names: its id (`message_…`, taken as given) or, for the applicant's own,
    /// its receipt number (`2026-00000042`), found in the conversations.
    /// - Throws: a `Failure` naming `name` when no message has that receipt number.
    func messageID(_ store: ApplicantStore, named name: String) async throws -> String {
        if name.hasPrefix("message_") { return name }
        let kept: Fresh<[Message]>? = await cachedOnly(store, key: "messages")
        if let message = kept?.value.first(where: { $0.receipt?.number == name }) { return message.id }
        let messages = try await fresh(store, key: "messages") { try await $0.messages(applicationID: nil) }
        guard let message = messages.first(where: { $0.receipt?.number == name }) else {
            throw Failure(strings("cli.unknown_message", ["name": UntrustedText.sanitized(name)]), ExitStatus.refused)
        }
        return message.id
    }

    /// A conversation (nil: all the messages) through the cache. Out of reach, the one kept; for an application
    /// whose conversation was never listed alone, its part of all the messages kept. Says on stderr when it is
    /// shown offline, and as of when.
    /// - Throws: the client's error when the portal is out of reach and nothing is kept.
    func conversation(_ store: ApplicantStore, applicationID: String?) async throws -> Fresh<[Message]> {
        let key = applicationID.map { "messages:\($0)" } ?? "messages"
        var answer: Fresh<[Message]>
        do {
            answer = try await readThroughCache(store, key: key) { try await client.messages(applicationID: applicationID) }
        } catch let error as ClientError where error.isTransient && applicationID != nil {
            guard let all: Fresh<[Message]> = await cachedOnly(store, key: "messages") else { throw error }
            answer = Fresh(value: all.value.filter { $0.applicationID == applicationID }, offlineSince: all.offlineSince)
        }
        if let offlineSince = answer.offlineSince { note("\(strings("cli.offline", ["time": formats.dateTime(offlineSince)]))") }
        return answer
    }

    /// The message with `id` from the portal (kept for offline use); out of reach, as kept when it was opened
    /// or listed last.
    /// - Throws: the client's error when the portal is out of reach and the message was never kept here.
    func keptOrFresh(_ store: ApplicantStore, message id: String) async throws -> Fresh<Message> {
        do {
            return try await readThroughCache(store, key: "message:\(id)") { try await client.message(id: id) }
        } catch let error as ClientError where error.isTransient {
            let all: Fresh<[Message]>? = await cachedOnly(store, key: "messages")
            guard let all, let message = all.value.first(where: { $0.id == id }) else { throw error }
            return Fresh(value: message, offlineSince: all.offlineSince)
        }
    }

    /// The message with `id` as the conversations kept here have it; nil when not kept.
    private func keptMessage(_ store: ApplicantStore, id: String) async -> Message? {
        let kept: Fresh<[Message]>? = await cachedOnly(store, key: "messages")
        return kept?.value.first { $0.id == id }
    }

    /// The id of the authority's message `name` names, to reply to. With the portal out of reach, an id is
    /// taken as given (the reply waits in the outbox and the portal decides).
    /// - Throws: a `Failure` when it is the applicant's own message (those take no reply) or none of theirs.
    func replyableMessageID(_ store: ApplicantStore, named name: String) async throws -> String {
        let id = try await messageID(store, named: name)
        // Known here already (see applicationID): decided without the network.
        let kept = await keptMessage(store, id: id)
        let message: Message
        do {
            if let kept { message = kept } else { message = try await client.message(id: id) }
        } catch let error where error.isTransient {
            return id
        } catch .notFound {
            throw Failure(strings("cli.unknown_message", ["name": UntrustedText.sanitized(name)]), ExitStatus.refused)
        }
        guard message.direction == .fromAuthority else {
            throw Failure(strings("cli.reply_to_own", ["name": UntrustedText.sanitized(name)]), ExitStatus.refused)
        }
        return id
    }
}
