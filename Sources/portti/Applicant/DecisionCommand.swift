import ArgumentParser
import ApplicantStore
import Foundation
import PortalClient
import PorttiModel

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
            abstract: "List the confirmations of receipt kept for everything you sent; --export writes them to a file.")

        @OptionGroup var options: ApplicantOptions
        @Option(help: "Write the receipts as text to this file.") var export: String?

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                let kept = try store.receipts()
                if options.json && export == nil { return try sayJSON(kept) }
                let references = kept.isEmpty ? References.none : await context.references(store)
                var lines: [TerminalText] = []
                for entry in kept {
                    let receipt = entry.receipt
                    lines.append("\(context.strings("cli.receipt", ["number": receipt.number, "time": context.formats.dateTime(receipt.receivedAt)]))")
                    lines.append("  \(context.describe(entry.target, references))")
                    if let line = context.referenceLine(receipt) { lines.append("  \(line)") }
                    for file in receipt.files {
                        lines.append("  \(file.name)  \(file.size)  SHA-256 \(file.sha256)")
                    }
                }
                if let export {
                    let text = lines.map { $0.text + "\n" }.joined()
                    do throws(ClientError) { try LocalFile.writeNew(Data(text.utf8), to: export) } catch { throw context.failure(error) }
                    return say("\(context.strings("cli.exported", count: kept.count, ["path": export]))")
                }
                if kept.isEmpty { return say("\(context.strings("cli.no_receipts"))") }
                lines.forEach(say)
            }
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
