import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime
import PortalAPI
import PorttiModel

extension PortalError {
    /// The JSON body every error answers with.
    var problem: Components.Schemas.Problem {
        Components.Schemas.Problem(
            code: code.rawValue, message: detail, limit: limit, retryAfterSeconds: retryAfterSeconds)
    }

    var responseParts: (HTTPResponse, HTTPBody) {
        let (head, body) = responseBytes
        return (head, HTTPBody(body))
    }

    var responseBytes: (HTTPResponse, Data) {
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        if let retryAfterSeconds { fields[.retryAfter] = String(retryAfterSeconds) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // one answer, byte for byte, for one refusal
        let body = (try? encoder.encode(problem)) ?? Data(#"{"code":"internal_error","message":""}"#.utf8)
        return (HTTPResponse(status: .init(code: code.httpStatus), headerFields: fields), body)
    }

    /// What a failure means to the applicant: a refusal keeps its code, a request the generated layer could
    /// not read is malformed, anything else is the portal's own fault.
    static func from(_ error: any Error) -> PortalError {
        if let error = error as? PortalError { return error }
        if let error = error as? ServerError {
            if let portalError = error.underlyingError as? PortalError { return portalError }
            if error.operationInput == nil {
                return PortalError(.malformedRequest, detail: "\(error.causeDescription)")
            }
        }
        if let error = error as? HTTPError {
            switch error.status.code {
            case 404, 405: return PortalError(.notFound, detail: "no such route")
            case 413: return PortalError(.malformedRequest, detail: "body too large")
            case 400..<500: return PortalError(.malformedRequest, detail: error.body ?? "bad request")
            default: break
            }
        }
        return PortalError(.internalError, detail: "internal error")
    }
}

/// Turns every error of an operation into a `Problem` answer with a stable code. No input may cause a 500
/// except a fault of the portal itself, which is logged.
struct ProblemMiddleware: ServerMiddleware {
    let logger: Logger

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, metadata)
        } catch {
            let problem = PortalError.from(error)
            if problem.code == .internalError {
                logger.error("operation \(operationID) failed: \(String(reflecting: error))")
            }
            return problem.responseParts
        }
    }
}

/// The same `Problem` answers for what never reaches an operation: unknown routes, oversized bodies.
struct RouteProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Bodies above this size are refused before they are read into memory (uploads are exempt: they stream).
    let maxBufferedBody: Int
    let streamingPaths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var request = request
        do {
            if !streamingPaths.contains(request.uri.path) {
                if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBufferedBody {
                    throw PortalError(.malformedRequest, limit: Int64(maxBufferedBody), detail: "body too large")
                }
                _ = try await request.collectBody(upTo: maxBufferedBody)
            }
            return try await next(request, context)
        } catch {
            let (head, bytes) = PortalError.from(error).responseBytes
            return Response(
                status: head.status, headers: head.headerFields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
