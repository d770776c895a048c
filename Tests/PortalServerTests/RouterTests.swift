import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import PortalServer
import PortalStore
import PortalTestSupport
import PorttiModel
import Testing

/// The handler in process, through the router with no socket (Hummingbird's `.router` test framework):
/// the same application the binary runs, built by `buildPortal`, beside the loopback tests of the same routes.
@Suite struct RouterTests {
    /// A portal over SQLite in a temporary folder, tested in process; the folder goes afterwards.
    func withRouter(_ test: @Sendable (any TestClientProtocol, SQLitePortalStore) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "portti-router-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var configuration = PortalConfiguration(dataFolder: folder)
        configuration.bcryptCost = 4
        let store = try SQLitePortalStore(path: configuration.databasePath)
        let hash = try await Passwords.hash(TestPortal.password, cost: 4)
        _ = try await store.createApplicant(username: "aino", displayName: "Aino", passwordHash: hash, now: Date())
        let portal = try await buildPortal(configuration: configuration, store: store)
        try await portal.application.test(.router) { client in try await test(client, store) }
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    func signIn(_ client: any TestClientProtocol) async throws -> String {
        let response = try await client.execute(
            uri: portalAPIBasePath + "/session", method: .post, headers: Self.jsonHeaders,
            body: Self.json(#"{"username":"aino","password":"\#(TestPortal.password)"}"#))
        #expect(response.status == .ok)
        let session = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body).filteredToStrings())
        return try #require(session["token"])
    }

    func get(_ client: any TestClientProtocol, _ path: String, token: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"])
    }

    @Test func signIn_thenTheApplicationsOfTheApplicant() async throws {
        try await withRouter { client, store in
            let token = try await signIn(client)
            let applicant = try #require(try await store.applicant(username: "aino"))
            _ = try await store.createApplication(applicantID: applicant.id, type: .residencePermitWork, now: Date())
            let response = try await get(client, portalAPIBasePath + "/applications", token: token)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body).contains(#""type":"residence_permit_work""#))
        }
    }

    @Test func unauthenticated_carriesWWWAuthenticateBearer_andAProblem() async throws {
        try await withRouter { client, _ in
            let response = try await client.execute(uri: portalAPIBasePath + "/applications", method: .get)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(String(buffer: response.body).contains(#""code":"unauthenticated""#))
        }
    }

    @Test func aWrongPassword_isRefusedWithItsCode() async throws {
        try await withRouter { client, _ in
            let response = try await client.execute(
                uri: portalAPIBasePath + "/session", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"username":"aino","password":"wrong"}"#))
            #expect(response.status == .unauthorized)
            #expect(String(buffer: response.body).contains(#""code":"invalid_credentials""#))
        }
    }

    @Test func aMethodThePathLacks_answers405WithAllow_andAnUnknownPath404() async throws {
        try await withRouter { client, _ in
            let token = try await signIn(client)
            let response = try await client.execute(
                uri: portalAPIBasePath + "/session", method: .put, headers: [.authorization: "Bearer \(token)"])
            #expect(response.status == .methodNotAllowed)
            #expect(Set(response.headers[.allow]?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
                    == ["POST", "DELETE"])
            let missing = try await get(client, "/no/such/path", token: token)
            #expect(missing.status == .notFound)
        }
    }

    @Test func aNulInAPathID_isRefused() async throws {
        try await withRouter { client, _ in
            let token = try await signIn(client)
            let response = try await get(client, portalAPIBasePath + "/requests/r%001", token: token)
            #expect(response.status == .badRequest)
            #expect(String(buffer: response.body).contains(#""code":"nul_character""#))
        }
    }
}

extension Data {
    /// A JSON object with only its string fields kept, for reading a token without the whole schema.
    func filteredToStrings() throws -> Data {
        let object = try JSONSerialization.jsonObject(with: self) as? [String: Any] ?? [:]
        return try JSONSerialization.data(withJSONObject: object.compactMapValues { $0 as? String })
    }
}
