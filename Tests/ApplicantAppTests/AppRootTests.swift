@testable import ApplicantApp
import ApplicantStore
import Foundation
@testable import PortalClient
import PorttiModel
import TerminalUI
import Testing

/// The root by its update alone: the key gate, routing answers to the screen that asked, the session.
@Suite struct AppRootTests {
    let records = TemporaryAccount()

    /// Signed in with a kept session, the records open.
    func started() -> PorttiApp {
        var app = PorttiApp(services: Fixed.services(), language: .english, signedIn: Fixed.applicant)
        _ = app.start()
        _ = app.update(.routed(Routed(Session.Message.opened(Fixed.applicant, .success(records.account)))))
        return app
    }

    @Test func keysTypedWhileTheRecordsOpen_wait_thenReachTheStartPage() {
        var app = PorttiApp(services: Fixed.services(), language: .english, signedIn: Fixed.applicant)
        #expect(app.start().names() == ["open records"], "not on the terminal thread")
        #expect(app.update(.input(.key(.enter))).isEmpty)
        #expect(app.top?.screen is StartScreen)
        let effects = app.update(.routed(Routed(Session.Message.opened(Fixed.applicant, .success(records.account)))))
        #expect(effects.names() == ["list notifications", "deliver outbox", "list message topics", "count messages", "load applications"])
        #expect(app.top?.screen is ApplicationsScreen)
    }

    @Test func recordsThatCannotBeOpened_leaveTheSignInScreen_sayingWhy() {
        var app = PorttiApp(services: Fixed.services(), language: .english, signedIn: Fixed.applicant)
        _ = app.update(.routed(Routed(Session.Message.opened(Fixed.applicant, .failure(.localStorageFailed)))))
        #expect((app.top?.screen as? SignInScreen)?.failure == .localStorageFailed)
        #expect(app.update(.input(.key(.character("x")))).isEmpty, "keys no longer wait")
        #expect((app.top?.screen as? SignInScreen)?.password.text == "x")
    }

    @Test func theQuitDialog_takesEveryInput() {
        var app = started()
        app.confirmQuit = ConfirmDialog(title: "Quit?", message: "A message is being sent.", confirmLabel: "Yes", cancelLabel: "No")
        #expect(app.update(.input(.paste("pasted"))).isEmpty)
        #expect(app.update(.input(.mouse(MouseEvent(.press(button: 1), at: Position(column: 4, row: 4))))).isEmpty)
        #expect(app.update(.input(.key(.enter))).isEmpty, "No has the focus")
        #expect(app.confirmQuit == nil)
        #expect(app.top?.screen is StartScreen, "nothing reached the start page")
        #expect(app.stack.count == 1)
        let quit = app.update(.input(.key(.character("q"))))
        #expect(quit.map(\.isQuit) == [true])
    }

    @Test func anAnswer_goesToTheScreenThatAskedForIt() {
        var app = started()
        _ = app.update(.input(.key(.enter)))  // Applications
        let first = app.stack[1].id
        _ = app.update(.input(.key(.escape)))
        _ = app.update(.input(.key(.down)))
        _ = app.update(.input(.key(.enter)))  // Send additional information: the list again, to choose from
        let second = app.stack[1].id
        #expect(first != second)
        let answer = ScreenTests.fresh([ScreenTests.work])
        _ = app.update(.routed(Routed(ApplicationsScreen.Message.loaded(answer), to: first)))
        #expect((app.top?.screen as? ApplicationsScreen)?.content == .loading, "the answer for a screen gone is nobody's")
        _ = app.update(.routed(Routed(ApplicationsScreen.Message.loaded(answer), to: second)))
        #expect((app.top?.screen as? ApplicationsScreen)?.content == .loaded([ScreenTests.work], offlineSince: nil))
    }

    @Test func anEndedSession_asksOnce_andGoesOnWithWhatItStopped() {
        var app = started()
        _ = app.update(.input(.key(.enter)))
        let list = app.stack[1].id
        _ = app.update(.routed(Routed(ApplicationsScreen.Message.loaded(.failure(.sessionExpired)), to: list)))
        #expect((app.top?.screen as? SignInScreen)?.resuming == true)
        _ = app.update(.routed(Routed(ApplicationsScreen.Message.loaded(.failure(.sessionExpired)), to: list)))
        #expect(app.stack.count == 3, "one password prompt")
        let prompt = app.stack[2].id
        let session = SignedInSession(token: "t", expiresAt: Fixed.now + 1800, applicant: Fixed.applicant)
        let effects = app.update(.routed(Routed(SignInScreen.Message.signedIn(.success(session)), to: prompt)))
        #expect(effects.names() == ["keep session", "load applications"], "the list loads again")
        #expect(app.top?.id == list)
    }

    @Test func F2_opensTheLanguage_anywhere_andTheChoiceKeepsEverything() {
        var app = started()
        _ = app.update(.input(.key(.enter)))
        _ = app.update(.input(.key(.function(2))))
        #expect(app.top?.screen is LanguageScreen)
        _ = app.update(.input(.key(.down)))
        let chosen = app.update(.input(.key(.enter)))
        #expect(app.language == .finnish)
        #expect(app.top?.screen is ApplicationsScreen)
        #expect(chosen.names() == ["remember language", "load applications"],
                "kept for the next start; words made at load time follow the language")
    }

    /// F2 on the language screen opens no second one over it: choosing then leaves no stale language screen
    /// under the choice with its tick on the old language. No destination is stacked on itself.
    @Test func F2_onTheLanguage_opensNoSecondOne_andNoScreenIsStackedOnItself() {
        var app = started()
        _ = app.update(.input(.key(.enter)))
        let depth = app.stack.count
        _ = app.update(.input(.key(.function(2))))
        #expect(app.update(.input(.key(.function(2)))).isEmpty)
        #expect(app.stack.count == depth + 1, "one language screen")
        _ = app.update(.input(.key(.down)))
        _ = app.update(.input(.key(.enter)))
        #expect(app.language == .finnish)
        #expect(app.top?.screen is ApplicationsScreen, "the choice leaves no language screen behind")
        #expect(!app.stack.contains { $0.screen is LanguageScreen })
    }

    /// The receipt of a message sent leads back to where the applicant was before writing: past the topic
    /// or the application they chose (which would invite the same message again), never to them.
    @Test func theReceipt_leadsBackPastTheChoice_toWhereWritingStarted() {
        var app = started()
        func send(_ app: inout PorttiApp) {
            let compose = app.top?.id
            #expect(app.top?.screen is ComposeScreen)
            _ = app.update(.routed(Routed(ComposeScreen.Message.sendFinished(.success(Fixed.receipt)), to: compose)))
            #expect(app.top?.screen is ReceiptScreen)
            _ = app.update(.input(.key(.enter)))
        }
        // Messages → write on another matter → a topic → write, send: back at the messages.
        for _ in 0..<3 { _ = app.update(.input(.key(.down))) }
        _ = app.update(.input(.key(.enter)))
        #expect(app.top?.screen is ConversationsScreen)
        _ = app.update(.input(.key(.character("w"))))
        let topics = [MessageTopic(code: "other", titles: .init(en: "Something else", fi: "Muu asia", sv: "Något annat"))]
        _ = app.update(.routed(Routed(MessageTopicsScreen.Message.loaded(.success(Fresh(value: topics, offlineSince: nil))), to: app.top?.id)))
        _ = app.update(.input(.key(.enter)))
        send(&app)
        #expect(app.top?.screen is ConversationsScreen, "\(app.stack.map { type(of: $0.screen) })")
        // The start page → send additional information → an application → write, send: back at the start page.
        _ = app.update(.input(.key(.escape)))
        #expect(app.top?.screen is StartScreen)
        for _ in 0..<2 { _ = app.update(.input(.key(.up))) }
        _ = app.update(.input(.key(.enter)))
        #expect((app.top?.screen as? ApplicationsScreen)?.purpose == .chooseForAdditionalInformation)
        _ = app.update(.routed(Routed(ApplicationsScreen.Message.loaded(.success(Fresh(value: [ScreenTests.work], offlineSince: nil))),
                                      to: app.top?.id)))
        _ = app.update(.input(.key(.enter)))
        send(&app)
        #expect(app.top?.screen is StartScreen, "\(app.stack.map { type(of: $0.screen) })")
        #expect(app.stack.count == 1)
    }

    @Test func aResize_tellsNoScreen_theViewTakesTheAreaItDrawsInto() {
        var app = started()
        #expect(app.update(.input(.resize(width: 100, height: 29))).isEmpty)
        var canvas = Canvas(width: 100, height: 29)
        app.view(into: &canvas)
        #expect(canvas[99, 0].style == .bar, "the title bar spans the new width")
        #expect(app.environment.screen == Rect(column: 0, row: 0, width: 100, height: 28), "update's area is the view's")
    }
}
