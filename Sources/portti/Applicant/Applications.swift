import ApplicantStore
import ArgumentParser
import Foundation
import PortalClient
import PorttiModel

extension Portti {
    /// Lists the applications with their status.
    struct Applications: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "applications", abstract: "List your applications and their status.")

        @OptionGroup var options: ApplicantOptions

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                let applications = try await context.fresh(store, key: "applications") { try await $0.applications() }
                if options.json { return try sayJSON(applications) }
                let strings = context.strings
                for application in applications {
                    say("\(application.referenceNumber)\t\(strings("application.type.\(application.type.rawValue)"))\t"
                        + "\(strings("application.status.\(application.status.rawValue)"))\t\(context.formats.date(application.updatedAt))")
                }
            }
        }
    }

    /// One application: its processing timeline and its requests for additional information.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "application", abstract: "Show an application: status, processing timeline, requests.")

        @OptionGroup var options: ApplicantOptions
        @Argument(help: "The application's reference number, MIG-2026-000001 (see `portti applications`).") var application: String

        struct Answer: Encodable {
            var overview: ApplicationOverview
            var requests: [SupplementRequest]
        }

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                let id = try await context.applicationID(store, named: application)
                let overview = try await context.fresh(store, key: "application:\(id)") { try await $0.application(id: id) }
                let requests = References.inOrder(try await context.fresh(store, key: "requests:\(id)") {
                    try await $0.requests(applicationID: id)
                })
                if options.json { return try sayJSON(Answer(overview: overview, requests: requests)) }
                let strings = context.strings
                let app = overview.application
                say("\(app.referenceNumber)  \(strings("application.type.\(app.type.rawValue)"))")
                say("\(strings("cli.status", ["status": strings("application.status.\(app.status.rawValue)")]))")
                say("")
                say("\(strings("cli.timeline"))")
                for event in overview.timeline {
                    let status = event.kind == .statusChanged ? ": " + strings("application.status.\(event.status.rawValue)") : ""
                    say("  \(context.formats.dateTime(event.at))  \(strings("timeline.\(event.kind.rawValue)") + status)")
                }
                if !requests.isEmpty {
                    say("")
                    say("\(strings("cli.requests"))")
                    for (index, request) in requests.enumerated() {
                        say("  \(context.requestLine(request, References.handle(app.referenceNumber, index)))")
                    }
                }
                if overview.decisionID != nil {
                    say("")
                    say("\(strings("cli.decision_line", ["reference": app.referenceNumber]))")
                }
            }
        }
    }

    /// The requests for additional information of an application.
    struct Requests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "requests",
            abstract: "List the requests for additional information of an application, with their deadlines.")

        @OptionGroup var options: ApplicantOptions
        @Argument(help: "The application's reference number, MIG-2026-000001.") var application: String
        @Flag(help: "Print each request's full text and the items asked for.") var full = false

        func run() async throws {
            try await withApplicant(options) { context in
                let store = try context.requireStore()
                let id = try await context.applicationID(store, named: application)
                let requests = References.inOrder(try await context.fresh(store, key: "requests:\(id)") {
                    try await $0.requests(applicationID: id)
                })
                if options.json { return try sayJSON(requests) }
                let reference = try await context.knownApplications(store).first { $0.id == id }?.referenceNumber ?? application
                for (index, request) in requests.enumerated() {
                    say(context.requestLine(request, References.handle(reference, index)))
                    guard full else { continue }
                    say("\(lines: request.text, indent: "    ")")
                    for item in request.items { say("    • \(item)") }
                }
            }
        }
    }
}

extension ApplicantContext {
    /// The answer from the portal, kept in the cache; when the portal cannot be reached, the cached answer
    /// with a note of its age (marked offline), or the error when nothing is cached.
    func fresh<Value: Codable & Sendable>(
        _ store: ApplicantStore, key: String, _ fetch: (PortalClient) async throws -> Value
    ) async throws -> Value {
        let answer = try await readThroughCache(store, key: key) { try await fetch(client) }
        if let offlineSince = answer.offlineSince { note("\(strings("cli.offline", ["time": formats.dateTime(offlineSince)]))") }
        return answer.value
    }

    /// A request on one line, under the name a person types (`MIG-2026-000001/2`).
    func requestLine(_ request: SupplementRequest, _ name: String) -> TerminalText {
        let now = Date()
        let state = request.state(at: now)
        let line: TerminalText = "\(name)\t\(strings("request.state.\(state.rawValue)"))\t"
            + "\(strings("cli.deadline", ["date": formats.date(request.deadline)]))"
        guard state == .open, let left = strings.daysLeft(formats.daysLeft(until: request.deadline, now: now)) else { return line }
        return "\(line)\t\(left)"
    }
}
