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
    @Flag(help: "Send it even though the same text and files were sent before (the authority asks for each message once).")
    var again = false
}

/// A file to attach, as the command line or the outbox names it: its path to show, and its bytes to open it by
/// (a name that is not UTF-8 stays the same name).
struct GivenPath {
    let shown: String
    let bytes: [UInt8]

    init(shown: String, bytes: [UInt8]) {
        self.shown = shown
        self.bytes = bytes
    }

    /// A file the outbox kept.
    init(_ file: AttachedFile) { self.init(shown: file.path, bytes: file.pathBytes) }

    /// An argument as given: the argument parser is handed a lossy reading of argv (U+FFFD for bytes that are
    /// not UTF-8), so the bytes are found again in argv itself, as the entry that reads the same.
    static func fromCommandLine(_ argument: String) -> GivenPath {
        for index in 1..<Int(CommandLine.argc) {
            guard let entry = CommandLine.unsafeArgv[index] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self), count: strlen(entry)))
            if String(decoding: bytes, as: UTF8.self) == argument { return GivenPath(shown: argument, bytes: bytes) }
        }
        return GivenPath(shown: argument, bytes: Array(argument.utf8))
    }

    /// The absolute path's bytes when they are not UTF-8; nil when the path is exact as a string.
    var absolute: [UInt8]? {
        guard String(validating: bytes, as: UTF8.self) == nil else { return nil }
        if bytes.first == UInt8(ascii: "/") { return bytes }
        var folder = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&folder, folder.count) != nil else { return bytes }
        return folder.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) } + [UInt8(ascii: "/")] + bytes
    }
}

extension ApplicantContext {
    /// The text of a message file (`-`: standard input), exactly as written.
    /// - Throws: a `Failure` when it cannot be read or is not UTF-8.
    func messageText(_ path: String) throws -> String {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            // Opened by the bytes given, so a name that is not UTF-8 is the same file.
            let bytes = GivenPath.fromCommandLine(path).bytes.map { CChar(bitPattern: $0) } + [0]
            let descriptor = bytes.withUnsafeBufferPointer { Glibc.open($0.baseAddress!, O_RDONLY | O_CLOEXEC) }
            guard descriptor >= 0,
                  let contents = try? FileHandle(fileDescriptor: descriptor, closeOnDealloc: true).readToEnd() ?? Data()
            else { throw failure(.fileUnreadable(path: path)) }
            data = contents
        }
        // The text is sent exactly as written, or not at all: bytes that are not UTF-8 would arrive altered.
        guard let text = String(data: data, encoding: .utf8) else {
            throw Failure(strings("cli.message_not_utf8", ["path": path]), ExitStatus.refused)
        }
        return text
    }

    /// Writes the message as a draft first (nothing is lost whatever happens next), checks the files as the
    /// portal will, then sends it once through the courier and keeps the receipt. A refused outbox item it
    /// `replaces` leaves the outbox once this message is in the outbox in its place, with a key of its own.
    func compose(
        _ target: MessageTarget, text: String, attachments: [GivenPath], replacing refused: OutboxItem? = nil,
        again: Bool = false
    ) async throws -> Receipt {
        let store = try requireStore()
        // Every file is checked, and each one refused is named with its own reason: fixing one at a time
        // and running again, to learn of the next, is what a person should not have to do.
        var files: [AttachedFile] = []
        var refusals: [String] = []
        for path in attachments {
            switch attach(path) {
            case .success(let file): files.append(file)
            case .failure(let refusal): refusals.append(refusal.text)
            }
        }
        if !refusals.isEmpty {
            for refusal in refusals { note("\(refusal)") }
            throw Failure(strings("cli.files_refused", count: refusals.count), ExitStatus.refused)
        }
        // What the portal is sure to refuse is refused here, before it waits in the outbox as a refusal.
        if text.unicodeScalars.contains("\u{0}") { throw failure(.refused(.nulCharacter, limit: nil)) }
        if let (code, limit) = MessageRules.violation(text: text, fileCount: files.count, maxFiles: .max) {
            throw failure(.refused(code, limit: limit))
        }
        let draft = Draft(target: target, text: text, files: files)
        // The authority asks for each message once: the same text and files sent before are sent again only
        // when asked (a pending outbox item is the same message, not a second one).
        if !again, let earlier = try store.earlierDelivery(of: draft) {
            throw Failure(strings("cli.sent_before", [
                "number": earlier.receipt.number, "time": formats.dateTime(earlier.receipt.receivedAt),
            ]), ExitStatus.refused)
        }
        try store.save(draft)
        if let refused { try store.removeFromOutbox(id: refused.id) }
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

    /// Why one file cannot be attached, in words that name it.
    struct Refusal: Error {
        let text: String
    }

    /// A file as attached now, or why not: refused before any upload when the portal would refuse it.
    private func attach(_ given: GivenPath) -> Result<AttachedFile, Refusal> {
        let path = given.shown
        let shown = UntrustedText.sanitized(path)
        func refused(_ key: String, _ arguments: [String: String] = [:]) -> Result<AttachedFile, Refusal> {
            .failure(Refusal(text: strings(key, arguments.merging(["path": shown]) { $1 })))
        }
        if let problem = LocalFile.problem(atBytes: given.bytes) {
            switch problem {
            case .missing: return refused("cli.file.missing")
            case .folder: return refused("cli.file.folder")
            case .special: return refused("cli.file.special")
            case .unreadable: return refused("cli.file.unreadable")
            }
        }
        guard let digest = try? LocalFile.digest(pathBytes: given.bytes) else { return refused("cli.file.unreadable") }
        let limits = AttachmentLimits()
        if digest.size > limits.maxFileBytes {
            let (size, limit) = formats.sizes(digest.size, limits.maxFileBytes, strings: strings)
            return refused("cli.file.too_large", ["size": size, "limit": limit])
        }
        if digest.size == 0 { return refused("cli.file.empty") }
        let head = LocalFile.prefix(pathBytes: given.bytes, count: AttachmentType.signatureLength)
        guard let head, AttachmentType.detect(prefix: head) != nil else { return refused("cli.attachment_type") }
        // The portal is given a name in UTF-8 (bytes that are not become "_"); the outbox keeps the path's own
        // bytes, so that a send finished later opens the same file.
        let name = FileName.sanitized(URL(fileURLWithPath: path).lastPathComponent)
        guard let absolute = given.absolute else {
            return .success(AttachedFile(path: URL(fileURLWithPath: path).standardizedFileURL.path, name: name, size: digest.size, sha256: digest.sha256))
        }
        return .success(AttachedFile(path: String(decoding: absolute, as: UTF8.self), name: name, size: digest.size,
                                     sha256: digest.sha256, rawPath: Data(absolute)))
    }

    /// "Application: MIG-…", for a receipt that names its application; the topic of a message on another matter.
    func referenceLine(_ receipt: Receipt, _ references: References) -> String? {
        if let reference = receipt.applicationReference { return strings("receipt.application", ["reference": reference]) }
        return receipt.topic.map { strings("cli.receipt_topic", ["topic": references.topicTitle($0, language: settings.language.rawValue)]) }
    }

    func printReceipt(_ receipt: Receipt) async throws {
        if options.json { return try sayJSON(receipt) }
        say("\(strings("cli.receipt", ["number": receipt.number, "time": formats.dateTime(receipt.receivedAt)]))")
        let topics = receipt.topic == nil ? [] : await knownTopics(try requireStore())
        if let line = referenceLine(receipt, References(applications: [], requests: [:], topics: topics)) { say("  \(line)") }
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
        @Argument(help: "The request: its application's reference number and its number, MIG-2026-000001/1 (see `portti requests APPLICATION`).")
        var request: String
        @OptionGroup var message: MessageOptions

        func run() async throws {
            try await withApplicant(options) { context in
                let id = try await context.requestID(try context.requireStore(), named: request)
                let text = try context.messageText(message.messageFile)
                try await context.printReceipt(try await context.compose(
                    .request(id), text: text, attachments: message.attachments.map(GivenPath.fromCommandLine), again: message.again))
            }
        }
    }

    /// Sends additional information about an application without a request.
    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "send",
            abstract: "Send additional information about an application without a request; prints the receipt.")

        @OptionGroup var options: ApplicantOptions
        @Argument(help: "The application's reference number, MIG-2026-000001.") var application: String
        @OptionGroup var message: MessageOptions

        func run() async throws {
            try await withApplicant(options) { context in
                let id = try await context.applicationID(try context.requireStore(), named: application)
                let text = try context.messageText(message.messageFile)
                try await context.printReceipt(try await context.compose(
                    .application(id), text: text, attachments: message.attachments.map(GivenPath.fromCommandLine), again: message.again))
            }
        }
    }

    /// What was sent and not yet confirmed by the portal, and what the portal refused.
    struct Outbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "outbox",
            abstract: "Send what waits in the outbox, then show what is left: messages not yet confirmed by the portal, and refused ones.",
            discussion: """
                Each message is named by its number (the first column). Exits 3 (the portal cannot be reached) or 4 \
                (sign in first) while a message still waits, and 1 while a refused one is listed. A refused message \
                stays listed until it is sent again changed (--edit N with --message-file or --attach) or removed \
                (--discard N). --json prints a list of {number, id, state ("pending" or "refused"), reason, \
                reasonKey, target {kind, id, name}, createdAt, text, files [{name, path, size, sha256}]}.
                """)

        @OptionGroup var options: ApplicantOptions
        @Flag(help: "Send what waits now. (Every command does this first, this one too; the flag says it in a script.)")
        var send = false
        @Option(help: "Remove this message (its number) from the outbox, and its draft when that is the same message.")
        var discard: String?
        @Option(help: "Send this refused message (its number) again as a new message, changed by --message-file and --attach.")
        var edit: String?
        @Option(help: "With --edit: the new text (a file; - reads standard input). Default: the text refused.")
        var messageFile: String?
        @Option(name: .customLong("attach"), parsing: .upToNextOption,
                help: "With --edit: the files to attach instead of those refused.")
        var attachments: [String] = []
        @Flag(help: "With --edit: send it with no attachments.") var withoutAttachments = false

        func validate() throws {
            if edit == nil && (messageFile != nil || !attachments.isEmpty || withoutAttachments) {
                throw ValidationError("--message-file, --attach and --without-attachments go with --edit N.")
            }
        }

        func run() async throws {
            // This command delivers before it lists, so that the list is the outbox after the delivery.
            try await withApplicant(options, deliversOutbox: false) { context in
                let store = try context.requireStore()
                if let discard {
                    let item = try context.outboxItem(store, named: discard)
                    try store.removeFromOutbox(id: item.id)
                    if let draft = try store.draft(for: item.target), item.carries(draft) { try store.discardDraft(for: item.target) }
                    try say("\(context.strings("cli.discarded"))", orJSON: DoneAnswer.Discarded(number: item.number, target: item.target),
                            when: options.json)
                    await context.deliverOutbox(store)
                    return
                }
                if let edit {
                    let item = try context.outboxItem(store, named: edit)
                    guard case .refused = item.state else {
                        throw Failure(context.strings("cli.outbox_not_refused", ["number": edit]), ExitStatus.refused)
                    }
                    let text = try messageFile.map(context.messageText) ?? item.text
                    let files = withoutAttachments ? [] : attachments.isEmpty ? item.files.map(GivenPath.init) : attachments.map(GivenPath.fromCommandLine)
                    try await context.printReceipt(try await context.compose(item.target, text: text, attachments: files, replacing: item))
                    await context.deliverOutbox(store)
                    return
                }
                let stopped = await context.deliverOutbox(store)
                let items = try await store.outbox().filter { if case .delivered = $0.state { false } else { true } }
                let references = items.isEmpty ? References.none : await context.references(store)
                if options.json {
                    try sayJSON(items.map { ListedItem($0, context, references) })
                } else {
                    list(items, context, references)
                }
                if let stopped, items.contains(where: { $0.state == .pending }) { throw context.failure(stopped) }
                if items.contains(where: { if case .refused = $0.state { true } else { false } }) {
                    throw Failure(context.strings("cli.outbox_not_sent"), ExitStatus.refused)
                }
            }
        }

        private func list(_ items: [OutboxItem], _ context: ApplicantContext, _ references: References) {
            if items.isEmpty { return say("\(context.strings("cli.outbox_empty"))") }
            for item in items {
                let state: String
                switch item.state {
                case .pending:
                    // Why it still waits, when a try failed: a receipt that did not verify is not "just waiting".
                    state = context.strings("cli.outbox_pending")
                        + (item.lastFailure.map { ": " + context.strings($0.key, $0.arguments) } ?? "")
                case .refused(let key, let arguments): state = context.strings("cli.outbox_refused") + " " + context.strings(key, arguments)
                case .delivered: continue
                }
                say("\(item.number ?? 0)\t\(context.formats.dateTime(item.createdAt))\t\(context.describe(item.target, references))\t\(state)")
            }
        }
    }

    /// An outbox item as `portti outbox --json` prints it: a shape of its own, documented in `--help`, that
    /// stays when the outbox's own records change.
    struct ListedItem: Encodable {
        struct Target: Encodable {
            /// "request", "application", "topic" (its code is the id) or "reply" (the authority's message's id).
            var kind: String
            var id: String
            /// What a person types: `MIG-2026-000001/1` or `MIG-2026-000001`; nil when not known here.
            var name: String?
        }
        struct File: Encodable {
            var name: String
            var path: String
            var size: Int64
            var sha256: String
        }
        var number: Int
        var id: String
        /// "pending" or "refused".
        var state: String
        /// Why it was refused, or why its last try failed when it still waits, in the language chosen, and its
        /// string table key; nil for one not tried yet.
        var reason: String?
        var reasonKey: String?
        var target: Target
        var createdAt: Date
        var text: String
        var files: [File]

        init(_ item: OutboxItem, _ context: ApplicantContext, _ references: References) {
            number = item.number ?? 0
            id = item.id
            switch item.state {
            case .refused(let key, let arguments):
                state = "refused"
                reason = context.strings(key, arguments)
                reasonKey = key
            case .pending, .delivered:
                state = "pending"
                reason = item.lastFailure.map { context.strings($0.key, $0.arguments) }
                reasonKey = item.lastFailure?.key
            }
            switch item.target {
            case .request(let id): target = Target(kind: "request", id: id, name: references.handle(ofRequest: id))
            case .application(let id):
                target = Target(kind: "application", id: id, name: references.application(named: id)?.referenceNumber)
            case .topic(let code): target = Target(kind: "topic", id: code, name: nil)
            case .reply(let id): target = Target(kind: "reply", id: id, name: nil)
            }
            createdAt = item.createdAt
            text = item.text
            files = item.files.map { File(name: $0.name, path: $0.path, size: $0.size, sha256: $0.sha256) }
        }
    }
}

extension ApplicantContext {
    /// The outbox item `name` names: its number or its id.
    /// - Throws: a `Failure` when there is none.
    func outboxItem(_ store: ApplicantStore, named name: String) throws -> OutboxItem {
        let items = try store.outbox().filter { if case .delivered = $0.state { false } else { true } }
        guard let item = items.first(where: { $0.id == name || $0.number.map(String.init) == name }) else {
            throw Failure(strings("cli.outbox_no_such", ["number": UntrustedText.sanitized(name)]), ExitStatus.refused)
        }
        return item
    }
}

extension Portti {
    /// Messages being written and not yet sent.
    struct Drafts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drafts",
            abstract: "List unsent drafts (kept until sent); --show prints one, --discard removes one.")

        @OptionGroup var options: ApplicantOptions
        @Option(help: "Print the draft for this request (MIG-2026-000001/1) or application (MIG-2026-000001).") var show: String?
        @Option(help: "Remove the draft for this request (MIG-2026-000001/1) or application (MIG-2026-000001).") var discard: String?

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                let drafts = try store.drafts()
                let references = drafts.isEmpty ? References.none : await context.references(store)
                func find(_ name: String) throws -> Draft {
                    guard let target = context.target(named: name, among: drafts.map(\.target), references),
                          let draft = drafts.first(where: { $0.target == target })
                    else { throw context.failure(.notFound) }
                    return draft
                }
                if let discard {
                    let target = try find(discard).target
                    try store.discardDraft(for: target)
                    return try say("\(context.strings("cli.discarded"))", orJSON: DoneAnswer.Discarded(number: nil, target: target),
                                   when: options.json)
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
                let refused = try await store.outbox().filter { if case .refused = $0.state { true } else { false } }
                for draft in drafts.sorted(by: { $0.updatedAt > $1.updatedAt }) {
                    let firstLine = draft.text.split(separator: "\n").first ?? ""
                    var line: TerminalText = "\(context.formats.dateTime(draft.updatedAt))\t\(context.describe(draft.target, references))\t\(firstLine)"
                    // The draft of a message the portal refused says so, and how to send it changed or let it go.
                    if let item = refused.first(where: { $0.carries(draft) }) {
                        line = line + "\t\(context.strings("cli.draft_refused", ["number": String(item.number ?? 0)]))"
                    }
                    say(line)
                }
            }
        }
    }
}
