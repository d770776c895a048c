import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PorttiModel

/// The first thing every request meets, before routing and the generated layer: the checks that hold for any
/// operation, each answered with the same `Problem` as a refusal inside an operation.
/// - A path, query, header or JSON string carrying U+0000 is refused (`nul_character`): SQLite cut text at
///   it silently, so `demo\u{0}x` signed in as `demo`, and PostgreSQL `text` cannot hold it at all.
/// - A buffered body over `maxBufferedBody` is refused the same way whether it declares its length or comes
///   chunked. Uploads (`streamingPaths`) stream and keep their own limits.
/// - A method the path lacks answers 405 with `Allow`; an unknown path 404.
/// - Anything that would still answer 500 is logged with its cause.
struct RequestBoundary<Context: RequestContext>: RouterMiddleware {
    let maxBufferedBody: Int
    let streamingPaths: Set<String>
    let routes: RouteTable
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var request = request
        do {
            try Self.refuseNUL(in: request)
            guard streamingPaths.contains(request.uri.path) else {
                if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBufferedBody {
                    throw PortalError(.malformedRequest, limit: Int64(maxBufferedBody), detail: "body too large")
                }
                let body: ByteBuffer
                do {
                    body = try await request.collectBody(upTo: maxBufferedBody)
                } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
                    // Chunked: the same answer as for a declared length, limit included.
                    throw PortalError(.malformedRequest, limit: Int64(maxBufferedBody), detail: "body too large")
                }
                try Self.refuseNUL(inJSON: body)
                return try await next(request, context)
            }
            var response = try await next(request, context)
            // A refused upload's body may be unread: the connection ends with the answer (see ConnectionDeadlines).
            if response.status.code >= 400 { response.headers[.connection] = "close" }
            return response
        } catch {
            var problem = PortalError.from(error)
            var allowed: [HTTPRequest.Method] = []
            if problem.code == .notFound {
                // Operations answer their own 404s; one thrown this far is the router's: no such route.
                allowed = routes.methods(matching: request.uri.path)
                if !allowed.isEmpty { problem = PortalError(.methodNotAllowed) }
            }
            if problem.code == .internalError {
                logger.error("\(request.method) \(request.uri.path) failed: \(String(reflecting: error))")
            }
            var (head, bytes) = problem.responseBytes
            if !allowed.isEmpty { head.headerFields[.allow] = allowed.map(\.rawValue).joined(separator: ", ") }
            return Response(
                status: head.status, headers: head.headerFields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    static func refuseNUL(in request: Request) throws {
        let decodedPath = request.uri.path.removingPercentEncoding ?? request.uri.path
        let decodedQuery = request.uri.query.map { $0.removingPercentEncoding ?? $0 } ?? ""
        let nul = "\u{0}"
        if decodedPath.contains(nul) || decodedQuery.contains(nul) || request.uri.path.lowercased().contains("%00")
            || (request.uri.query ?? "").lowercased().contains("%00")
            || request.headers.contains(where: { $0.value.contains(nul) })
        {
            throw PortalError(.nulCharacter, detail: "U+0000 in the path, query or a header")
        }
    }

    /// Refuses a JSON body with U+0000 in any string or key. A body that is not JSON is left to the
    /// operation, which refuses it as malformed.
    static func refuseNUL(inJSON body: ByteBuffer) throws {
        // Only a body with a backslash can spell U+0000 in JSON (a raw NUL byte is not valid JSON): the
        // common body is passed over without parsing it twice.
        guard body.readableBytesView.contains(UInt8(ascii: "\\")) || body.readableBytesView.contains(0) else { return }
        if body.readableBytesView.contains(0) { throw PortalError(.nulCharacter, detail: "U+0000 in the body") }
        guard let value = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])
        else { return }
        if containsNUL(value) { throw PortalError(.nulCharacter, detail: "U+0000 in a string of the body") }
    }

    private static func containsNUL(_ value: Any) -> Bool {
        switch value {
        case let string as String: return string.unicodeScalars.contains("\u{0}")
        case let array as [Any]: return array.contains(where: containsNUL)
        case let object as [String: Any]:
            return object.contains { $0.key.unicodeScalars.contains("\u{0}") || containsNUL($0.value) }
        default: return false
        }
    }
}
