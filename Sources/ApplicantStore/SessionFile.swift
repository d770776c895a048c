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
        let name = XDG.safeName(portal.host.map { "\($0)-\(portal.port ?? 0)" } ?? "portal")
        path = XDG.stateHome(environment).appending(path: "portti/sessions/\(name).json").path
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
