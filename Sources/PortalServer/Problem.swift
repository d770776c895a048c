import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1
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
        // RFC 6750, 3: a 401 names the scheme it wants, and says when the token given is no longer good.
        switch code {
        case .sessionExpired: fields[.wwwAuthenticate] = #"Bearer realm="portti", error="invalid_token""#
        case _ where code.httpStatus == 401: fields[.wwwAuthenticate] = #"Bearer realm="portti""#
        default: break
        }
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
        // The request's bytes broke off or broke HTTP (the client went away mid-body): its fault, not ours.
        if error is HTTPParserError { return PortalError(.malformedRequest, detail: "unreadable request: \(error)") }
        // Hummingbird's own refusals, whatever their type: a body over the limit is NIO's `NIOTooManyBytesError`
        // (413) when it comes chunked, and must answer as the same body with a Content-Length does.
        if let error = error as? any HTTPResponseError {
            switch error.status.code {
            case 404: return PortalError(.notFound, detail: "no such route")
            case 405: return PortalError(.methodNotAllowed)
            case 408: return PortalError(.requestTimeout)
            case 413: return PortalError(.malformedRequest, detail: "body too large")
            case 400..<500: return PortalError(.malformedRequest, detail: (error as? HTTPError)?.body ?? "bad request")
            default: break
            }
        }
        return PortalError(.internalError, detail: "internal error")
    }
}

/// Header values exactly as they came. The generated layer decodes headers as it decodes URL parts, so that
/// `k%41` and `kA` were one idempotency key and `ab%` none at all: these two are read as sent.
enum RawHeaders {
    static let idempotencyKeyField = HTTPField.Name("Idempotency-Key")!
    static let lastEventIDField = HTTPField.Name("Last-Event-ID")!
    @TaskLocal static var idempotencyKey: String?
    @TaskLocal static var lastEventID: String?
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
            // Checked before the generated layer reads the request, which would call a missing key malformed.
            let key = request.headerFields[RawHeaders.idempotencyKeyField]
            if PortalHandler.keyedOperations.contains(operationID) {
                // Two keys are no key: joined ("a, b") they would name a third thing.
                if request.headerFields[values: RawHeaders.idempotencyKeyField].count > 1 {
                    throw PortalError(.idempotencyKeyInvalid, detail: "more than one Idempotency-Key")
                }
                _ = try PortalHandler.idempotencyKey(key)
            }
            return try await RawHeaders.$idempotencyKey.withValue(key) {
                try await RawHeaders.$lastEventID.withValue(request.headerFields[RawHeaders.lastEventIDField]) {
                    try await next(request, body, metadata)
                }
            }
        } catch {
            let problem = PortalError.from(error)
            if problem.code == .internalError {
                // The cause only: the error's description carries the request, and with it the bearer token.
                let cause = (error as? ServerError).map { String(reflecting: $0.underlyingError) } ?? String(reflecting: error)
                logger.error("operation \(operationID) failed: \(cause)")
            }
            return problem.responseParts
        }
    }
}
