import ArgumentParser
import Foundation
import PortalServer
import PortalStore
import PorttiLocalization
import PorttiModel

extension Portti {
    /// The case officer's side, working on the portal's data folder directly.
    struct Officer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "officer",
            abstract: "The case officer's tools: accounts, applications, requests, incoming messages, decisions.",
            subcommands: [
                CreateApplicant.self, CreateApplication.self, Applications.self, SetStatus.self, Request.self,
                ExtendDeadline.self, Messages.self, Queue.self, Read.self, Message.self, Reply.self, Decide.self,
                MigrateTo.self, RotateReceiptKey.self,
            ]
        )
    }
}

/// The options and the opened store every officer command needs.
struct OfficerContext: ParsableArguments {
    @OptionGroup var common: CommonOptions
    @OptionGroup var data: PortalDataOptions

    var strings: StringTable { common.strings }

    var dataFolder: URL {
        data.dataFolder.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? defaultPortalDataFolder()
    }

    /// The portal's store and documents: SQLite and files in the data folder, or the PostgreSQL database
    /// `--database` names; its pool (if any) runs until the command ends.
    /// - Parameter creating: a data folder that holds no portal yet gets a new one (`portti demo`); otherwise
    ///   such a folder (a mistyped `--data`) is refused with exit 64, so that no stray portal is made.
    func open(creating: Bool = false) async throws -> OpenedPortalStore {
        let database = try await PortalDatabase.resolve(option: data.database, strings: strings)
        if case .sqlite = database, !creating,
           !FileManager.default.fileExists(atPath: PortalConfiguration(dataFolder: dataFolder).databasePath)
        {
            note("\(strings("officer.no_portal", ["path": dataFolder.path]))")
            throw ExitCode(64)
        }
        return try await OpenedPortalStore.open(database, dataFolder: dataFolder, strings: strings)
    }

    /// The portal's store (see `open`).
    func openStore() async throws -> any PortalStore {
        try await open().store
    }

    /// A calendar day (`YYYY-MM-DD`) as its last moment in the authority's time zone: a deadline lasts the day.
    func deadline(_ text: String) throws -> Date {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        var components = DateComponents()
        if parts.count == 3 { (components.year, components.month, components.day) = (parts[0], parts[1], parts[2]) }
        guard parts.count == 3, components.isValidDate(in: .portal), let day = Calendar.portal.date(from: components)
        else { throw ValidationError(strings("officer.bad_date", ["value": text])) }
        return Calendar.portal.endOfDay(day)
    }

    func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: Calendar.portal.timeZone).year().month().day())
    }
}

extension Portti.Officer {
    struct CreateApplicant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-applicant",
            abstract: "Create an applicant account. The password is read from --password-file or typed.")

        @OptionGroup var context: OfficerContext
        @Option(help: "The user name the applicant signs in with.") var username: String
        @Option(help: "The applicant's name as shown.") var name: String
        @Option(help: "A file whose first line is the password.") var passwordFile: String?
        @Option(help: "bcrypt cost (work factor), 4 to 12; the portal brings each hash to its own cost at sign-in.")
        var bcryptCost: UInt8 = 12

        func validate() throws {
            // Never above the portal's cost: a costlier hash would make a wrong password for this name slower
            // than for one that does not exist (a cheaper one gets the decoy's work added at sign-in).
            guard (4...12).contains(bcryptCost) else {
                throw ValidationError(context.strings("officer.bad_bcrypt_cost"))
            }
            // Names as the portal will compare them: visible, bounded (it refuses longer ones before a check).
            let visible = { (text: String) in UntrustedText.sanitized(text) == text }
            guard !username.isEmpty, username.utf8.count <= 256, visible(username),
                  username.trimmingCharacters(in: .whitespaces) == username
            else { throw ValidationError(context.strings("officer.bad_username")) }
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty, visible(name) else {
                throw ValidationError(context.strings("officer.bad_name"))
            }
        }

        func run() async throws {
            let strings = context.strings
            let password: String
            if let passwordFile {
                guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                    throw fail(strings("officer.unreadable_file", [
                        "path": passwordFile, "reason": strings("officer.reason_unreadable")]))
                }
                password = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
            } else {
                password = readPassword(prompt: strings("officer.password_prompt", ["username": username]))
            }
            guard !password.isEmpty else { throw fail(strings("officer.password_empty")) }
            // bcrypt stops at NUL and reads 72 bytes: a password past either would not be the one that counts.
            guard !password.unicodeScalars.contains("\u{0}") else { throw fail(strings("officer.password_nul")) }
            guard password.utf8.count <= 72 else { throw fail(strings("officer.password_too_long")) }
            let store = try await context.openStore()
            let applicant: Applicant
            do {
                applicant = try await store.createApplicant(
                    username: username, displayName: name,
                    passwordHash: try await Passwords.hash(password, cost: bcryptCost), now: Date())
            } catch PortalStoreError.usernameTaken {
                throw fail(strings("officer.username_taken", ["username": username]))
            }
            say("\(strings("officer.applicant_created", ["username": username, "id": applicant.id]))")
        }

        private func readPassword(prompt: String) -> String {
            if isatty(STDIN_FILENO) == 1, let typed = getpass(prompt) { return String(cString: typed) }
            return readLine(strippingNewline: true) ?? ""
        }
    }

    struct CreateApplication: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-application", abstract: "File an application for an applicant.")

        @OptionGroup var context: OfficerContext
        @Option(help: "The applicant's user name.") var username: String
        @Option(help: "One of: \(ApplicationType.allCases.map(\.rawValue).joined(separator: ", ")).")
        var type: String

        func run() async throws {
            let strings = context.strings
            guard let type = ApplicationType(rawValue: type) else {
                throw fail(strings("officer.bad_type", [
                    "value": type, "choices": ApplicationType.allCases.map(\.rawValue).joined(separator: ", "),
                ]))
            }
            let store = try await context.openStore()
            guard let applicant = try await store.applicant(username: username) else {
                throw fail(strings("officer.unknown_applicant", ["username": username]))
            }
            let application = try await store.createApplication(applicantID: applicant.id, type: type, now: Date())
            say("\(strings("officer.application_created", ["reference": application.referenceNumber, "id": application.id]))")
        }
    }

    struct Applications: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "applications", abstract: "List an applicant's applications.")

        @OptionGroup var context: OfficerContext
        @Option(help: "The applicant's user name.") var username: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let strings = context.strings
            let store = try await context.openStore()
            guard let applicant = try await store.applicant(username: username) else {
                throw fail(strings("officer.unknown_applicant", ["username": username]))
            }
            let applications = try await store.applications(applicantID: applicant.id)
            if json { return try sayJSON(applications) }
            for application in applications {
                say("\(application.id)\t\(application.referenceNumber)\t\(strings("application.type.\(application.type.rawValue)"))\t"
                    + "\(strings("application.status.\(application.status.rawValue)"))")
            }
        }
    }

    struct SetStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-status", abstract: "Move an application to another status.")

        @OptionGroup var context: OfficerContext
        @Argument(help: "The application's id.") var application: String
        @Argument(help: "One of: \(ApplicationStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
        var status: String

        func run() async throws {
            let strings = context.strings
            guard let status = ApplicationStatus(rawValue: status) else {
                throw fail(strings("officer.bad_status", [
                    "value": status, "choices": ApplicationStatus.allCases.map(\.rawValue).joined(separator: ", "),
                ]))
            }
            let store = try await context.openStore()
            do {
                _ = try await store.setStatus(applicationID: application, status: status, now: Date())
            } catch let error as PortalError where error.code == .notFound {
                throw fail(strings("officer.unknown_application", ["id": application]))
            }
            say("\(strings("officer.status_changed", ["id": application, "status": strings("application.status.\(status.rawValue)")]))")
        }
    }

    struct RotateReceiptKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-receipt-key",
            abstract: "Make a new key to sign receipts with; the old ones stay published, so old receipts still verify.")

        @OptionGroup var context: OfficerContext

        func run() async throws {
            let store = try await context.openStore()
            let key = try await store.addReceiptSigningKey(.generate(now: Date()), onlyIfNone: false)
            let count = try await store.receiptSigningKeys().count
            say("\(context.strings("officer.receipt_key_rotated", count: count, ["kid": key.kid]))")
        }
    }

    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request",
            abstract: "Send a request for additional information; the applicant is notified.")

        @OptionGroup var context: OfficerContext
        @Argument(help: "The application's id.") var application: String
        @Option(help: "What the authority asks, in full.") var text: String
        @Option(name: .customLong("item"), help: "One document or fact asked for; repeat for more.")
        var items: [String] = []
        @Option(help: "The last day to answer, YYYY-MM-DD (the day ends at midnight, Finnish time).")
        var deadline: String

        func run() async throws {
            let strings = context.strings
            let deadline = try context.deadline(deadline)
            let store = try await context.openStore()
            let request: SupplementRequest
            do {
                request = try await store.issueRequest(
                    applicationID: application, text: text, items: items, deadline: deadline, now: Date())
            } catch let error as PortalError where error.code == .notFound {
                throw fail(strings("officer.unknown_application", ["id": application]))
            }
            say("\(strings("officer.request_issued", ["id": request.id, "deadline": context.format(request.deadline)]))")
        }
    }

    struct ExtendDeadline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "extend-deadline", abstract: "Extend the deadline of a request.")

        @OptionGroup var context: OfficerContext
        @Argument(help: "The request's id.") var request: String
        @Option(help: "The new last day, YYYY-MM-DD.") var deadline: String

        func run() async throws {
            let strings = context.strings
            let deadline = try context.deadline(deadline)
            let store = try await context.openStore()
            do {
                let extended = try await store.extendDeadline(requestID: request, deadline: deadline, now: Date())
                say("\(strings("officer.deadline_extended", ["id": extended.id, "deadline": context.format(extended.deadline)]))")
            } catch let error as PortalError where error.code == .notFound {
                throw fail(strings("officer.unknown_request", ["id": request]))
            } catch PortalStoreError.deadlineNotLater {
                throw fail(strings("officer.deadline_not_later"))
            } catch PortalStoreError.requestAnswered {
                throw fail(strings("officer.request_answered", ["id": request]))
            }
        }
    }

    struct Messages: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "messages",
            abstract: "List incoming messages, oldest first: the order they are handled in.")

        @OptionGroup var context: OfficerContext
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let messages = try await context.openStore().incomingMessages()
            if json { return try sayJSON(messages) }
            if messages.isEmpty { return say("\(context.strings("officer.no_messages"))") }
            for message in messages {
                let receipt = message.receipt
                say("\(receipt.number)\t\(receipt.receivedAt.formatted(.iso8601))\t\(context.about(message))\t\(message.applicantName)")
                if let requestID = receipt.requestID { say("  → \(requestID)") }
                say("\(lines: message.text, indent: "  ")")
                for file in receipt.files { say("  📎 \(file.name)  \(file.size)  \(file.sha256)") }
            }
        }
    }

    struct Decide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "decide",
            abstract: "Record a decision on an application; the applicant is notified.")

        @OptionGroup var context: OfficerContext
        @Argument(help: "The application's id.") var application: String
        @Option(help: "The decision's text.") var text: String
        @Option(help: "The signed decision document, a PDF file.") var document: String?

        func run() async throws {
            let strings = context.strings
            let opened = try await context.open()
            var sha256: String?
            if let document {
                do {
                    let stored = try await opened.documents.keep(fileAt: URL(fileURLWithPath: document))
                    guard stored.type == .pdf else { throw PortalError(.attachmentTypeRefused) }
                    sha256 = stored.sha256
                } catch let error as PortalError where error.code == .attachmentTypeRefused || error.code == .attachmentEmpty {
                    throw fail(strings("officer.document_not_pdf"))
                } catch let error as PortalError {
                    throw fail(strings("officer.unreadable_file", ["path": document, "reason": error.code.rawValue]))
                } catch {
                    throw fail(strings("officer.unreadable_file", ["path": document, "reason": error.localizedDescription]))
                }
            }
            do {
                let decision = try await opened.store.recordDecision(
                    applicationID: application, text: text, documentSHA256: sha256, now: Date())
                say("\(strings("officer.decision_recorded", ["id": decision.id]))")
            } catch let error as PortalError where error.code == .notFound {
                throw fail(strings("officer.unknown_application", ["id": application]))
            } catch PortalStoreError.decisionExists {
                throw fail(strings("officer.decision_exists", ["id": application]))
            }
        }
    }
}
