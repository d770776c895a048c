import ApplicantStore
import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel
import TerminalUI

/// The applicant's Portti: a stack of screens, each a feature of its own file (`AppScreen`), with the session
/// and the status line beside them. The root routes: input to the screen on top (through the key gate),
/// each effect's answer back to the screen that asked, a screen's requests (open, back, sign in again) to
/// the stack and the features. F2 and the quit dialog are its own.
public struct PorttiApp: Program, TranslatedProgram {
    public enum Message: InputMessage {
        case input(InputEvent)
        /// For one of the app's features: a screen, the session or the status line.
        case routed(Routed)
    }

    /// A screen in the stack, with the number its effects' answers come back to.
    struct Stacked: Sendable {
        let id: Int
        var screen: any AppScreen
        /// What it was opened as (nil: the start page, sign-in, a receipt the outbox delivered): the same
        /// destination is not opened again over itself.
        var destination: Destination? = nil
    }

    public private(set) var language: Language
    let services: AppServices
    var session = Session()
    var status = StatusLine()
    var stack: [Stacked] = []
    private var lastID = 0
    var confirmQuit: ConfirmDialog?
    /// The app's size: the terminal's, less the shell's row of key hints.
    var size = (width: 80, height: 23)
    /// Where the last file was picked: the next picker opens there (the first one in the starting folder).
    var lastPickFolder: FileSystemPath?
    /// Keys typed while the applicant's records open at the start; they go to the start page once open.
    var waitingKeys: [InputEvent]?

    /// Starts signed in as `applicant` (a kept session: its records open first), or at the sign-in screen.
    public init(services: AppServices, language: Language, signedIn applicant: Applicant?, username: String = "") {
        self.services = services
        self.language = language
        if let applicant {
            push(StartScreen(applicantName: applicant.displayName, portalNote: services.portalNote))
            session = Session(opening: applicant)
            waitingKeys = []
        } else {
            push(SignInScreen(username: username, resuming: false, portal: services.portalURL.absoluteString))
        }
    }

    /// The kept session's records open first (off the terminal thread); keys wait until they are.
    public mutating func start() -> [Effect<Message>] { wrap(session.openKept(services)) }

    public var strings: StringTable { StringTable(language) }

    // MARK: What features read

    /// The screen on top: the one accessor for input, drawing, hints and loading.
    var top: Stacked? { stack.last }

    var layout: Layout { Layout(bounds: Rect(column: 0, row: 0, width: size.width, height: size.height)) }

    var context: ViewContext {
        ViewContext(language: language, now: services.clock.now(), unread: status.unread, topics: status.topics)
    }

    var environment: AppEnvironment {
        AppEnvironment(services: services, account: session.account, screen: layout.screen, context: context,
                       lastPickFolder: lastPickFolder)
    }

    // MARK: Update

    public mutating func update(_ message: Message) -> [Effect<Message>] {
        switch message {
        case .input(let event):
            return input(event)
        case .routed(let routed):
            switch routed.message {
            case let message as Session.Message: return sessionUpdate(message)
            case let message as StatusLine.Message: return updateStatus(message)
            case let message as any ScreenMessage: return deliver(message, to: routed.screen)
            default: return []
            }
        }
    }

    /// The key gate: input reaches only what is on screen and ready for it. The quit dialog takes all of it;
    /// keys typed while the records open wait; F2 opens the language anywhere; the rest is the top screen's.
    private mutating func input(_ event: InputEvent) -> [Effect<Message>] {
        if case .resize(let width, let height) = event {
            size = (width, height)  // nothing is told: each view takes its area when it draws
            return []
        }
        if var dialog = confirmQuit {
            guard case .key(let key) = event else { return [] }
            switch dialog.handle(key) {
            case .confirmed: return [.quit]  // the drafts on screen are written once the terminal is given back
            case .cancelled: confirmQuit = nil
            default: confirmQuit = dialog
            }
            return []
        }
        if waitingKeys != nil {
            waitingKeys?.append(event)
            return []
        }
        if case .key(.function(2)) = event { return open(.language) }
        guard let top else { return [] }
        return input(event, to: top.screen, id: top.id)
    }

    private mutating func input<S: AppScreen>(_ event: InputEvent, to screen: S, id: Int) -> [Effect<Message>] {
        deliver(S.Message.input(event), to: screen, id: id) ?? []
    }

    /// A message for the screen `id`, or (nil) for every screen of its kind; unheard, it may still mean something.
    private mutating func deliver(_ message: any ScreenMessage, to id: Int?) -> [Effect<Message>] {
        var effects: [Effect<Message>] = []
        var heard = false
        for target in stack.map(\.id) where id == nil || id == target {
            guard let screen = stack.first(where: { $0.id == target })?.screen,
                let answer = deliver(message, to: screen, id: target)
            else { continue }
            heard = true
            effects += answer
        }
        if !heard, let request = message.whenUnheard { effects += perform(request, from: nil) }
        return effects
    }

    private mutating func deliver<S: AppScreen>(_ message: any ScreenMessage, to screen: S, id: Int) -> [Effect<Message>]? {
        guard let message = message as? S.Message else { return nil }
        var screen = screen
        let effects = screen.update(message, environment)
        if let index = stack.firstIndex(where: { $0.id == id }) { stack[index].screen = screen }
        return handle(effects, from: id)
    }

    /// A feature's effects as the app's: its requests handled now, the rest answering to it (`id`: the screen).
    private mutating func handle<M: AppRequesting>(_ effects: [Effect<M>], from id: Int?) -> [Effect<Message>] {
        var mapped: [Effect<Message>] = []
        for effect in effects {
            if let request = effect.message?.request {
                mapped += perform(request, from: id)
            } else {
                mapped.append(effect.map { .routed(Routed($0, to: id)) })
            }
        }
        return mapped
    }

    private func wrap<M: Sendable>(_ effects: [Effect<M>]) -> [Effect<Message>] {
        effects.map { $0.map { .routed(Routed($0)) } }
    }

    // MARK: Requests

    private mutating func perform(_ request: AppRequest, from id: Int?) -> [Effect<Message>] {
        switch request {
        case .back:
            if let top = top?.screen as? SignInScreen, top.resuming { session.resume = nil }
            if stack.count > 1 { stack.removeLast() }
            return reloadTopIfStale()
        case .open(let destination):
            return open(destination)
        case .replace(let destination):
            guard let index = stack.firstIndex(where: { $0.id == id }) else { return [] }
            lastID += 1
            stack[index] = Stacked(id: lastID, screen: screen(for: destination), destination: destination)
            // What only chose where the message went goes with it: the receipt leads back to where the
            // applicant was before writing (the conversation, the application, the start page).
            var below = index - 1
            while below > 0, stack[below].screen.choosesWhereToWrite {
                stack.remove(at: below)
                below -= 1
            }
            return []
        case .quit:
            guard !stack.contains(where: { $0.screen.isBusy }) else {
                let strings = context.strings
                confirmQuit = ConfirmDialog(title: strings("quit.title"), message: strings("quit.while_sending"),
                                            confirmLabel: strings("quit.confirm"), cancelLabel: strings("quit.cancel"))
                return []
            }
            return [.quit]  // the drafts on screen are written once the terminal is given back
        case .signOut:
            let drafts = unsavedDrafts
            let effects = wrap(session.signOut(keeping: drafts, services))
            status.signedOut()
            stack = []
            push(SignInScreen(resuming: false, portal: services.portalURL.absoluteString))
            return effects
        case .setLanguage(let language):
            self.language = language
            if top?.screen is LanguageScreen { stack.removeLast() }
            var effects: [Effect<Message>] = []
            for stacked in stack { effects += tellLanguage(to: stacked.screen, id: stacked.id) }
            // Kept for the next start, as the applicant chose it.
            let remember = services.rememberLanguage
            effects.append(.run("remember language") {
                await BlockingWork.run { remember(language) }
                return nil
            })
            // Words computed at load time (the filter's text) follow the language too.
            return effects + loadTop()
        case .sessionEnded(let resume):
            guard session.ended(resume: resume, askingAlready: top?.screen is SignInScreen) else { return [] }
            push(SignInScreen(username: session.account?.applicant.username ?? "", resuming: true,
                              portal: services.portalURL.absoluteString))
            return []
        case .signedIn(let signedIn, let resuming):
            return self.signedIn(signedIn, resuming: resuming, at: id)
        case .notificationsListed(let fresh):
            return updateStatus(.listed(.success(fresh), fromCache: false))
        case .notificationRead:
            status.notificationRead()
            return []
        case .refreshUnread:
            return wrap(status.refresh(environment))
        case .pickedIn(let folder):
            lastPickFolder = folder
            return []
        case .notificationArrived(let notification):
            return deliver(NotificationsScreen.Message.arrived(notification), to: nil) + reloadTopIfStale()
        case .outboxWaiting:
            return updateStatus(.outboxWaiting)
        case .delivered(let receipts):
            // The receipt is shown where it interrupts nothing: over the start page (as after a restart);
            // elsewhere the status line says it, and Receipts keeps it.
            if top?.screen is StartScreen {
                for kept in receipts.reversed() { push(ReceiptScreen(kept: kept, justSent: true)) }
            }
            return []
        }
    }

    private mutating func tellLanguage<S: AppScreen>(to screen: S, id: Int) -> [Effect<Message>] {
        guard let message = S.Message.languageChange else { return [] }
        return deliver(message, to: screen, id: id) ?? []
    }

    // MARK: The stack

    private mutating func push(_ screen: any AppScreen) {
        lastID += 1
        stack.append(Stacked(id: lastID, screen: screen))
    }

    private mutating func open(_ destination: Destination) -> [Effect<Message>] {
        guard destination == .language || session.account != nil else { return [] }
        // A screen is never stacked on itself (F2 on the language, a key pressed twice): a second copy would
        // keep the first's state under it, which going back would show as if current.
        guard top?.destination != destination else { return [] }
        lastID += 1
        stack.append(Stacked(id: lastID, screen: screen(for: destination), destination: destination))
        return loadTop()
    }

    private func screen(for destination: Destination) -> any AppScreen {
        switch destination {
        case .applications: ApplicationsScreen(purpose: .browse)
        case .chooseApplicationForAdditionalInformation: ApplicationsScreen(purpose: .chooseForAdditionalInformation)
        case .application(let id): ApplicationScreen(applicationID: id)
        case .request(let id, let applicationID): RequestScreen(requestID: id, applicationID: applicationID)
        case .compose(let target, let title): ComposeScreen(target: target, title: title)
        case .notifications: NotificationsScreen()
        case .decision(let id, let reference): DecisionScreen(decisionID: id, reference: reference ?? "")
        case .receipts: ReceiptsScreen()
        case .receipt(let kept, let justSent): ReceiptScreen(kept: kept, justSent: justSent)
        case .language: LanguageScreen(current: language)
        case .conversations: ConversationsScreen()
        case .conversation(let subject): ConversationScreen(subject: subject)
        case .message(let id): MessageScreen(messageID: id)
        case .messageTopics: MessageTopicsScreen()
        }
    }

    /// What the screen on top shows, asked for again.
    private mutating func loadTop() -> [Effect<Message>] {
        guard let top else { return [] }
        return load(top.screen, id: top.id)
    }

    private mutating func load<S: AppScreen>(_ screen: S, id: Int) -> [Effect<Message>] {
        handle(screen.load(environment).map { [$0] } ?? [], from: id)
    }

    /// After going back to a list or an application, what changed meanwhile (a request answered) shows.
    private mutating func reloadTopIfStale() -> [Effect<Message>] {
        top?.screen.reloadsWhenShownAgain == true ? loadTop() : []
    }

    // MARK: The session

    private mutating func signedIn(_ signedIn: SignedInSession, resuming: Bool, at id: Int?) -> [Effect<Message>] {
        // The sign-in screen, wherever it is (the language screen may be over it): what is over it goes.
        if let index = stack.firstIndex(where: { $0.id == id }) { stack.removeSubrange((index + 1)...) }
        var effects = wrap([Session.keep(signedIn, services)])
        guard session.continues(signedIn, resuming: resuming) else {
            // Signed in anew (or as another applicant): their records open, then the start page.
            return effects + wrap(session.open(signedIn.applicant, services))
        }
        stack.removeLast()
        let environment = self.environment
        effects += handle(status.resume(environment), from: nil)
        switch session.resumed() {
        case .reload: effects += loadTop()
        case .give(let routed): if let top, let message = routed.message as? any ScreenMessage { effects += deliver(message, to: top.id) }
        case nil: break
        }
        return effects
    }

    private mutating func updateStatus(_ message: StatusLine.Message) -> [Effect<Message>] {
        let environment = self.environment
        return handle(status.update(message, environment), from: nil)
    }

    private mutating func sessionUpdate(_ message: Session.Message) -> [Effect<Message>] {
        guard case .opened(let applicant, let result) = message else { return [] }
        if let error = session.opened(result) {
            let signIn = stack.last { $0.screen is SignInScreen }
            guard let signIn else {
                waitingKeys = nil
                stack = []
                push(SignInScreen(username: applicant.username, resuming: false, portal: services.portalURL.absoluteString,
                                  failure: error))
                return []
            }
            return deliver(SignInScreen.Message.failed(error), to: signIn.id)
        }
        if !(stack.count == 1 && top?.screen is StartScreen) {
            stack = []
            push(StartScreen(applicantName: applicant.displayName, portalNote: services.portalNote))
        }
        // The start page counts what is unread once the records are open.
        var effects = handle(status.start(environment), from: nil) + loadTop()
        let keys = waitingKeys ?? []
        waitingKeys = nil
        for event in keys { effects += input(event) }
        return effects
    }

    // MARK: View

    public var capturesText: Bool { top?.screen.capturesText ?? false }

    public var keyHints: [KeyHint] {
        let context = self.context
        return (top?.screen.keyHints(context) ?? []) + [KeyHint("F2", context.strings("start.language"), essential: true)]
    }

    public func view(into canvas: inout Canvas) {
        let context = self.context
        let layout = Layout(bounds: canvas.bounds)
        var screen = Canvas(width: layout.screen.width, height: max(layout.screen.height, 1))
        top?.screen.view(into: &screen, context: context)
        canvas.draw(screen, at: Position(column: layout.screen.column, row: layout.screen.row))
        canvas.cursor = screen.cursor
        status.view(into: &canvas, area: layout.news, context: context)
        confirmQuit?.draw(into: &canvas, area: canvas.bounds)
    }

    // MARK: For the program that runs the app

    /// The drafts on screen with edits not yet saved, for writing when the program ends. A message being sent
    /// or waiting in the outbox is not a draft any more.
    public var unsavedDrafts: [Draft] { stack.compactMap { $0.screen.unsavedDraft(at: context.now) } }

    public var accountStore: ApplicantStore? { session.account?.store }
}
