import Logging
import PorttiModel

/// Hands log lines to `wrapped` only after the one sanitizer: what the portal logs can carry text from anyone
/// (a path, an error's description of a request), and the operator reads the log in a terminal.
struct SanitizedLogHandler: LogHandler {
    var wrapped: any LogHandler

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.message = "\(UntrustedText.sanitized(event.message.description))"
        event.metadata = event.metadata?.mapValues { .string(UntrustedText.sanitized($0.description)) }
        wrapped.log(event: event)
    }
}
