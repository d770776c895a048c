import ArgumentParser
import Foundation
import PortalServer
import PortalStore
import PorttiLocalization
import PorttiModel

extension OfficerContext {
    /// Prints a translated failure; the command ends with exit code 1.
    private func fail(_ message: String) -> ExitCode {
        note("\(message)")
        return ExitCode.failure
    }

    /// The application `name` names: its id, or its reference number (`MIG-2026-000042`).
    func applicationID(_ store: any PortalStore, named name: String) async throws -> String {
        if name.uppercased().hasPrefix("MIG-") {
            guard let id = try await store.applicationID(referenceNumber: name.uppercased()) else {
                throw fail(strings("officer.unknown_application", ["id": name]))
            }
            return id
        }
        return name
    }

    /// The applicant's message `name` names: its id (`message_…`) or its receipt number (`2026-00000042`).
    func messageID(named name: String) -> String {
        name.hasPrefix("message_") ? name : ApplicantMessageID.of(receiptNumber: name)
    }

    /// The authority's message checked against the limits an applicant's message has (`MessageRules`, the
    /// portal's default `AttachmentLimits`), before anything is kept: a clear refusal, exit 1.
    func checkLimits(text: String, attachments paths: [String]) throws {
        if let (code, limit) = MessageRules.violation(text: text, fileCount: paths.count) {
            throw fail(strings("error.\(code.rawValue)", limit.map { ["limit": String($0)] } ?? [:]))
        }
        let maxBytes = AttachmentLimits().maxFileBytes
        for path in paths {
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value,
                  size > maxBytes else { continue }
            let limit = Formats(strings.language).size(maxBytes, strings: strings)
            throw fail("\(UntrustedText.sanitized(path)): \(strings("error.attachment_too_large", ["limit": limit]))")
        }
    }

    /// PDFs given with `--attach`, kept in the portal's document storage.
    func keep(_ paths: [String], in documents: any DocumentStorage) async throws -> [NewAuthorityMessage.File] {
        var files: [NewAuthorityMessage.File] = []
        for path in paths {
            do {
                let stored = try await documents.keep(fileAt: URL(fileURLWithPath: path))
                guard stored.type == .pdf else { throw PortalError(.attachmentTypeRefused) }
                files.append(.init(name: FileName.sanitized(path), size: stored.size, sha256: stored.sha256, type: stored.type))
            } catch let error as PortalError where error.code == .attachmentTypeRefused || error.code == .attachmentEmpty {
                throw fail(strings("officer.attachment_not_pdf", ["path": path]))
            } catch let error as PortalError {
                throw fail(strings("officer.unreadable_file", ["path": path, "reason": error.code.rawValue]))
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail(strings("officer.unreadable_file", ["path": path, "reason": error.localizedDescription]))
            }
        }
        return files
    }

    /// What a message is about, for the officer's terminal: its application's reference, or its topic's title
    /// in the officer's language (the portal's own list).
    func about(_ message: IncomingMessage) -> String {
        if let reference = message.applicationReference { return reference }
        let code = message.topic ?? MessageTopic.otherCode
        let title = MessageTopics.standard.first { $0.code == code }?.titles.title(language: strings.language.rawValue) ?? code
        return strings("officer.topic", ["topic": title])
    }

    /// One incoming message for the officer's terminal: the applicant's words sanitized.
    func show(_ message: IncomingMessage) {
        let receipt = message.receipt
        let about = about(message)
        let state = if message.answeredBy != nil { strings("officer.message_answered") }
            else if let read = message.readByAuthorityAt { strings("officer.message_read", ["date": read.formatted(.iso8601)]) }
            else { strings("officer.message_unread") }
        say("\(message.messageID)\t\(receipt.number)\t\(receipt.receivedAt.formatted(.iso8601))\t\(about)\t\(message.applicantName)\t\(state)")
        if let requestID = receipt.requestID { say("  → \(requestID)") }
        if let inReplyTo = message.inReplyTo { say("  ↩ \(inReplyTo)") }
        say("\(lines: message.text, indent: "  ")")
        for file in message.attachments { say("  📎 \(file.name)  \(file.size)  \(file.sha256)") }
    }
}

extension Portti.Officer {
    struct Queue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "queue",
            abstract: "Incoming messages not yet answered, in arrival order: the order they are handled in.")

        @OptionGroup var context: OfficerContext
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let messages = try await context.openStore().incomingMessages().filter { $0.answeredBy == nil }
            if json { return try sayJSON(messages) }
            if messages.isEmpty { return say("\(context.strings("officer.queue_empty"))") }
            for message in messages { context.show(message) }
        }
    }

    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "read", abstract: "Open an incoming message: the applicant sees it read by the authority.")

        @OptionGroup var context: OfficerContext
        @Argument(help: "The message's id, or its receipt number.") var message: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let store = try await context.openStore()
            guard let read = try await store.markReadByAuthority(messageID: context.messageID(named: message), now: Date()) else {
                throw fail(context.strings("officer.unknown_message", ["id": message]))
            }
            if json { return try sayJSON(read) }
            context.show(read)
        }
    }

    struct Message: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "message", abstract: "Write to the applicant about an application; they are notified.")

        @OptionGroup var context: OfficerContext
        @Argument(help: "The application's id or reference number.") var application: String
        @Option(help: "The message's text.") var text: String
        @Option(name: .customLong("attach"), help: "A PDF to send with it; repeat for more.") var attachments: [String] = []
        @Flag(help: "Print the message sent as JSON.") var json = false

        func run() async throws {
            try context.checkLimits(text: text, attachments: attachments)
            let opened = try await context.open()
            let applicationID = try await context.applicationID(opened.store, named: application)
            let files = try await context.keep(attachments, in: opened.documents)
            do {
                let sent = try await opened.store.sendAuthorityMessage(
                    NewAuthorityMessage(target: .application(applicationID), text: text, files: files, now: Date()))
                if json { return try sayJSON(sent) }
                say("\(context.strings("officer.message_sent", ["id": sent.id]))")
            } catch let error as PortalError where error.code == .notFound {
                throw fail(context.strings("officer.unknown_application", ["id": application]))
            }
        }
    }

    struct Reply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reply", abstract: "Answer an incoming message (it is then answered); the applicant is notified.")

        @OptionGroup var context: OfficerContext
        @Argument(help: "The message's id, or its receipt number.") var message: String
        @Option(help: "The answer's text.") var text: String
        @Option(name: .customLong("attach"), help: "A PDF to send with it; repeat for more.") var attachments: [String] = []
        @Flag(help: "Print the message sent as JSON.") var json = false
        @Flag(help: "Answer a message that has been answered already (a second answer).") var again = false

        func run() async throws {
            try context.checkLimits(text: text, attachments: attachments)
            let opened = try await context.open()
            // One answer to a message, as the applicant answers a request once: a second only when asked for.
            let id = context.messageID(named: message)
            if !again, try await opened.store.incomingMessages().contains(where: { $0.messageID == id && $0.answeredBy != nil }) {
                throw fail(context.strings("officer.message_already_answered", ["id": message]))
            }
            let files = try await context.keep(attachments, in: opened.documents)
            do {
                let sent = try await opened.store.sendAuthorityMessage(
                    NewAuthorityMessage(target: .reply(context.messageID(named: message)), text: text, files: files, now: Date()))
                if json { return try sayJSON(sent) }
                say("\(context.strings("officer.message_sent", ["id": sent.id]))")
            } catch let error as PortalError where error.code == .notFound {
                throw fail(context.strings("officer.unknown_message", ["id": message]))
            }
        }
    }
}
