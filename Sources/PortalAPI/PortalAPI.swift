import Foundation
import OpenAPIRuntime

// The portal contract. Types, the server protocol (`APIProtocol`) and the `Client` are generated at build
// time from openapi.yaml beside this file by swift-openapi-generator; that document is the one place
// where routes and payloads are written.

/// The path every operation of the contract is served under.
public let portalAPIBasePath = "/api/v1"

/// Dates as the contract writes them (RFC 3339 in UTC, whole seconds), through Foundation's ISO 8601 format
/// style. The runtime's default goes through one locked `ISO8601DateFormatter` (ICU) shared by every request;
/// under load the portal's requests queued on that lock.
public struct PortalDateTranscoder: DateTranscoder {
    private static let wholeSeconds = Date.ISO8601FormatStyle()
    private static let fractionalSeconds = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public init() {}

    public func encode(_ date: Date) throws -> String { Self.wholeSeconds.format(date) }

    public func decode(_ text: String) throws -> Date {
        if let date = (try? Self.wholeSeconds.parse(text)) ?? (try? Self.fractionalSeconds.parse(text)) { return date }
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not an RFC 3339 date-time"))
    }
}

extension Configuration {
    /// The runtime configuration both sides of the contract use: compact JSON (keys still sorted, so the
    /// same value is always the same bytes).
    public static var portal: Configuration {
        Configuration(dateTranscoder: PortalDateTranscoder(), jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])
    }
}
