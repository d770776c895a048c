import ArgumentParser
import ApplicantStore
import Foundation
import PortalClient
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
        @Option(help: "Write the signed receipts and the portal's keys to this file (JSON), to show anyone.") var export: String?

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                let kept = try store.receipts()
                if let export {
                    let document = try await context.receiptExport(kept, store: store)
                    let data = try document.encoded()
                    do throws(ClientError) { try LocalFile.writeNew(data, to: export) } catch { throw context.failure(error) }
                    return say("\(context.strings("cli.exported", count: document.receipts.count, ["path": export]))")
                }
                if options.json { return try sayJSON(kept) }
                let references = kept.isEmpty ? References.none : await context.references(store)
                if kept.isEmpty { return say("\(context.strings("cli.no_receipts"))") }
                for entry in kept {
                    let receipt = entry.receipt
                    say("\(context.strings("cli.receipt", ["number": receipt.number, "time": context.formats.dateTime(receipt.receivedAt)]))")
                    say("  \(context.describe(entry.target, references))")
                    if let line = context.referenceLine(receipt) { say("  \(line)") }
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
    /// should cover.
    struct VerifyReceipts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify a file of signed receipts (from --export) offline: each valid, or what is wrong.")

        @OptionGroup var common: CommonOptions
        @Argument(help: "The file --export wrote.") var file: String

        func run() async throws {
            let strings = common.strings
            guard let data = FileManager.default.contents(atPath: file) else {
                throw fail(strings("client.error.file_unreadable", ["path": UntrustedText.sanitized(file)]))
            }
            guard let export = try? ReceiptExport.decode(data) else {
                throw fail(strings("cli.receipts_file_invalid", ["path": UntrustedText.sanitized(file)]))
            }
            let verdicts = await export.verify()
            for (index, verdict) in verdicts.enumerated() {
                let number: String
                switch verdict {
                case .valid(let statement, _), .textChanged(let statement), .fileChanged(let statement): number = statement.receipt
                case .unknownKey, .badSignature: number = "#\(index + 1)"
                }
                say("\(UntrustedText.sanitized(number))  \(strings(verdict.messageKey))")
            }
            let failed = verdicts.filter { !$0.isValid }.count
            say("\(strings("cli.receipts_verified", ["valid": String(verdicts.count - failed), "count": String(verdicts.count)]))")
            if failed > 0 { throw ExitCode(ExitStatus.refused) }
        }
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
