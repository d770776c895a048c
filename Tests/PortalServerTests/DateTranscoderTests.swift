import Foundation
import OpenAPIRuntime
import PortalAPI
import Testing

@Suite struct DateTranscoderTests {
    let transcoder = PortalDateTranscoder()
    let instant = Date(timeIntervalSince1970: 1_795_616_907)  // 2026-11-25 14:28:27 UTC

    /// What the portal writes: RFC 3339 in UTC, whole seconds, exactly what the runtime's default wrote before.
    @Test func writesRFC3339InUTC_likeTheRuntimeDefault() throws {
        #expect(try transcoder.encode(instant) == "2026-11-25T14:28:27Z")
        #expect(try transcoder.encode(instant) == ISO8601DateTranscoder().encode(instant))
    }

    /// What it reads: whole or fractional seconds, UTC or an offset; anything else is a malformed reply.
    @Test func readsWholeAndFractionalSecondsAndOffsets() throws {
        #expect(try transcoder.decode("2026-11-25T14:28:27Z") == instant)
        #expect(try transcoder.decode("2026-11-25T16:28:27+02:00") == instant)
        #expect(try transcoder.decode("2026-11-25T14:28:27.250Z") == instant + 0.25)
        #expect(throws: DecodingError.self) { try transcoder.decode("25.11.2026 14:28") }
        #expect(throws: DecodingError.self) { try transcoder.decode("") }
    }
}
