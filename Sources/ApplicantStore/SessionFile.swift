import Foundation
import PorttiModel

/// The signed-in session for one portal, kept between commands in a file only the user can read (0600).
/// The password is never written anywhere.
public struct SessionFile: Sendable {
    public struct Content: Codable, Sendable {
        public var username: String
        public var token: String
        public var expiresAt: Date
        /// The applicant's name as the portal gave it, for the screen.
        public var displayName: String?

        public init(username: String, token: String, expiresAt: Date, displayName: String? = nil) {
            self.username = username
            self.token = token
            self.expiresAt = expiresAt
            self.displayName = displayName
        }
    }

    public let path: String

    public init(portal: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(portal: PortalIdentity(portal), environment: environment)
    }

    /// `$XDG_STATE_HOME/portti/sessions/<identity>.json`.
    public init(portal: PortalIdentity, environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = XDG.stateHome(environment).appending(path: "portti/sessions/\(portal.name).json").path
    }

    public func read() -> Content? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Content.self, from: data)
    }

    /// Written to a private temporary file and renamed, so the token is never readable by others, even briefly.
    public func write(_ content: Content) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(content)
        let temporary = path + ".\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Which portal an applicant's records (`ApplicantStore`) and session (`SessionFile`) belong to: the name of
/// their folder and file. A portal is known by its address (`host-port`); the demo portal Portti starts on this
/// machine is one portal whatever port it comes up on, so its records do not vanish when the port changes.
public struct PortalIdentity: Sendable, Hashable {
    /// One path component: `127.0.0.1-8080`, `portal.migri.fi-443`, or `demo-portal`.
    public let name: String

    /// The portal at `url`: its host and port (0 when the address names none, as before).
    public init(_ url: URL) {
        name = XDG.safeName(url.host.map { "\($0)-\(url.port ?? 0)" } ?? "portal")
    }

    private init(name: String) { self.name = name }

    /// The demo portal in `$XDG_DATA_HOME/portti/demo-portal` (no port: a host name always has one).
    public static let demo = PortalIdentity(name: "demo-portal")
}
