// The portal contract. Types, the server protocol (`APIProtocol`) and the `Client` are generated at build
// time from openapi.yaml beside this file by swift-openapi-generator; that document is the one place
// where routes and payloads are written.

/// The path every operation of the contract is served under.
public let portalAPIBasePath = "/api/v1"
