import ArgumentParser
import ApplicantStore
import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel
import ReceiptProof

extension Portti {
    /// Reads a decision, and saves its document.
    struct DecisionCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "decision",
            abstract: "Read a decision: its text, the date it was served and the last day to appeal; --save keeps its document.")

        @OptionGroup var options: ApplicantOptions
        @Argument(help: "The application's reference number, MIG-2026-000001 (an application has one decision).")
        var decision: String
        @Option(help: "Save the decision document (PDF) to this path.") var save: String?

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                let decision = try await context.decisionID(store, named: self.decision)
                let served = try await context.fresh(store, key: "decision:\(decision)") { try await $0.decision(id: decision) }
                var saved: Int64?
                if let save {
                    guard served.decision.hasDocument else { throw Failure(context.strings("cli.no_document"), ExitStatus.refused) }
                    saved = try await context.client.saveDecisionDocument(id: decision, to: save)
                }
                if options.json { return try sayJSON(served) }
                let strings = context.strings
                // Which application it decides, as the TUI's title says: a reference number does not change, so a
                // kept one is used before the portal is asked; without it (offline, nothing kept) the decision
                // still shows.
                let applicationID = served.decision.applicationID
                let key = "application:\(applicationID)"
                let client = context.client
                let overview: ApplicationOverview? = if let kept: Fresh<ApplicationOverview> = await cachedOnly(store, key: key) {
                    kept.value
                } else {
                    try? await readThroughCache(store, key: key) { try await client.application(id: applicationID) }.value
                }
                if let overview {
                    say("\(strings("decision.title_reference", ["reference": overview.application.referenceNumber]))")
                }
                say("\(strings("cli.decision_made", ["date": context.formats.date(served.decision.madeAt)]))")
                if let servedAt = served.decision.servedAt {
                    say("\(strings("cli.decision_served", ["date": context.formats.date(servedAt)]))")
                }
                if let appeal = served.appealDeadline {
                    say("\(strings("cli.appeal_deadline", ["date": context.formats.date(appeal)]))")
                }
                say("")
                say("\(lines: served.decision.text)")
                if let saved, let save {
                    say("")
                    say("\(strings("cli.document_saved", ["path": save, "size": context.formats.size(saved, strings: strings)]))")
                }
            }
        }
    }

    /// The receipts kept on this machine: the proof of what was sent and when.
    struct Receipts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "receipts",
            abstract: "List the confirmations of receipt kept for everything you sent; --export writes them, signed, to a file.",
            subcommands: [VerifyReceipts.self])

        @OptionGroup var options: ApplicantOptions
        @Option(help: "Write the signed receipts and the portal's keys to this file (JSON), to show anyone; - writes them to standard output.") var export: String?

        func run() async throws {
            // The receipts are kept here: listed and written out without the portal (a demo portal that has
            // stopped, a configured one out of reach).
            try await withApplicant(options, offline: true) { context in
                let store = try context.requireStore()
                let kept = try store.receipts()
                if let export {
                    let document = try await context.receiptExport(kept, store: store)
                    let data = try document.encoded()
                    // `-` is standard output, as for other tools: no file of that name is made.
                    if export == "-" { return sayJSON(encoded: data) }
                    do throws(ClientError) { try LocalFile.writeNew(data, to: export) } catch .folderGiven(let path) {
                        throw Failure(context.strings("cli.export_folder_given", ["path": path]), ExitStatus.refused)
                    } catch { throw context.failure(error) }
                    return try say("\(context.strings("cli.exported", count: document.receipts.count, ["path": export]))",
                                   orJSON: DoneAnswer.Exported(exported: .init(path: export, count: document.receipts.count)),
                                   when: options.json)
                }
                if options.json { return try sayJSON(kept) }
                let references = kept.isEmpty ? References.none : await context.references(store)
                if kept.isEmpty { return say("\(context.strings("cli.no_receipts"))") }
                for entry in kept {
                    let receipt = entry.receipt
                    say("\(context.strings("cli.receipt", ["number": receipt.number, "time": context.formats.dateTime(receipt.receivedAt)]))")
                    say("  \(context.describe(entry.target, references))")
                    // The target names an application or a topic already; a request or a reply is shown with its
                    // application or topic too.
                    switch entry.target {
                    case .application, .topic: break
                    case .request, .reply: if let line = context.referenceLine(receipt, references) { say("  \(line)") }
                    }
                    for file in receipt.files {
                        say("  \(file.name)  \(file.size)  SHA-256 \(file.sha256)")
                    }
                    if let kid = entry.verifiedKey, receipt.signed != nil {
                        say("  \(context.strings("receipt.signed_verified", ["fingerprint": kid]))")
                    } else {
                        say("  \(context.strings("receipt.unsigned"))")
                    }
                }
            }
        }
    }

    /// Verifies an export offline: each receipt's signature against the keys in it, and the text and files it
    /// should cover; then whether the key is one this machine has kept for the portal the file names. The keys
    /// come with the file, so a valid signature alone proves only that the file agrees with itself: each
    /// receipt shows the key's fingerprint, to compare with the one the authority publishes.
    struct VerifyReceipts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify a file of signed receipts (from --export) offline: each valid, or what is wrong, with its key's fingerprint.")

        // `receipts`' own options (--lang, --json) are parsed wherever they stand, also after `verify`: this
        // command takes them from there, so that they are never accepted and ignored.
        @ParentCommand var receipts: Receipts
        @Argument(help: "The file --export wrote.") var file: String

        var json: Bool { receipts.options.json }

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let language = ApplicantSettings.language(lang: receipts.options.lang, environment: environment)
            let strings = StringTable(language)
            guard let data = FileManager.default.contents(atPath: file) else {
                throw fail(strings("client.error.file_unreadable", ["path": UntrustedText.sanitized(file)]))
            }
            guard let export = try? ReceiptExport.decode(data) else {
                throw fail(strings("cli.receipts_file_invalid", ["path": UntrustedText.sanitized(file)]))
            }
            // The keys this machine took from the portal itself, when it has any: the file's own prove nothing.
            let portal = URL(string: export.portal).flatMap { $0.host == nil ? nil : $0 }
            var kept = ReceiptKeySet(keys: [])
            if let portal {
                kept = await ApplicantStore.keptReceiptKeys(portal: Self.identity(portal, environment), environment: environment)
            }
            let checks = zip(export.receipts, await export.verify()).map { VerifiedReceipt($1, jws: $0.jws, kept: kept) }
            let failed = checks.filter { !$0.isValid }.count
            if json {
                try sayJSON(Report(portal: export.portal, portalKeysKept: !kept.keys.isEmpty, receipts: checks,
                                   valid: checks.count - failed, count: checks.count))
            } else {
                let formats = Formats(language)
                let portalName = export.portal.isEmpty ? strings("cli.verify_no_portal") : export.portal
                for check in checks { say(check.lines(strings, formats, portal: portalName, keysKept: !kept.keys.isEmpty)) }
                say("\(strings("cli.receipts_verified", ["valid": String(checks.count - failed), "count": String(checks.count)]))")
            }
            if failed > 0 { throw ExitCode(ExitStatus.refused) }
        }

        /// Whose records keep the keys of the portal at `url`: the demo portal's when it is the address the demo
        /// last had, else the address's own.
        static func identity(_ url: URL, _ environment: [String: String]) -> PortalIdentity {
            let demoPort = EmbeddedPortal.lastPort(EmbeddedPortal.folder(environment))
            return url.host == "127.0.0.1" && demoPort != nil && url.port == demoPort ? .demo : PortalIdentity(url)
        }

        /// `receipts verify --json`, documented in the README.
        struct Report: Encodable {
            var portal: String
            /// Whether this machine keeps keys of that portal, to check the file's keys against.
            var portalKeysKept: Bool
            var receipts: [VerifiedReceipt]
            var valid: Int
            var count: Int
        }
    }
}

/// One receipt of an export as `receipts verify` finds it.
struct VerifiedReceipt: Encodable {
    /// `valid`, `textChanged`, `fileChanged`, `unknownKey`, `badSignature`, or `notThePortalsKey` (a valid
    /// signature by a key that is none of those this machine kept for the portal).
    var verdict: String
    /// The receipt number; for a signature that fails, as its unchecked payload states it (nil if unreadable).
    var number: String?
    /// The key's fingerprint (its `kid`, an RFC 7638 thumbprint); nil when the JWS names none.
    var fingerprint: String?
    /// Whether this machine kept that key for the portal; nil when it keeps no keys of that portal.
    var keyKeptForPortal: Bool?
    /// What the signed statement says (nil when the signature fails).
    var receivedAt: String?
    var applicant: ReceiptStatement.Applicant?
    var application: ReceiptStatement.Application?
    var request: String?

    private var messageKey: String
    private var receivedDate: Date?

    private enum CodingKeys: String, CodingKey {
        case verdict, number, fingerprint, keyKeptForPortal, receivedAt, applicant, application, request
    }

    var isValid: Bool { verdict == "valid" }

    /// Every documented field, a field the receipt does not state as null (as the README says), so that a script
    /// reads one shape.
    func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(verdict, forKey: .verdict)
        try values.encode(number, forKey: .number)
        try values.encode(fingerprint, forKey: .fingerprint)
        try values.encode(keyKeptForPortal, forKey: .keyKeptForPortal)
        try values.encode(receivedAt, forKey: .receivedAt)
        try values.encode(applicant, forKey: .applicant)
        try values.encode(application, forKey: .application)
        try values.encode(request, forKey: .request)
    }

    init(_ verdict: ReceiptVerdict, jws: String, kept: ReceiptKeySet) {
        messageKey = verdict.messageKey
        let statement: ReceiptStatement?
        switch verdict {
        case .valid(let signed, let kid):
            statement = signed
            fingerprint = kid
            self.verdict = "valid"
        case .textChanged(let signed):
            statement = signed
            self.verdict = "textChanged"
        case .fileChanged(let signed):
            statement = signed
            self.verdict = "fileChanged"
        case .unknownKey(let kid):
            statement = nil
            fingerprint = kid
            self.verdict = "unknownKey"
        case .badSignature:
            statement = nil
            self.verdict = "badSignature"
        }
        if let statement {
            number = statement.receipt
            receivedAt = statement.receivedAt
            receivedDate = statement.receivedDate
            applicant = statement.applicant
            application = statement.application
            request = statement.request
        }
        // Named even when the signature fails: the number its payload states, unchecked, and the key it names.
        if number == nil { number = ReceiptKeys.unverifiedStatement(of: jws)?.receipt }
        if fingerprint == nil { fingerprint = ReceiptKeys.kid(of: jws) }
        if !kept.keys.isEmpty, let fingerprint {
            let known = kept.key(kid: fingerprint) != nil
            keyKeptForPortal = known
            if !known, self.verdict == "valid" {
                self.verdict = "notThePortalsKey"
                messageKey = "cli.verify_not_portal_key"
            }
        }
    }

    /// The receipt for a person: its verdict, key, portal, time, application and request.
    func lines(_ strings: StringTable, _ formats: Formats, portal: String, keysKept: Bool) -> TerminalText {
        let fingerprint = self.fingerprint ?? "-"
        let verdictText = isValid
            ? strings("cli.verify_valid", ["fingerprint": fingerprint])
            : strings(messageKey, ["fingerprint": fingerprint, "portal": portal])
        var text: TerminalText = "\(number ?? "?")  \(verdictText)"
        text = text + "\n  \(strings("cli.verify_key", ["fingerprint": fingerprint]))"
        text = text + "\n  \(strings("cli.verify_portal", ["portal": portal]))"
        if let receivedAt {
            let time = receivedDate.map(formats.dateTime) ?? receivedAt
            text = text + "\n  \(strings("receipt.time", ["time": time]))"
        }
        if let applicant { text = text + "\n  \(strings("cli.verify_applicant", ["username": applicant.username]))" }
        if let application {
            text = text + "\n  \(strings("receipt.application", ["reference": application.reference ?? application.id]))"
        }
        if let request { text = text + "\n  \(strings("cli.verify_request", ["request": request]))" }
        if isValid {
            text = text + "\n  \(strings(keysKept ? "cli.verify_key_kept" : "cli.verify_compare_fingerprint", ["portal": portal]))"
        }
        return text
    }
}

extension ApplicantContext {
    /// The id of the decision `name` names: its application's reference number (or the application's id), or
    /// the decision's own id, taken as given.
    /// - Throws: a `Failure` when the application has no decision yet or is none of the account's.
    func decisionID(_ store: ApplicantStore, named name: String) async throws -> String {
        if name.hasPrefix("decision_") { return name }
        let applicationID = try await applicationID(store, named: name)
        let overview = try await fresh(store, key: "application:\(applicationID)") { try await $0.application(id: applicationID) }
        guard let decisionID = overview.decisionID else {
            throw Failure(strings("cli.no_decision", ["reference": overview.application.referenceNumber]), ExitStatus.refused)
        }
        return decisionID
    }
}

extension ApplicantContext {
    /// The signed receipts of `kept` with the portal's keys seen, to write out; receipts kept unsigned are left out.
    func receiptExport(_ kept: [KeptReceipt], store: ApplicantStore) async throws -> ReceiptExport {
        let keys: ReceiptKeySet
        do { keys = try await store.receiptKeys() } catch { throw failure(.localStorageFailed) }
        let entries = kept.compactMap { entry in
            entry.receipt.signed.map { jws in
                ReceiptExport.Entry(jws: jws, text: entry.message, files: entry.receipt.files)
            }
        }
        return ReceiptExport(portal: settings.portalURL?.absoluteString ?? "", keys: keys, receipts: entries)
    }
}
