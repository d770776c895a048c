@testable import ApplicantApp
import ApplicantStore
import Delivery
@testable import PortalClient
import PortalTestSupport
import Foundation
import PorttiLocalization
import PorttiModel
import TerminalUI
import Testing

/// The writing screen's update, with no portal and no terminal: the effects each message returns, and the
/// screen it leaves, row by row.
@Suite struct ComposeUpdateTests {
    let records = TemporaryAccount()
    var environment: AppEnvironment { records.environment }

    /// A writing screen whose draft has been read (none was left).
    func opened(_ text: String = "", files: [AttachedFile] = []) -> ComposeScreen {
        var compose = ComposeScreen(target: .request("request_1"), title: .response(reference: "MIG-2026-000001"))
        _ = compose.update(.draftRead(text.isEmpty && files.isEmpty ? nil : Draft(target: .request("request_1"), text: text,
                                                                                  files: files, updatedAt: Fixed.now - 600)),
                           environment)
        return compose
    }

    func type(_ text: String, into compose: inout ComposeScreen) -> [String] {
        text.flatMap { compose.update(.input(.key(.character($0))), environment).names() }
    }

    @Test func keysTypedWhileTheDraftIsRead_wait_thenFollowTheDraft() {
        var compose = ComposeScreen(target: .request("request_1"), title: .response(reference: "MIG-2026-000001"))
        #expect(compose.load(environment)?.name == "read draft")
        #expect(compose.load(Fixed.environment()) == nil, "no records, nothing to read")
        #expect(compose.update(.input(.key(.character("!"))), environment).isEmpty)
        #expect(compose.editor.text.isEmpty)
        let effects = compose.update(.draftRead(Draft(target: .request("request_1"), text: "Earlier", updatedAt: Fixed.now)), environment)
        #expect(compose.editor.text == "Earlier!")
        #expect(effects.names() == ["save draft later"])
        #expect(compose.load(environment) == nil, "read once: a reload must not put the old draft back")
    }

    @Test func aDraftLeftEarlier_isOfferedAgain_andSaysSo() {
        let compose = opened("Half-written", files: [Fixed.contract])
        let rows = render(compose, environment)
        #expect(rows[3] == " │Half-written" + String(repeating: " ", count: 64) + "│")
        #expect(rows[17] == "  Attachments: 1 (594 B)")
        #expect(rows[18] == "  › contract.pdf  594 B")
        #expect(rows[21] == " Your unsent draft from 21/09/2026, 17:03 was kept and is here again.")
    }

    /// Ctrl-Z undoes, in one order, text and the removal of an attachment; Ctrl-Y redoes; Ctrl-U (a
    /// readline key people press by habit) takes nothing away.
    @Test func ctrlZ_undoesTextAndRemovedAttachments_inOrder_andCtrlYRedoes() {
        var compose = opened("Hello", files: [Fixed.contract])
        _ = type(" there", into: &compose)
        _ = compose.update(.input(.key(.control("u"))), environment)
        #expect(compose.editor.text == "Hello there")
        _ = compose.update(.input(.key(.control("d"))), environment)
        #expect(compose.files.isEmpty)
        _ = type("!", into: &compose)
        _ = compose.update(.saveDue, environment)
        let undone = compose.update(.input(.key(.control("z"))), environment)
        #expect(compose.editor.text == "Hello there")
        #expect(undone.names() == ["save draft later"], "an undo is an edit: the draft follows")
        _ = compose.update(.input(.key(.control("z"))), environment)
        #expect(compose.files == [Fixed.contract], "the removed attachment is back")
        #expect(compose.editor.text == "Hello there")
        _ = compose.update(.input(.key(.control("z"))), environment)
        #expect(compose.editor.text == "Hello")
        _ = compose.update(.input(.key(.control("z"))), environment)
        #expect(compose.editor.text == "Hello", "the draft as it was offered is where undo stops")
        _ = compose.update(.input(.key(.control("y"))), environment)
        _ = compose.update(.input(.key(.control("y"))), environment)
        #expect(compose.editor.text == "Hello there")
        #expect(compose.files.isEmpty)
        _ = compose.update(.input(.key(.control("y"))), environment)
        #expect(compose.editor.text == "Hello there!")
    }

    /// A tab typed or pasted is kept as a tab in the draft (drawn as blanks), not turned into spaces.
    @Test func tabs_areKeptAsWritten() {
        var compose = opened()
        _ = compose.update(.input(.key(.tab)), environment)
        _ = type("a", into: &compose)
        _ = compose.update(.input(.paste("b\tc")), environment)
        #expect(compose.editor.text == "\tab\tc")
        #expect(compose.draft(at: Fixed.now).text == "\tab\tc")
        let rows = render(compose, environment)
        #expect(rows[3].hasPrefix(" │    ab    c "), "\(rows[3])")
    }

    @Test func typing_writesTheDraftOnceTypingPauses_andLeavingWritesNothingTwice() {
        var compose = opened()
        #expect(type("H", into: &compose) == ["save draft later"])
        #expect(type("i", into: &compose) == [], "one write is due already")
        let due = compose.update(.saveDue, environment)
        #expect(due.names() == ["save draft"])
        #expect(compose.update(.saveDue, environment).isEmpty, "nothing new to write")
        let back = compose.update(.input(.key(.escape)), environment)
        #expect(back.requests().map(\.word) == ["back"])
        #expect(back.names() == ["send"], "written already: leaving only goes back")
        _ = type("!", into: &compose)
        #expect(compose.update(.input(.key(.escape)), environment).names() == ["save draft", "send"], "leaving writes at once")
    }

    @Test func theSendPath_showsEachFile_thenTheReceiptTakesItsPlace() {
        var compose = opened("Here is my contract.", files: [Fixed.contract])
        #expect(compose.update(.input(.key(.control("r"))), environment).names() == ["look up earlier delivery"])
        _ = compose.update(.sentBefore(nil, held: false), environment)
        #expect(render(compose, environment)[2] == "  Review before sending")
        let send = compose.update(.input(.key(.enter)), environment)
        #expect(send.names() == ["send"])
        #expect(send.requests().isEmpty, "a stream that sends, not a request")
        #expect(compose.isBusy)
        #expect(compose.update(.input(.key(.enter)), environment).isEmpty, "Send cannot be pressed twice")
        #expect(render(compose, environment)[5] == "  Sending the message… [###############################################] 100 %")

        _ = compose.update(.sendProgress(.uploading(index: 0, count: 1, sent: 297, total: 594)), environment)
        #expect(render(compose, environment)[3] == "  Sending…")
        #expect(render(compose, environment)[5] == "  Attachment 1/1: contract.pdf [####################--------------------] 50 %")
        _ = compose.update(.sendProgress(.sending), environment)
        #expect(render(compose, environment)[5] == "  Sending the message… [###############################################] 100 %")

        let finished = compose.update(.sendFinished(.success(Fixed.receipt)), environment)
        guard case .replace(with: .receipt(let kept, justSent: true))? = finished.requests().first else {
            Issue.record("the receipt does not take the message's place: \(finished.requests().map(\.word))")
            return
        }
        #expect(kept.receipt == Fixed.receipt)
        #expect(kept.message == "Here is my contract.")
        #expect(kept.target == .request("request_1"))
    }

    /// The authority asks for each message once: review says when the same text and files went, with the
    /// receipt's number, and Send asks before sending them again.
    @Test func aMessageSentBefore_saysWhenAndItsNumber_andSendsOnlyOnceConfirmed() {
        var compose = opened("Here is my contract.", files: [Fixed.contract])
        _ = compose.update(.input(.key(.control("r"))), environment)
        let earlier = KeptReceipt(receipt: Fixed.receipt, target: .request("request_1"), message: "Here is my contract.")
        _ = compose.update(.sentBefore(earlier, held: false), environment)
        let warned = render(compose, environment).suffix(3).joined(separator: " ")
        #expect(warned.contains("You already sent this message on 21/09/2026, 17:13"), "\(warned)")
        #expect(warned.contains("2026-00000042"), "\(warned)")
        #expect(compose.update(.input(.key(.enter)), environment).isEmpty, "Enter asks first")
        #expect(render(compose, environment).suffix(3).joined(separator: " ").contains("Send it again anyway?"))
        #expect(compose.update(.input(.key(.character("n"))), environment).isEmpty, "anything but y sends nothing")
        #expect(!compose.confirmingAgain && !compose.isBusy)
        _ = compose.update(.input(.key(.enter)), environment)
        #expect(compose.update(.input(.key(.character("y"))), environment).names() == ["send"])
        #expect(compose.isBusy)

        // Send pressed before review's look-up answered: the send's own look-up holds it, and review asks.
        var quick = opened("Here is my contract.", files: [Fixed.contract])
        _ = quick.update(.input(.key(.control("r"))), environment)
        #expect(quick.update(.input(.key(.enter)), environment).names() == ["send"])
        _ = quick.update(.sentBefore(earlier, held: true), environment)
        #expect(quick.stage == .reviewing && quick.confirmingAgain && !quick.isBusy)
    }

    /// The confirming key is the language's own yes (y, k for kyllä, j for ja) and no other, as the prompt
    /// says in the language's words; the prompt fits two rows at 80x24 in all three.
    @Test func sendingAgain_isConfirmedWithTheLanguagesYes_andThePromptFits() {
        for (language, yes, words) in [(Language.english, "y", "y sends it again"), (.finnish, "k", "k = kyllä, muu näppäin = ei."),
                                       (.swedish, "j", "j = ja, annan tangent = nej.")] {
            let environment = Fixed.environment(language, account: records.account)
            for key in [yes, yes.uppercased(), "y", "x"] {
                var compose = opened("Here is my contract.", files: [Fixed.contract])
                _ = compose.update(.input(.key(.control("r"))), environment)
                let earlier = KeptReceipt(receipt: Fixed.receipt, target: .request("request_1"), message: "Here is my contract.")
                _ = compose.update(.sentBefore(earlier, held: true), environment)
                let rows = render(compose, environment)
                let first = rows.lastIndex { $0.contains("2026-00000042") }
                let last = rows.lastIndex { $0.contains(words.split(separator: " ").last!) }
                #expect(rows.joined(separator: " ").contains(words.split(separator: " ").prefix(2).joined(separator: " ")), "\(language): \(rows)")
                #expect(first != nil && last != nil && last! - first! <= 1, "\(language): the prompt takes two rows at most: \(rows.suffix(4))")
                #expect(!rows.contains { $0.trimmingCharacters(in: .whitespaces) == "ei." }, "\(language)")
                let sends = key.lowercased() == yes
                #expect(compose.update(.input(.key(.character(Character(key)))), environment).names() == (sends ? ["send"] : []),
                        "\(language) \(key)")
            }
        }
    }

    /// The same outbox item sent once more is the same message under its key, not a second one: no warning.
    @Test func anItemStillInTheOutbox_isNoSecondMessage() async throws {
        let store = try #require(environment.account?.store)
        let draft = Draft(target: .request("request_1"), text: "Here is my contract.", files: [Fixed.contract])
        let first = try await store.enqueue(draft)
        try await store.delivered(first, receipt: Fixed.receipt)
        #expect(try store.earlierDelivery(of: draft)?.receipt.number == Fixed.receipt.number)
        #expect(try store.earlierDelivery(of: Draft(target: .request("request_1"), text: "Another text.", files: [Fixed.contract])) == nil)
        #expect(try store.earlierDelivery(of: Draft(target: .application("application_1"), text: draft.text, files: draft.files)) == nil)
        _ = try await store.enqueue(draft)
        #expect(try store.earlierDelivery(of: draft) == nil, "a pending item carrying it is sent as itself")
    }

    @Test func aSendThatMeetsAnEndedSession_waits_andGoesOnOnceSignedIn() {
        var compose = opened("Sent after signing in again")
        _ = compose.update(.input(.key(.control("r"))), environment)
        _ = compose.update(.input(.key(.enter)), environment)
        let ended = compose.update(.sendFinished(.failure(.sessionExpired)), environment)
        guard case .sessionEnded(let resume?)? = ended.requests().first,
            case .resend? = resume.message as? ComposeScreen.Message
        else {
            Issue.record("no sign-in that resends: \(ended.requests().map(\.word))")
            return
        }
        #expect(compose.stage == .reviewing)
        #expect(compose.waitingInOutbox)
        #expect(compose.unsavedDraft(at: Fixed.now) == nil, "in the outbox, not a draft")
        #expect(compose.update(.resend, environment).names() == ["send"])
        #expect(compose.isBusy)
    }

    @Test func aSendWithAnUnknownOutcome_canOnlyGoAgainAsItIs() {
        var compose = opened("Maybe sent")
        _ = compose.update(.input(.key(.control("r"))), environment)
        _ = compose.update(.input(.key(.enter)), environment)
        #expect(compose.update(.sendFinished(.failure(.timeout)), environment).requests().map(\.word) == ["outbox waiting"],
                "the status line tries again while the app is open")
        #expect(compose.stage == .failed(.timeout))
        #expect(compose.waitingInOutbox)
        _ = compose.update(.input(.key(.character("e"))), environment)
        #expect(compose.stage == .failed(.timeout), "a copy changed now would be a second message")
        #expect(compose.update(.input(.key(.enter)), environment).names() == ["send"], "the same item, the same key")
    }

    @Test func aRefusedSend_canBeChangedAndSentAnew() {
        var compose = opened("Too late")
        _ = compose.update(.input(.key(.control("r"))), environment)
        _ = compose.update(.input(.key(.enter)), environment)
        _ = compose.update(.sendFinished(.failure(.requestOverdue)), environment)
        #expect(!compose.waitingInOutbox)
        // The whole instruction, wrapped: what to do next is not cut off at the screen edge.
        let rows = render(compose, environment)
        #expect(rows[19...21] == [
            " The deadline of this request for additional information has passed. Use Send",
            " additional information instead. Press Enter to try again (it is sent once), or",
            " e to edit.",
        ], "\(rows)")
        _ = compose.update(.input(.key(.character("e"))), environment)
        #expect(compose.stage == .writing)
    }

    @Test func picking_opensWhereTheStartingFolderIs_andTellsTheAppWhereFilesWerePicked() {
        var compose = opened()
        let effects = compose.update(.input(.key(.control("o"))), environment)
        #expect(compose.stage == .picking)
        #expect(compose.picker?.folder.displayText == "/home/aino/scans")
        #expect(!effects.isEmpty, "the folder is listed in the background")
        #expect(compose.update(.input(.key(.escape)), environment).requests().isEmpty, "cancelled: nothing picked")
        #expect(compose.stage == .writing)
    }
}

/// The send effect itself against the real portal: the messages its stream posts, in order, each of which
/// the screen shows as it comes (the flow tests see only the end of a stream).
@Suite struct SendEffectTests {
    @Test func theSendStream_postsEachUploadsProgress_thenTheSending_thenTheReceipt() async throws {
        try await withPortal { portal in
            let app = try await AppHarness.start(portal, language: .english)
            let records = try ApplicantStore(path: app.home.appending(path: "send-test/applicant.sqlite").path)
            let account = Account(applicant: app.applicant, store: records, courier: Courier(client: app.client, store: records))
            let environment = AppEnvironment(
                services: Fixed.services(), account: account, screen: Rect(column: 0, row: 0, width: 80, height: 22),
                context: ViewContext(language: .english, now: portal.clock.now), lastPickFolder: nil)
            let contract = app.home.appending(path: "contract.pdf").path
            let digest = try LocalFile.digest(path: contract)
            var compose = ComposeScreen(target: .request(app.request.id), title: .response(reference: app.work.referenceNumber))
            _ = compose.update(.draftRead(Draft(
                target: .request(app.request.id), text: "Here it is.",
                files: [AttachedFile(path: contract, name: "contract.pdf", size: digest.size, sha256: digest.sha256)])), environment)
            _ = compose.update(.input(.key(.control("r"))), environment)
            let send = compose.update(.input(.key(.enter)), environment)
            let messages = await (try #require(send.first)).perform()

            var shown: [String] = []
            for message in messages {
                _ = compose.update(message, environment)
                if case .sendProgress = message { shown.append(render(compose, environment)[5]) }
            }
            #expect(shown.first == "  Attachment 1/1: contract.pdf [#######################################] 100 %", "\(shown)")
            #expect(shown.last == "  Sending the message… [###############################################] 100 %")
            guard case .sendFinished(.success(let receipt))? = messages.last else {
                Issue.record("the stream did not end with a receipt: \(messages)")
                return
            }
            #expect(receipt.files.map(\.name) == ["contract.pdf"])
            #expect(try await portal.store.incomingMessages().map(\.text) == ["Here it is."])
            await app.finish()
        }
    }
}
