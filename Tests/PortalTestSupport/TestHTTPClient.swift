import AsyncHTTPClient
import NIOCore

extension HTTPClient {
    /// The tests' HTTP client. Its idle connections retire after 5 s, before the portal closes them (10 s,
    /// `PortalConfiguration.requestHeadTimeout`): `HTTPClient.shared` keeps them for 60 s, and a request sent on one
    /// as the portal closed it failed with `remoteConnectionClosed` on a loaded machine. The applicant's own
    /// client (`PortalClient`) retires them the same way.
    public static let forTests: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.idleTimeout = testsIdleTimeout
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

/// How long `HTTPClient.forTests` keeps an idle connection.
public let testsIdleTimeout = TimeAmount.seconds(5)
