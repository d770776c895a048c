import Foundation
import PortalStore
import PortalTestSupport
import PorttiLocalization
import ReceiptProof
import Testing

/// The real `portti` in tmux on its embedded demo portal: the receipt screen names the key that signed (the
/// one the portal publishes), and the same text written again for the same application is sent only when the
/// applicant confirms with the language's own yes: review says when it went and its receipt number, Enter asks,
/// any other key leaves it unsent.
@Suite(.serialized)
struct TerminalSendOnceTests {
    @Test(arguments: ["en", "fi", "sv"])
    func theSameMessageAgain_isSentOnlyWhenConfirmed(_ language: String) async throws {
        let home = try TerminalAppTests.Home()
        let strings = StringTable(try #require(Language(rawValue: language)))
        let formats = Formats(try #require(Language(rawValue: language)))
        let text = "Uusi osoitteeni: Mannerheimintie 1 (\(language))"
        let app = home.launch(language: language)
        #expect(await app.waitFor("demo-portti"), "\(app.screen)")

        // The first send: its receipt says signed and verified, with the fingerprint the portal publishes.
        await writeAdditionalInformation(app, strings, text)
        app.keys("Enter")
        #expect(await app.waitForWhole(strings("receipt.sent")), "\(app.screen)")
        let store = try home.demoPortal()
        let first = try #require(try await store.incomingMessages().last)
        #expect(first.text == text)
        #expect(await app.waitFor(first.receipt.number), "\(app.screen)")
        let published = try await store.receiptSigningKeys().map(\.kid)
        let signed = try #require(first.receipt.signed)
        let kid = try #require(ReceiptKeys.kid(of: signed))
        #expect(published.last == kid, "signed with the newest published key")
        #expect(await app.waitForWhole(strings("receipt.signed_verified", ["fingerprint": kid])), "\(app.screen)")

        // The same text again, for the same application: review says when it went and under which number.
        for _ in 0..<6 where !app.screen.contains("Portti · " + strings("start.title")) { await app.keysAndWait("Escape") }
        #expect(await app.waitFor("Portti · " + strings("start.title")), "\(app.screen)")
        await writeAdditionalInformation(app, strings, text)
        let when = ["time": formats.dateTime(first.receipt.receivedAt), "number": first.receipt.number, "key": strings("compose.key.yes")]
        #expect(await app.waitForWhole(strings("compose.sent_before", when)), "\(app.screen)")
        #expect(!app.screen.contains(strings("compose.send_hint")), "no plain send hint: \(app.screen)")

        // Enter only asks; another key answers no; nothing is sent either way.
        app.keys("Enter")
        #expect(await app.waitForWhole(strings("compose.sent_before_confirm", when)), "\(app.screen)")
        #expect(try await sentCount(store, text) == 1, "Enter alone sent nothing")
        app.keys("n")
        #expect(await app.waitForWhole(strings("compose.sent_before", when)), "asked no more: \(app.screen)")
        #expect(try await sentCount(store, text) == 1, "a key other than yes sent nothing")

        // The language's own yes sends it, once.
        app.keys("Enter")
        #expect(await app.waitForWhole(strings("compose.sent_before_confirm", when)), "\(app.screen)")
        app.keys(strings("compose.key.yes"))
        #expect(await app.waitForWhole(strings("receipt.sent")), "\(app.screen)")
        let again = try await store.incomingMessages().filter { $0.text == text }
        #expect(again.count == 2)
        let second = try #require(again.last)
        #expect(second.receipt.number != first.receipt.number)
        #expect(await app.waitFor(second.receipt.number), "the new receipt is shown: \(app.screen)")
        #expect(await app.waitForWhole(strings("receipt.signed_verified", ["fingerprint": kid])), "\(app.screen)")
        app.keys("q")
        app.keys("q")
        app.keys("q")
    }

    /// From the start page: Send additional information → MIG-2026-000004 → `text` → review.
    private func writeAdditionalInformation(_ app: TerminalSession, _ strings: StringTable, _ text: String) async {
        let item = strings("start.send_additional_information")
        for _ in 0..<6 where !focusedLine(app).contains(item) {
            #expect(await app.keysAndWait("Down"), "\(app.screen)")
        }
        #expect(await app.waitFor("› " + item), "\(app.screen)")
        app.keys("Enter")
        #expect(await app.waitFor("MIG-2026-000004"), "\(app.screen)")
        app.keys("Enter")
        app.literal(text)
        #expect(await app.waitFor(text), "\(app.screen)")
        app.keys("C-r")
        #expect(await app.waitFor(strings("compose.review_title")), "\(app.screen)")
    }

    private func focusedLine(_ app: TerminalSession) -> String {
        app.screen.split(separator: "\n").first { $0.contains("›") }.map(String.init) ?? ""
    }

    private func sentCount(_ store: SQLitePortalStore, _ text: String) async throws -> Int {
        try await store.incomingMessages().filter { $0.text == text }.count
    }
}
