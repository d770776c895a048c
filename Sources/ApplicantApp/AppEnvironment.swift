import ApplicantStore
import Delivery
import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel
import TerminalUI

/// The time as the app reads it: the system's, or one a test sets.
public struct AppClock: Sendable {
    public var now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = AppClock { Date() }

    public static func fixed(_ date: Date) -> AppClock { AppClock { date } }
}

/// The outside world the app reaches through its effects (the portal client, the editor), and what it needs
/// to know of this machine, as values taken once when the program starts: `update` and `view` never ask the
/// process for its folder, its time zone or `$HOME`.
public struct AppServices: Sendable {
    public let client: PortalClient
    public let portalURL: URL
    /// Whose records and session these are: the portal's address, or the demo portal whatever its port.
    public let portalIdentity: PortalIdentity
    /// The process environment, for the effects that find the applicant's files (`$XDG_DATA_HOME`, ...).
    public let environment: [String: String]
    public let sessionFile: SessionFile
    /// Shown on the start page when Portti started its own demo portal.
    public let portalNote: DemoPortalNote?
    /// Runs the applicant's editor on a file, with the terminal lent to it; answers how it ended.
    public let runEditor: @Sendable (_ path: String) -> EditorRun
    public let timing: AppTiming
    /// Where the file picker opens first: the folder Portti was started in.
    public let pickerFolder: String
    /// The applicant's home folder: where `~` leads, and where a decision's document is offered to be saved.
    public let home: String
    /// The local time's offset from UTC in seconds, for the times the picker shows.
    public let utcOffset: Int
    public let clock: AppClock
    /// Keeps the language the applicant chose (F2) for the next start; blocking file work, run off the
    /// terminal thread.
    public let rememberLanguage: @Sendable (Language) -> Void

    public init(
        client: PortalClient, portalURL: URL, portalIdentity: PortalIdentity? = nil, environment: [String: String],
        portalNote: DemoPortalNote?, timing: AppTiming = AppTiming(), pickerFolder: String, utcOffset: Int, clock: AppClock = .system,
        runEditor: @escaping @Sendable (String) -> EditorRun,
        rememberLanguage: @escaping @Sendable (Language) -> Void = { _ in }
    ) {
        self.rememberLanguage = rememberLanguage
        self.timing = timing
        self.pickerFolder = pickerFolder
        self.client = client
        self.portalURL = portalURL
        self.environment = environment
        self.portalIdentity = portalIdentity ?? PortalIdentity(portalURL)
        sessionFile = SessionFile(portal: self.portalIdentity, environment: environment)
        self.portalNote = portalNote
        self.runEditor = runEditor
        home = environment["HOME"] ?? pickerFolder
        self.utcOffset = utcOffset
        self.clock = clock
    }

    /// Opens the applicant's records (SQLite) on a thread of its own: never on the terminal thread, never
    /// holding one of the cooperative pool's few threads.
    func openAccount(_ applicant: Applicant) async -> Result<Account, ClientError> {
        let path = ApplicantStore.path(portal: portalIdentity, username: applicant.username, environment: environment)
        let client = self.client
        return await BlockingWork.run {
            guard let store = try? ApplicantStore(path: path) else { return .failure(.localStorageFailed) }
            return .success(Account(applicant: applicant, store: store, courier: Courier(client: client, store: store)))
        }
    }
}

/// Where the demo portal Portti started runs and how to sign in to it; worded when drawn, in the language
/// the applicant reads at that moment.
public struct DemoPortalNote: Sendable, Hashable {
    public var url: URL
    public var folder: String
    public var username: String
    public var password: String

    public init(url: URL, folder: String, username: String, password: String) {
        self.url = url
        self.folder = folder
        self.username = username
        self.password = password
    }

    func text(_ strings: StringTable) -> String {
        strings("start.demo_note", ["url": url.absoluteString, "folder": folder, "username": username, "password": password])
    }
}

/// How the applicant's own editor (`$VISUAL`, `$EDITOR`) ended: the message is taken from its file only
/// when it finished; otherwise the draft stays as it was and the screen says why.
public enum EditorRun: Sendable, Hashable {
    case finished
    /// The command could not be found or run (the shell's status 126 or 127).
    case notFound(editor: String)
    /// It ran and ended with this status, or could not be started at all (status -1).
    case failed(editor: String, status: Int32)
}

/// How long things take on screen; tests shorten them.
public struct AppTiming: Sendable {
    /// Typing pauses this long before the draft is written (a crash loses at most this much).
    public var draftSaveDelay: Duration = .milliseconds(500)
    /// News stays on the status line this long.
    public var newsDuration: Duration = .seconds(10)
    /// Listen for new notifications while the app is open.
    public var followsNotifications = true

    public init(draftSaveDelay: Duration = .milliseconds(500), newsDuration: Duration = .seconds(10), followsNotifications: Bool = true) {
        self.draftSaveDelay = draftSaveDelay
        self.newsDuration = newsDuration
        self.followsNotifications = followsNotifications
    }
}

/// The signed-in applicant and their records.
public struct Account: Sendable {
    public let applicant: Applicant
    public let store: ApplicantStore
    public let courier: Courier
}

/// What a feature's `update` may read besides its state and the message: the services, the account once its
/// records are open, the area the screen draws into (from the terminal's size), the words and the time.
/// The root makes it for each message.
struct AppEnvironment: Sendable {
    let services: AppServices
    let account: Account?
    /// The screen's area, as `view` will get it.
    let screen: Rect
    let context: ViewContext
    /// Where the last file was picked: the next picker opens there.
    let lastPickFolder: FileSystemPath?

    var client: PortalClient { services.client }
    var now: Date { context.now }

    /// `work`'s outcome, its failure as the client's typed error (anything else is the local records').
    static func result<Value>(_ work: () async throws -> Value) async -> Result<Value, ClientError> {
        do { return .success(try await work()) } catch let error as ClientError { return .failure(error) } catch {
            return .failure(.localStorageFailed)
        }
    }

    /// What the records kept under `key`, at once, when there is a copy (it carries the time it was fetched, so
    /// the screen marks it as such); then the portal's answer, or the kept copy marked offline when the portal
    /// cannot be reached. An applicant offline sees the copy at once, not "Loading…" for the retries' length.
    ///
    /// `knownElsewhere` finds it in what another screen kept (a conversation in the overview of all messages)
    /// when nothing is kept under `key`: shown at once, and again, marked offline, when the portal cannot be
    /// reached, rather than "Loading…" for the retries' length and then an error.
    static func keptThenFresh<Value: Codable & Sendable, M: Sendable>(
        _ name: String, _ store: ApplicantStore, key: String,
        knownElsewhere: (@Sendable (ApplicantStore) async -> Fresh<Value>?)? = nil,
        fetch: @escaping @Sendable () async throws -> Value,
        _ message: @escaping @Sendable (Result<Fresh<Value>, ClientError>) async -> M
    ) -> Effect<M> {
        .stream(name) { post in
            var kept: Fresh<Value>? = await cachedOnly(store, key: key)
            if kept == nil, let knownElsewhere { kept = await knownElsewhere(store) }
            if let kept { post(await message(.success(kept))) }
            let fresh = await result { try await readThroughCache(store, key: key, fetch) }
            if case .failure(let error) = fresh, error.isTransient, let kept {
                post(await message(.success(kept)))
            } else {
                post(await message(fresh))
            }
        }
    }

    /// The overview of all messages kept (what the Messages list showed), for a conversation or a message not
    /// opened before; each screen keeps of it what is its own.
    static func messagesKnown(_ store: ApplicantStore) async -> Fresh<ConversationPage>? {
        await cachedOnly(store, key: ConversationPage.overviewKey)
    }

    /// The notifications and the unread count, through the cache.
    static func notifications(_ client: PortalClient, _ store: ApplicantStore) async -> Result<Fresh<NotificationList>, ClientError> {
        await result { try await readThroughCache(store, key: "notifications") { try await notificationList(client) } }
    }

    /// The notifications and the unread count, from the portal: what is kept under "notifications".
    static func notificationList(_ client: PortalClient) async throws -> NotificationList {
        let answer = try await client.notifications()
        return NotificationList(notifications: answer.notifications, unread: answer.unread)
    }

    /// An application's reference number: the kept one (it never changes), else through the cache; empty when
    /// it cannot be had.
    static func referenceNumber(of applicationID: String, _ client: PortalClient, _ store: ApplicantStore) async -> String {
        if let kept: Fresh<ApplicationOverview> = await cachedOnly(store, key: "application:\(applicationID)") {
            return kept.value.application.referenceNumber
        }
        return (try? await readThroughCache(store, key: "application:\(applicationID)") {
            try await client.application(id: applicationID)
        })?.value.application.referenceNumber ?? ""
    }
}

/// An application with its timeline and its requests: what its screen shows.
public struct ApplicationPage: Codable, Sendable, Equatable {
    public var overview: ApplicationOverview
    public var requests: [SupplementRequest]
}

/// The notifications and the unread count, as listed and cached.
public struct NotificationList: Codable, Sendable, Equatable {
    public var notifications: [PortalNotification]
    public var unread: Int
}

/// Outcomes of delivering the outbox, as messages carry them.
public struct OutboxOutcome: Sendable {
    public var item: OutboxItem
    public var receipt: Receipt?
    public var error: ClientError?
}

/// Messages (a conversation, all of them, or one) with the portal's topics, which word what a message on
/// another matter is about: what the conversation screens show, and keep for reading offline.
public struct ConversationPage: Codable, Sendable, Equatable {
    public var messages: [Message]
    public var topics: [MessageTopic]

    /// The messages of `applicationID`'s conversation (nil: all), with the topics.
    static func fetch(_ client: PortalClient, applicationID: String?) async throws -> ConversationPage {
        async let messages = client.messages(applicationID: applicationID)
        async let topics = client.messageTopics()
        return ConversationPage(messages: try await messages, topics: try await topics)
    }

    /// The key the overview of all messages is kept under.
    static let overviewKey = "conversations"

    /// The authority's messages not opened yet.
    var unread: Int { messages.filter(\.isUnread).count }
}
