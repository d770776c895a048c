import HTTPTypes
import Hummingbird
import OpenAPIRuntime
import Synchronization

/// The contract's paths and the methods each has, as the generated code registers them: what lets the portal
/// answer a method a path lacks with 405 and `Allow` (RFC 9110, 15.5.6) instead of 404.
final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], method: HTTPRequest.Method)]>([])

    func add(method: HTTPRequest.Method, path: String) {
        routes.withLock { $0.append((Self.segments(path), method)) }
    }

    /// The methods of the path template that `path` (a request's path, without its query) matches; empty
    /// when no template matches it.
    func methods(matching path: String) -> [HTTPRequest.Method] {
        let requested = Self.segments(path)
        let methods = routes.withLock { routes in
            routes.filter { Self.matches(template: $0.segments, requested) }.map(\.method)
        }
        var seen = Set<String>()
        return methods.filter { seen.insert($0.rawValue).inserted }
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func matches(template: [Substring], _ requested: [Substring]) -> Bool {
        guard template.count == requested.count else { return false }
        return zip(template, requested).allSatisfy { pattern, segment in
            (pattern.hasPrefix("{") && pattern.hasSuffix("}")) || pattern.hasPrefix(":") || pattern == segment
        }
    }
}

/// Registers the generated operations on the router and writes each path and method into a `RouteTable`.
struct RecordingTransport: ServerTransport {
    let router: Router<BasicRequestContext>
    let table: RouteTable

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method, path: String
    ) throws {
        table.add(method: method, path: path)
        router.register(handler, method: method, path: path)
    }
}
