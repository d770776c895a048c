import ApplicantStore
import ArgumentParser
import Delivery
import Foundation
import PortalClient
import PorttiModel

/// What `reply` and `send` share: the message and the files to attach.
struct MessageOptions: ParsableArguments {
    @Option(help: "A file with the message text; - reads standard input.") var messageFile: String
    @Option(name: .customLong("attach"), parsing: .upToNextOption, help: "Files to attach (PDF, JPEG or PNG).")
    var attachments: [String] = []
}

extension ApplicantContext {
    /// Writes the message as a draft first (nothing is lost whatever happens next), checks the files as the
    /// portal will, then sends it once through the courier and keeps the receipt.
    func compose(_ target: MessageTarget, _ message: MessageOptions) async throws -> Receipt {
        let store = try requireStore()
        let data: Data
        if message.messageFile == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: message.messageFile) else {
                throw failure(.fileUnreadable(path: message.messageFile))
            }
            data = contents
        }
        // The text is sent exactly as written, or not at all: bytes that are not UTF-8 would arrive altered.
        guard let text = String(data: data, encoding: .utf8) else {
            throw Failure(strings("cli.message_not_utf8", ["path": message.messageFile]), ExitStatus.refused)
        }
        var files: [AttachedFile] = []
        for path in message.attachments {
            files.append(try attach(path))
        }
        // What the portal is sure to refuse is refused here, before it waits in the outbox as a refusal.
        if text.unicodeScalars.contains("\u{0}") { throw failure(.refused(.nulCharacter, limit: nil)) }
        if text.unicodeScalars.count > MessageRules.maxCharacters {
            throw failure(.refused(.messageTooLong, limit: Int64(MessageRules.maxCharacters)))
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && files.isEmpty {
            throw failure(.refused(.messageEmpty, limit: nil))
        }
        let draft = Draft(target: target, text: text, files: files)
        try store.save(draft)
        let courier = Courier(client: client, store: store)
        let interactive = isatty(STDERR_FILENO) == 1
        // This message goes first: if it is still in the outbox from an earlier try, that item and its key
        // are the ones sent. Whatever else waits goes after it (see withApplicant).
        do {
            return try await courier.send(draft) { progress in
                guard interactive, case .uploading(let index, let count, let sent, let total) = progress else { return }
                let percent = total > 0 ? Int(sent * 100 / total) : 100
                let line = strings("cli.uploading", ["index": String(index + 1), "count": String(count), "percent": String(percent)])
                note("\r\(line)", terminator: sent == total ? "\n" : "")
            }
        } catch {
            if error.isTransient || error == .sessionExpired || error == .notSignedIn { note("\(strings("cli.kept_in_outbox"))") }
            throw error
        }
    }

    /// A file as attached now, refused before any upload when the portal would refuse it.
    private func attach(_ path: String) throws -> AttachedFile {
        let digest: LocalFile.Digest
        do { digest = try LocalFile.digest(path: path) } catch { throw failure(.fileUnreadable(path: path)) }
        let limits = AttachmentLimits()
        if digest.size > limits.maxFileBytes {
            throw failure(.attachmentRefused(.attachmentTooLarge, limit: limits.maxFileBytes))
        }
        if digest.size == 0 { throw failure(.attachmentRefused(.attachmentEmpty, limit: nil)) }
        let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: AttachmentType.signatureLength)) ?? nil
        guard let head, AttachmentType.detect(prefix: Array(head)) != nil else {
            throw Failure(strings("cli.attachment_type", ["path": path]), ExitStatus.refused)
        }
        let name = FileName.sanitized(URL(fileURLWithPath: path).lastPathComponent)
        return AttachedFile(path: URL(fileURLWithPath: path).standardizedFileURL.path, name: name, size: digest.size, sha256: digest.sha256)
    }

    /// "Application: MIG-…", for a receipt that names its application.
    func referenceLine(_ receipt: Receipt) -> String? {
        receipt.applicationReference.map { strings("receipt.application", ["reference": $0]) }
    }

    func printReceipt(_ receipt: Receipt) throws {
        if options.json { return try sayJSON(receipt) }
        say("\(strings("cli.receipt", ["number": receipt.number, "time": formats.dateTime(receipt.receivedAt)]))")
        if let line = referenceLine(receipt) { say("  \(line)") }
        for file in receipt.files {
            say("  \(file.name)  \(formats.size(file.size, strings: strings))  SHA-256 \(file.sha256.prefix(16))…")
        }
    }
}

extension Portti {
    /// Responds to a request for additional information.
    struct Reply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reply",
            abstract: "Respond to a request for additional information: a message and attachments; prints the receipt.")

        @OptionGroup var options: ApplicantOptions
        @Argument(help: "The request's id (see `portti requests APPLICATION`).") var request: String
        @OptionGroup var message: MessageOptions

        func run() async throws {
            try await withApplicant(options) { context in
                try context.printReceipt(try await context.compose(.request(request), message))
            }
        }
    }

    /// Sends additional information about an application without a request.
    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "send",
            abstract: "Send additional information about an application without a request; prints the receipt.")

        @OptionGroup var options: ApplicantOptions
        @Argument(help: "The application's id.") var application: String
        @OptionGroup var message: MessageOptions

        func run() async throws {
            try await withApplicant(options) { context in
                try context.printReceipt(try await context.compose(.application(application), message))
            }
        }
    }

    /// What was sent and not yet confirmed by the portal.
    struct Outbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "outbox",
            abstract: "Send what waits in the outbox, then show what is left: messages not yet confirmed by the portal.",
            discussion: """
                Exits 3 (the portal cannot be reached) or 4 (sign in first) while a message still waits, and 1 while \
                a refused one is listed. A refused message stays listed until discarded; its text is kept as a \
                draft (see `portti drafts`).
                """)

        @OptionGroup var options: ApplicantOptions
        @Flag(help: "Send what waits now. (Every command does this first, this one too; the flag says it in a script.)")
        var send = false
        @Option(help: "Remove this item (by its id) from the outbox; its draft stays.") var discard: String?

        func run() async throws {
            // This command delivers before it lists, so that the list is the outbox after the delivery.
            try await withApplicant(options, deliversOutbox: false) { context in
                let store = try context.requireStore()
                if let discard {
                    guard try await store.outbox().contains(where: { $0.id == discard }) else { throw context.failure(.notFound) }
                    try store.removeFromOutbox(id: discard)
                    say("\(context.strings("cli.discarded"))")
                    await context.deliverOutbox(store)
                    return
                }
                let stopped = await context.deliverOutbox(store)
                let items = try await store.outbox().filter { if case .delivered = $0.state { false } else { true } }
                if options.json { try sayJSON(items) } else { list(items, context) }
                if let stopped, items.contains(where: { $0.state == .pending }) { throw context.failure(stopped) }
                if items.contains(where: { if case .refused = $0.state { true } else { false } }) {
                    throw Failure(context.strings("cli.outbox_not_sent"), ExitStatus.refused)
                }
            }
        }

        private func list(_ items: [OutboxItem], _ context: ApplicantContext) {
            if items.isEmpty { return say("\(context.strings("cli.outbox_empty"))") }
            for item in items {
                let state: String
                switch item.state {
                case .pending: state = context.strings("cli.outbox_pending")
                case .refused(let key, let arguments): state = context.strings("cli.outbox_refused") + " " + context.strings(key, arguments)
                case .delivered: continue
                }
                say("\(item.id)\t\(context.formats.dateTime(item.createdAt))\t\(context.describe(item.target))\t\(state)")
            }
        }
    }
}

extension Portti {
    /// Messages being written and not yet sent.
    struct Drafts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drafts",
            abstract: "List unsent drafts (kept until sent); --show prints one, --discard removes one.")

        @OptionGroup var options: ApplicantOptions
        @Option(help: "Print the draft for this request or application id.") var show: String?
        @Option(help: "Remove the draft for this request or application id.") var discard: String?

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                let drafts = try store.drafts()
                func find(_ id: String) throws -> Draft {
                    guard let draft = drafts.first(where: { $0.target == .request(id) || $0.target == .application(id) }) else {
                        throw context.failure(.notFound)
                    }
                    return draft
                }
                if let discard {
                    try store.discardDraft(for: try find(discard).target)
                    return say("\(context.strings("cli.discarded"))")
                }
                if let show {
                    let draft = try find(show)
                    if options.json { return try sayJSON(draft) }
                    say("\(lines: draft.text)")
                    for file in draft.files { say("  📎 \(file.path)  \(context.formats.size(file.size, strings: context.strings))") }
                    return
                }
                if options.json { return try sayJSON(drafts) }
                if drafts.isEmpty { return say("\(context.strings("cli.no_drafts"))") }
                for draft in drafts.sorted(by: { $0.updatedAt > $1.updatedAt }) {
                    let firstLine = draft.text.split(separator: "\n").first ?? ""
                    say("\(context.formats.dateTime(draft.updatedAt))\t\(context.describe(draft.target))\t\(firstLine)")
                }
            }
        }
    }
}
