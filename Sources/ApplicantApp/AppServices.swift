import ApplicantStore
import Delivery
import Foundation
import PortalClient
import PorttiModel

/// The outside world the app reaches through its effects: the portal client and the applicant's records.
public struct AppServices: Sendable {
    public let client: PortalClient
    public let portalURL: URL
    public let environment: [String: String]
    public let sessionFile: SessionFile
    /// Shown on the start page when Portti started its own demo portal.
    public let portalNote: String?
    /// Runs the applicant's editor on a file, with the terminal lent to it; answers whether it ended well.
    public let runEditor: @Sendable (_ path: String) -> Bool
    public let timing: AppTiming
    /// Where the file picker opens: the folder Portti was started in.
    public let pickerFolder: String

    public init(
        client: PortalClient, portalURL: URL, environment: [String: String], portalNote: String?,
        timing: AppTiming = AppTiming(), pickerFolder: String = FileManager.default.currentDirectoryPath,
        runEditor: @escaping @Sendable (String) -> Bool
    ) {
        self.timing = timing
        self.pickerFolder = pickerFolder
        self.client = client
        self.portalURL = portalURL
        self.environment = environment
        sessionFile = SessionFile(portal: portalURL, environment: environment)
        self.portalNote = portalNote
        self.runEditor = runEditor
    }

    func openAccount(_ applicant: Applicant) throws -> Account {
        let store = try ApplicantStore(path: ApplicantStore.path(portal: portalURL, username: applicant.username, environment: environment))
        return Account(applicant: applicant, store: store, courier: Courier(client: client, store: store))
    }
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
