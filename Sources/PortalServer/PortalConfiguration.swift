import Foundation
import PorttiModel

/// Everything the portal server is built from, with the authority's defaults.
public struct PortalConfiguration: Sendable {
    /// Loopback unless told otherwise: without TLS the portal refuses other addresses (see `allowInsecure`).
    public var host: String = "127.0.0.1"
    /// 0 picks a free port.
    public var port: Int = 8080
    public var dataFolder: URL
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// An Ed25519 private key (PKCS#8 PEM) to sign receipts with; at start it is added to the store, where it
    /// signs from then on. Nil: the store's newest key signs (one is made if it has none).
    public var receiptKeyPath: String?
    /// Serve plain HTTP on a non-loopback address. Personal data must travel encrypted, so this is off.
    public var allowInsecure: Bool = false

    public var attachmentLimits = AttachmentLimits()
    public var maxMessageCharacters: Int = MessageRules.maxCharacters
    /// The largest JSON body accepted (uploads stream and are limited by `attachmentLimits`).
    public var maxJSONBodyBytes: Int = 1024 * 1024
    /// Days from the date a decision is served to the last day to appeal.
    public var appealDays: Int = 30
    /// A session ends after this long without use; every use moves the end on.
    public var sessionIdleTimeout: TimeInterval = 30 * 60
    /// An ended session is removed this long after its end; until then its token answers "session expired"
    /// rather than "unknown", so the applicant is told why they must sign in again.
    public var expiredSessionGrace: TimeInterval = 60 * 60
    /// How often ended sessions are looked for (also once at start).
    public var housekeepingInterval: Duration = .seconds(600)
    /// A session ends this long after sign-in however busy it is.
    public var sessionMaxLifetime: TimeInterval = 12 * 60 * 60
    /// Password checks under way at once; more sign-ins are asked to wait a second.
    public var maxPasswordChecksUnderWay: Int = 64
    /// Uploads read at once; more wait their turn without being read (see `AdmissionGate`).
    public var maxUploadsUnderWay: Int = 16
    /// Of those, how many one applicant's uploads may hold; their further uploads wait their turn.
    public var maxUploadsUnderWayPerApplicant: Int = Self.defaultMaxUploadsUnderWayPerApplicant
    public static let defaultMaxUploadsUnderWayPerApplicant = 4
    /// Uploads of one applicant, and of all together, that may wait for their turn; each holds a connection,
    /// so more are refused at once (`too_many_uploads`, 429) and tried again by the client.
    public var maxUploadsWaitingPerApplicant: Int = 8
    public var maxUploadsWaiting: Int = 512
    /// Notification streams one applicant may hold open; opening one more ends their oldest.
    public var maxStreamsPerApplicant: Int = 4
    /// An upload under way must average at least this many bytes a second once `uploadGrace` has passed, or
    /// it is refused (`upload_too_slow`), so a trickling sender cannot hold its place for ever. At 4 KiB/s a
    /// file of the default largest size (4 MiB) still arrives, in 17 minutes.
    public var minimumUploadBytesPerSecond: Int64 = 4096
    public var uploadGrace: Duration = .seconds(30)
    /// Files an applicant may upload within a day without sending them in a message (more are refused).
    public var maxUnsentAttachmentsPerDay: Int = Self.defaultMaxUnsentAttachmentsPerDay
    public static let defaultMaxUnsentAttachmentsPerDay = 50
    /// How long an uploaded file that was never sent in a message is kept (swept when the portal starts).
    public var unsentAttachmentRetention: TimeInterval = 7 * 86_400
    public var bcryptCost: UInt8 = 12
    /// A connection with no request under way (new, idle, or still sending its headers) is closed this long
    /// after it opened or after its last answer: a stalled client must not hold a file descriptor for ever.
    public var requestHeadTimeout: Duration = .seconds(10)
    /// A request's JSON body must arrive within this long of its headers (uploads keep their pace rule).
    public var requestBodyTimeout: Duration = .seconds(10)
    /// Failed sign-ins for one user name allowed before each further attempt has to wait, doubling each time.
    public var freeSignInAttempts: Int = 5
    public var maxSignInDelay: TimeInterval = 15 * 60
    /// How often the notification stream looks for notifications made by another process (the officer's CLI).
    public var notificationPollInterval: Duration = .milliseconds(250)

    public init(dataFolder: URL) {
        self.dataFolder = dataFolder
    }

    public var databasePath: String { dataFolder.appending(path: "portal.sqlite").path }
    public var documentsFolder: URL { dataFolder.appending(path: "documents", directoryHint: .isDirectory) }

    public var usesTLS: Bool { tlsCertificatePath != nil && tlsKeyPath != nil }

    /// Whether `host` is a loopback address: `localhost`, 127.0.0.0/8 or ::1, parsed as an address
    /// (so a name such as `127.example.net` is not taken for one).
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
        }
        return false
    }
}

/// The data folder when none is given: `$XDG_DATA_HOME/portti/portal`, or `~/.local/share/portti/portal`.
public func defaultPortalDataFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
    XDG.dataHome(environment).appending(path: "portti/portal", directoryHint: .isDirectory)
}
