import ApplicantStore
import Foundation
import PortalClient
import PorttiModel

/// The names a person sees and types, and the portal's ids behind them. An application is named by its
/// reference number (`MIG-2026-000001`); a request by its application's reference and its number among that
/// application's requests, oldest first (`MIG-2026-000001/2`); a decision by its application's reference (an
/// application has one). The portal's ids are accepted too, and only `--json` prints them.
struct References: Sendable {
    let applications: [Application]
    /// Each application's requests by its id, oldest first: a request's number is its place here, from 1.
    let requests: [String: [SupplementRequest]]
    /// The portal's topics, for their titles; none when not known here.
    var topics: [MessageTopic] = []

    static let none = References(applications: [], requests: [:])

    /// A topic's title in `language`, or its code when the portal's list is not known here.
    func topicTitle(_ code: String, language: String) -> String {
        topics.first { $0.code == code }?.titles.title(language: language) ?? code
    }

    /// The application `name` names: its reference number (in any case) or its id.
    func application(named name: String) -> Application? {
        applications.first { $0.id == name || $0.referenceNumber.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// `MIG-2026-000001/2`, for a request this machine knows of.
    func handle(ofRequest id: String) -> String? {
        for application in applications {
            if let index = requests[application.id]?.firstIndex(where: { $0.id == id }) {
                return Self.handle(application.referenceNumber, index)
            }
        }
        return nil
    }

    static func handle(_ reference: String, _ index: Int) -> String { "\(reference)/\(index + 1)" }

    /// A request's name split into its application's name and its number: `MIG-2026-000001/2` → (`MIG-2026-000001`, 2).
    static func requestName(_ name: String) -> (application: String, number: Int)? {
        guard let slash = name.lastIndex(of: "/"), let number = Int(name[name.index(after: slash)...]), number > 0 else { return nil }
        return (String(name[..<slash]), number)
    }

    /// Requests oldest first, the order that numbers them.
    static func inOrder(_ requests: [SupplementRequest]) -> [SupplementRequest] {
        requests.sorted { ($0.sentAt, $0.id) < ($1.sentAt, $1.id) }
    }
}

extension ApplicantContext {
    /// The applications (from the portal, or as kept when it cannot be reached), without a note of their age.
    func knownApplications(_ store: ApplicantStore) async throws -> [Application] {
        try await readThroughCache(store, key: "applications") { try await client.applications() }.value
    }

    /// An application's requests oldest first, likewise.
    func knownRequests(_ store: ApplicantStore, applicationID: String) async throws -> [SupplementRequest] {
        References.inOrder(try await readThroughCache(store, key: "requests:\(applicationID)") {
            try await client.requests(applicationID: applicationID)
        }.value)
    }

    /// What this machine can learn of the names of the account's things, for printing them; what cannot be
    /// learnt now (the portal out of reach, nothing kept) is left out, never failing the command.
    func references(_ store: ApplicantStore, requests withRequests: Bool = true) async -> References {
        let topics = await knownTopics(store)
        guard let applications = try? await knownApplications(store) else {
            return References(applications: [], requests: [:], topics: topics)
        }
        var requests: [String: [SupplementRequest]] = [:]
        if withRequests {
            for application in applications {
                requests[application.id] = try? await knownRequests(store, applicationID: application.id)
            }
        }
        return References(applications: applications, requests: requests, topics: topics)
    }

    /// The id of the application `name` names (its reference number or its id). With the portal out of reach
    /// and nothing kept, a portal's id is taken as given (a message to it then waits in the outbox).
    /// - Throws: a `Failure` naming `name` when it is none of the account's applications.
    func applicationID(_ store: ApplicantStore, named name: String) async throws -> String {
        // The kept list first: a message is written to the outbox before anything goes on the network, so a
        // portal that never answers cannot hold it back from there.
        if let kept: Fresh<[Application]> = await cachedOnly(store, key: "applications"),
           let application = References(applications: kept.value, requests: [:]).application(named: name) {
            return application.id
        }
        let applications: [Application]
        do {
            applications = try await knownApplications(store)
        } catch let error as ClientError where error.isTransient && name.hasPrefix("application_") {
            return name
        }
        guard let application = References(applications: applications, requests: [:]).application(named: name) else {
            throw Failure(strings("cli.unknown_application", ["name": UntrustedText.sanitized(name)]), ExitStatus.refused)
        }
        return application.id
    }

    /// The id of the request `name` names (`MIG-2026-000001/2`, or its id, taken as given).
    /// - Throws: a `Failure` naming `name` when the application has no such request.
    func requestID(_ store: ApplicantStore, named name: String) async throws -> String {
        if name.hasPrefix("request_") { return name }
        guard let (applicationName, number) = References.requestName(name) else {
            throw Failure(strings("cli.unknown_request", ["name": UntrustedText.sanitized(name)]), ExitStatus.refused)
        }
        let applicationID = try await applicationID(store, named: applicationName)
        // Kept first, as for applications: the request numbered is the same request whenever it was learnt.
        let kept: Fresh<[SupplementRequest]>? = await cachedOnly(store, key: "requests:\(applicationID)")
        if let kept, number <= kept.value.count { return References.inOrder(kept.value)[number - 1].id }
        let requests = try await knownRequests(store, applicationID: applicationID)
        guard number <= requests.count else {
            throw Failure(strings("cli.unknown_request", ["name": UntrustedText.sanitized(name)]), ExitStatus.refused)
        }
        return requests[number - 1].id
    }

    /// Where a message goes, in the words a person knows it by.
    func describe(_ target: MessageTarget, _ references: References) -> String {
        switch target {
        case .request(let id):
            strings("cli.target_request", ["reference": references.handle(ofRequest: id) ?? strings("cli.reference_unknown")])
        case .application(let id):
            strings("cli.target_application", [
                "reference": references.application(named: id)?.referenceNumber ?? strings("cli.reference_unknown"),
            ])
        case .topic(let code): strings("cli.target_topic", ["topic": references.topicTitle(code, language: settings.language.rawValue)])
        case .reply(let id): strings("cli.target_reply", ["id": id])
        }
    }

    /// The target `name` names, among the targets given: a request's or an application's name, or its id.
    func target(named name: String, among targets: [MessageTarget], _ references: References) -> MessageTarget? {
        targets.first { target in
            switch target {
            case .request(let id): id == name || references.handle(ofRequest: id)?.caseInsensitiveCompare(name) == .orderedSame
            case .application(let id): id == name || references.application(named: name)?.id == id
            case .topic(let code): code == name
            case .reply(let id): id == name
            }
        }
    }
}
