import ApplicantStore
import Delivery
import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel
import TerminalUI

/// The applicant's Portti: a stack of screens over the portal client and the applicant's records.
/// `update` changes state and returns effects; nothing here blocks or draws outside `view`.
public struct PorttiApp: Program, TranslatedProgram {
    public enum Message: InputMessage {
        case input(InputEvent)
        case picker(FilePicker.Message)
        case applicationsLoaded(Result<Fresh<[Application]>, ClientError>)
        case applicationLoaded(id: String, Result<Fresh<ApplicationPage>, ClientError>)
        case requestLoaded(id: String, Result<Fresh<SupplementRequest>, ClientError>, reference: String)
        case notificationsLoaded(Result<Fresh<NotificationList>, ClientError>, fromCache: Bool)
        case decisionLoaded(id: String, Result<Fresh<ServedDecision>, ClientError>, reference: String)
        case receiptsLoaded([KeptReceipt])
        case composeReady(MessageTarget, ComposeTitle, Draft?)
        case filesAttached([AttachedFile], unreadable: [String])
        case sendProgress(Courier.Progress)
        case sendFinished(MessageTarget, Result<Receipt, ClientError>)
        case draftSaveDue
        case documentSaved(decisionID: String, path: String, Result<Int64, ClientError>)
        case markedRead(PortalNotification?)
        case notificationEvent(NotificationEvent)
        case signedIn(Result<SignedInSession, ClientError>)
        case outboxDelivered([OutboxOutcome])
        case editorFinished(String?)
        case clearNews(Int)
    }

    enum Screen: Sendable {
        case signIn(SignInScreen)
        case start(StartScreen)
        case applications(ApplicationsScreen)
        case application(ApplicationScreen)
        case request(RequestScreen)
        case compose(ComposeScreen)
        case receipt(ReceiptScreen)
        case notifications(NotificationsScreen)
        case decision(DecisionScreen)
        case receipts(ReceiptsScreen)
        case language(LanguageScreen)
    }

    public private(set) var language: Language
    let services: AppServices
    var account: Account?
    var stack: [Screen] = []
    /// A line of news for the status line (a new notification, a message sent from the outbox).
    var news: String?
    var newsGeneration = 0
    var unread: Int?
    var draftSaveScheduled = false
    var confirmQuit: ConfirmDialog?
    /// What to do again once the applicant has signed in after the session expired.
    var resumeAfterSignIn: ScreenAction?
    var lastSequence: Int64?
    /// The notification stream ended with the session; it starts again after the next sign-in.
    var streamEnded = false
    var size = (width: 80, height: 24)
    /// Where the last pick was made: the next picker opens there (the first one in the starting folder).
    var pickerFolder: FileSystemPath?
    /// Keys typed while the writing screen opens (its draft is read off the terminal thread): they are kept
    /// and given to it once it is there, so typing straight after Enter loses nothing and a second Enter
    /// cannot open a second writing screen.
    var typedAhead: [InputEvent]?

    /// Starts signed in as `applicant` (a kept session), or at the sign-in screen.
    public init(services: AppServices, language: Language, signedIn applicant: Applicant?, username: String = "") {
        self.services = services
        self.language = language
        if let applicant, let account = try? services.openAccount(applicant) {
            self.account = account
            stack = [.start(StartScreen(applicantName: applicant.displayName, portalNote: services.portalNote))]
        } else {
            stack = [.signIn(SignInScreen(username: username, resuming: false, portal: services.portalURL.absoluteString))]
        }
    }

    var context: ViewContext { ViewContext(language: language) }

    public var strings: StringTable { StringTable(language) }

    // MARK: Start

    public mutating func start() -> [Effect<Message>] {
        account == nil ? [] : afterSignIn()
    }

    /// What follows a sign-in: the unread count (from the cache at once, then from the portal), the outbox
    /// left from before, and the notification stream.
    private mutating func afterSignIn() -> [Effect<Message>] {
        guard let account else { return [] }
        let client = services.client
        let store = account.store
        return [
            .stream { post in
                if let cached: Fresh<NotificationList> = cachedOnly(store, key: "notifications") {
                    post(.notificationsLoaded(.success(cached), fromCache: true))
                }
                post(.notificationsLoaded(await Self.fetchNotifications(client, store), fromCache: false))
            },
            Self.deliverOutbox(account),
        ]
    }

    /// Sends what the outbox holds (left from a crash, a quit or an expired session) and reports the outcomes.
    static func deliverOutbox(_ account: Account) -> Effect<Message> {
        .run {
            let outcomes = await account.courier.deliverPending()
            return .outboxDelivered(outcomes.map { item, outcome in
                switch outcome {
                case .success(let receipt): OutboxOutcome(item: item, receipt: receipt, error: nil)
                case .failure(let error): OutboxOutcome(item: item, receipt: nil, error: error)
                }
            })
        }
    }

    private func streamNotifications(after sequence: Int64?) -> Effect<Message> {
        let client = services.client
        return .stream { post in
            for await event in client.notificationEvents(after: sequence) { post(.notificationEvent(event)) }
        }
    }

    static func fetchNotifications(_ client: PortalClient, _ store: ApplicantStore) async -> Result<Fresh<NotificationList>, ClientError> {
        await result {
            try await readThroughCache(store, key: "notifications") {
                let answer = try await client.notifications()
                return NotificationList(notifications: answer.notifications, unread: answer.unread)
            }
        }
    }

    static func result<Value>(_ work: () async throws -> Value) async -> Result<Value, ClientError> {
        do { return .success(try await work()) } catch let error as ClientError { return .failure(error) } catch {
            return .failure(.localStorageFailed)
        }
    }

    // MARK: Update

    public mutating func update(_ message: Message) -> [Effect<Message>] {
        switch message {
        case .input(let event):
            return handleInput(event)
        case .picker(let pickerMessage):
            return updatePicker(pickerMessage)
        case .applicationsLoaded(let result):
            let context = self.context
            updateScreens { screen in
                if case .applications(var applications) = screen {
                    applications.show(Self.loadable(result), context: context)
                    screen = .applications(applications)
                }
            }
            return sessionCheck(result)
        case .applicationLoaded(let id, let result):
            updateScreens { screen in
                if case .application(var application) = screen, application.applicationID == id {
                    application.show(Self.loadable(result))
                    screen = .application(application)
                }
            }
            return sessionCheck(result)
        case .requestLoaded(let id, let result, let reference):
            let context = self.context
            updateScreens { screen in
                if case .request(var request) = screen, request.requestID == id {
                    request.show(Self.loadable(result), reference: reference, context: context)
                    screen = .request(request)
                }
            }
            return sessionCheck(result)
        case .notificationsLoaded(let result, let fromCache):
            var effects: [Effect<Message>] = []
            let fresh = try? result.get()
            // A failed load leaves the count as it was (and a new start page learns it).
            setUnread(fresh?.value.unread ?? unread)
            if let fresh {
                // The stream starts after the newest listed by the portal itself, so nothing falls between.
                if !fromCache && fresh.offlineSince == nil && lastSequence == nil && services.timing.followsNotifications {
                    lastSequence = fresh.value.notifications.map(\.sequence).max() ?? 0
                    effects.append(streamNotifications(after: lastSequence))
                }
            }
            updateScreens { screen in
                if case .notifications(var notifications) = screen {
                    notifications.show(Self.loadable(result).map(\.notifications))
                    screen = .notifications(notifications)
                }
            }
            return effects + (fromCache ? [] : sessionCheck(result))
        case .decisionLoaded(let id, let result, let reference):
            let context = self.context
            updateScreens { screen in
                if case .decision(var decision) = screen, decision.decisionID == id {
                    decision.show(Self.loadable(result), reference: reference, context: context)
                    screen = .decision(decision)
                }
            }
            return sessionCheck(result)
        case .receiptsLoaded(let receipts):
            updateScreens { screen in
                if case .receipts = screen { screen = .receipts(ReceiptsScreen(receipts: receipts)) }
            }
            return []
        case .composeReady(let target, let title, let draft):
            let compose = Screen.compose(ComposeScreen(target: target, title: title, draft: draft))
            var effects: [Effect<Message>]
            if case .signIn = stack.last {
                // The session ended while it opened: the password prompt stays on top (what was typed meanwhile
                // went to it, not into the message), and the writing screen waits under it.
                stack.insert(compose, at: stack.count - 1)
                effects = deliver(.resize(width: size.width, height: size.height), toScreenAt: stack.count - 2)
            } else {
                stack.append(compose)
                effects = resizeTop()
            }
            let keys = typedAhead ?? []
            typedAhead = nil
            for event in keys { effects += handleInput(event) }
            return effects
        case .filesAttached(let files, let unreadable):
            let context = self.context
            updateTopCompose { $0.attach(files, unreadable: unreadable, context: context) }
            return scheduleDraftSave()
        case .sendProgress(let progress):
            updateTopCompose { compose in if compose.isSending { compose.stage = .sending(progress) } }
            return []
        case .sendFinished(let target, let result):
            return finishSend(target, result)
        case .draftSaveDue:
            draftSaveScheduled = false
            return saveDrafts()
        case .documentSaved(let id, let path, let result):
            updateScreens { screen in
                if case .decision(var decision) = screen, decision.decisionID == id {
                    decision.saving = false
                    switch result {
                    case .success(let size): decision.saved = (path, size)
                    case .failure(let error): decision.failure = error
                    }
                    screen = .decision(decision)
                }
            }
            return sessionCheck(result)
        case .markedRead(let notification):
            guard let notification else { return [] }
            // The count goes down only for a notification still shown unread: a list reloaded meanwhile (going
            // back before this answer came) already counts it as read.
            var shownUnread = false
            var listed = false
            updateScreens { screen in
                if case .notifications(var notifications) = screen {
                    listed = true
                    if notifications.markRead(notification.id, at: notification.readAt ?? Date()) { shownUnread = true }
                    screen = .notifications(notifications)
                }
            }
            // No list left to tell: the portal's own count is asked for.
            guard listed else { return reloadNotifications() }
            if shownUnread { setUnread(max((unread ?? 1) - 1, 0)) }
            return []
        case .notificationEvent(let event):
            return notificationArrived(event)
        case .signedIn(let result):
            return signedIn(result)
        case .outboxDelivered(let outcomes):
            return outboxDelivered(outcomes)
        case .editorFinished(let text):
            if let text {
                updateTopCompose { compose in
                    compose.editor = TextEditor(text: UntrustedText.sanitized(text, keepingLineBreaks: true, tabWidth: 4))
                    compose.unsaved = true
                }
                return resizeTop() + scheduleDraftSave()
            }
            return []
        case .clearNews(let generation):
            if generation == newsGeneration { news = nil }
            return []
        }
    }

    static func loadable<Value: Equatable & Sendable>(_ result: Result<Fresh<Value>, ClientError>) -> Loadable<Value> {
        switch result {
        case .success(let fresh): .loaded(fresh.value, offlineSince: fresh.offlineSince)
        case .failure(let error): .failed(error)
        }
    }

    /// An expired session asks for the password and then goes on where the applicant was.
    private mutating func sessionCheck<Value>(_ result: Result<Value, ClientError>) -> [Effect<Message>] {
        guard case .failure(let error) = result, error == .sessionExpired || error == .notSignedIn else { return [] }
        return askToSignInAgain(then: .reload)
    }

    private mutating func askToSignInAgain(then action: ScreenAction) -> [Effect<Message>] {
        if case .signIn = stack.last { return [] }
        resumeAfterSignIn = action
        stack.append(.signIn(SignInScreen(
            username: account?.applicant.username ?? "", resuming: true, portal: services.portalURL.absoluteString)))
        return resizeTop()
    }

    // MARK: Input

    private mutating func handleInput(_ event: InputEvent) -> [Effect<Message>] {
        if case .resize(let width, let height) = event {
            size = (width, height)
            // Every screen learns the size, so going back shows it laid out right.
            var effects: [Effect<Message>] = []
            for index in stack.indices { effects += deliver(event, toScreenAt: index) }
            return effects
        }
        if typedAhead != nil {
            typedAhead?.append(event)
            return []
        }
        if var dialog = confirmQuit {
            // The dialog is all that takes input while it is up: a paste or a click reaches nothing under it.
            guard case .key(let key) = event else { return [] }
            switch dialog.handle(key) {
            case .confirmed: return saveDrafts() + [.quit]
            case .cancelled: confirmQuit = nil
            default: confirmQuit = dialog
            }
            return []
        }
        // F2 switches the language on any screen, keeping everything as it is.
        if case .key(.function(2)) = event { return open(.language) }
        if case .compose(let compose) = stack.last, case .picking = compose.stage {
            return updatePicker(.input(event))
        }
        return deliver(event, toScreenAt: stack.count - 1)
    }

    private mutating func deliver(_ event: InputEvent, toScreenAt index: Int) -> [Effect<Message>] {
        guard stack.indices.contains(index) else { return [] }
        let height = max(size.height - 2, 1)  // less the status bar and the news line
        var adjusted = event
        if case .resize(let width, _) = event { adjusted = .resize(width: width, height: height) }
        var action: ScreenAction?
        switch stack[index] {
        case .signIn(var screen): action = screen.handle(adjusted); stack[index] = .signIn(screen)
        case .start(var screen): action = screen.handle(adjusted); stack[index] = .start(screen)
        case .applications(var screen): action = screen.handle(adjusted); stack[index] = .applications(screen)
        case .application(var screen): action = screen.handle(adjusted); stack[index] = .application(screen)
        case .request(var screen): action = screen.handle(adjusted); stack[index] = .request(screen)
        case .compose(var screen): action = screen.handle(adjusted); stack[index] = .compose(screen)
        case .receipt(var screen): action = screen.handle(adjusted); stack[index] = .receipt(screen)
        case .notifications(var screen): action = screen.handle(adjusted); stack[index] = .notifications(screen)
        case .decision(var screen): action = screen.handle(adjusted); stack[index] = .decision(screen)
        case .receipts(var screen): action = screen.handle(adjusted); stack[index] = .receipts(screen)
        case .language(var screen): action = screen.handle(adjusted); stack[index] = .language(screen)
        }
        guard let action, index == stack.count - 1 else { return [] }
        return perform(action)
    }

    private func resizeTop() -> [Effect<Message>] {
        [.run { [size] in .input(.resize(width: size.width, height: size.height)) }]
    }

    // MARK: Actions

    private mutating func perform(_ action: ScreenAction) -> [Effect<Message>] {
        switch action {
        case .back:
            return goBack()
        case .quit:
            if stack.contains(where: { if case .compose(let c) = $0 { c.isSending } else { false } }) {
                let strings = context.strings
                confirmQuit = ConfirmDialog(title: strings("quit.title"), message: strings("quit.while_sending"),
                                            confirmLabel: strings("quit.confirm"), cancelLabel: strings("quit.cancel"))
                return []
            }
            return saveDrafts() + [.quit]
        case .open(let destination):
            return open(destination)
        case .reload:
            return reloadTop()
        case .send:
            return send()
        case .saveDraft:
            return scheduleDraftSave()
        case .openFilePicker:
            return openPicker()
        case .openExternalEditor:
            return openEditor()
        case .saveDecisionDocument(let id, let path):
            let client = services.client
            return [.run { .documentSaved(decisionID: id, path: path, await Self.result { try await client.saveDecisionDocument(id: id, to: path) }) }]
        case .markRead(let id):
            guard case .notifications(let screen) = stack.last, let notification = screen.content.value?.first(where: { $0.id == id })
            else { return [] }
            let destination = NotificationsScreen.destination(of: notification)
            if notification.readAt != nil { return open(destination) }
            let client = services.client
            // Reading it marks it read on the portal; opening it does not wait for that, so a key pressed next
            // goes to what was opened, and a second Enter cannot open it twice.
            return open(destination) + [.run { .markedRead(try? await client.markRead(notificationID: id)) }]
        case .signIn(let username, let password):
            let client = services.client
            return [.run { .signedIn(await Self.result { try await client.signIn(username: username, password: password) }) }]
        case .signOut:
            let client = services.client
            let sessionFile = services.sessionFile
            let effects = saveDrafts()
            account = nil
            unread = nil
            lastSequence = nil
            stack = [.signIn(SignInScreen(resuming: false, portal: services.portalURL.absoluteString))]
            return effects + [.run {
                try? await client.signOut()
                sessionFile.remove()
                return nil
            }] + resizeTop()
        case .setLanguage(let language):
            self.language = language
            if case .language = stack.last { stack.removeLast() }
            let strings = context.strings
            updateScreens { screen in
                if case .compose(var compose) = screen, compose.picker != nil {
                    compose.picker?.strings = strings
                    screen = .compose(compose)
                }
            }
            // Words computed at load time (the filter's text) follow the language too.
            return reloadTop()
        }
    }

    private mutating func goBack() -> [Effect<Message>] {
        var effects: [Effect<Message>] = []
        if case .compose = stack.last { effects += saveDrafts() }
        if case .signIn(let screen) = stack.last, screen.resuming { resumeAfterSignIn = nil }
        if stack.count > 1 { stack.removeLast() }
        return effects + reloadTopIfStale()
    }

    /// After going back to a list or an application, what changed meanwhile (a request answered) shows.
    private mutating func reloadTopIfStale() -> [Effect<Message>] {
        switch stack.last {
        case .application, .applications, .notifications, .request: reloadTop()
        default: []
        }
    }

    private mutating func open(_ destination: Destination) -> [Effect<Message>] {
        if destination == .language {
            stack.append(.language(LanguageScreen(current: language)))
            return resizeTop()
        }
        guard let account else { return [] }
        let store = account.store
        switch destination {
        case .applications:
            stack.append(.applications(ApplicationsScreen(purpose: .browse)))
        case .chooseApplicationForAdditionalInformation:
            stack.append(.applications(ApplicationsScreen(purpose: .chooseForAdditionalInformation)))
        case .application(let id):
            stack.append(.application(ApplicationScreen(applicationID: id)))
        case .request(let id, let applicationID):
            stack.append(.request(RequestScreen(requestID: id, applicationID: applicationID)))
        case .compose(let target, let title):
            // A draft left unsent is offered again.
            typedAhead = []
            return [.run { .composeReady(target, title, try? store.draft(for: target)) }]
        case .notifications:
            stack.append(.notifications(NotificationsScreen()))
        case .decision(let id, let reference):
            let folder = services.environment["HOME"] ?? FileManager.default.currentDirectoryPath
            stack.append(.decision(DecisionScreen(decisionID: id, reference: reference ?? "", suggestedFolder: folder)))
        case .receipts:
            stack.append(.receipts(ReceiptsScreen(receipts: [])))
        case .receipt(let kept):
            stack.append(.receipt(ReceiptScreen(kept: kept, justSent: false)))
            return resizeTop()
        case .language:
            stack.append(.language(LanguageScreen(current: language)))
            return resizeTop()
        }
        return resizeTop() + reloadTop()
    }

    /// Loads what the top screen shows, through the cache.
    private mutating func reloadTop() -> [Effect<Message>] {
        guard let account else { return [] }
        let client = services.client
        let store = account.store
        switch stack.last {
        case .applications:
            return [.run { .applicationsLoaded(await Self.result { try await readThroughCache(store, key: "applications") { try await client.applications() } }) }]
        case .application(let screen):
            let id = screen.applicationID
            return [.run {
                .applicationLoaded(id: id, await Self.result {
                    try await readThroughCache(store, key: "application-screen:\(id)") {
                        async let overview = client.application(id: id)
                        async let requests = client.requests(applicationID: id)
                        return ApplicationPage(overview: try await overview, requests: try await requests)
                    }
                })
            }]
        case .request(let screen):
            let id = screen.requestID
            let applicationID = screen.applicationID
            return [.run {
                let reference = await Self.referenceNumber(of: applicationID, client, store)
                return .requestLoaded(id: id, await Self.result {
                    try await readThroughCache(store, key: "request:\(id)") { try await client.request(id: id) }
                }, reference: reference)
            }]
        case .notifications, .start:
            return reloadNotifications()
        case .decision(let screen):
            let id = screen.decisionID
            let known = screen.reference
            return [.run {
                let result = await Self.result { try await readThroughCache(store, key: "decision:\(id)") { try await client.decision(id: id) } }
                // Which application it decides, by its reference number: asked for only when the screen that
                // opened it did not know it.
                var reference = known
                if reference.isEmpty, case .success(let fresh) = result {
                    reference = await Self.referenceNumber(of: fresh.value.decision.applicationID, client, store)
                }
                return .decisionLoaded(id: id, result, reference: reference)
            }]
        case .receipts:
            return [.run { .receiptsLoaded((try? store.receipts()) ?? []) }]
        default:
            return []
        }
    }

    /// The unread count, here and on the start page.
    private mutating func setUnread(_ count: Int?) {
        unread = count
        updateScreens { screen in
            if case .start(var start) = screen {
                start.unread = count
                screen = .start(start)
            }
        }
    }

    /// An application's reference number, through the cache; empty when it cannot be had.
    static func referenceNumber(of applicationID: String, _ client: PortalClient, _ store: ApplicantStore) async -> String {
        (try? await readThroughCache(store, key: "application:\(applicationID)") {
            try await client.application(id: applicationID)
        })?.value.application.referenceNumber ?? ""
    }

    /// The notifications again from the portal: the list, and the unread count wherever it shows.
    private func reloadNotifications() -> [Effect<Message>] {
        guard let store = account?.store else { return [] }
        let client = services.client
        return [.run { .notificationsLoaded(await Self.fetchNotifications(client, store), fromCache: false) }]
    }

    // MARK: Writing and sending

    private mutating func updateTopCompose(_ change: (inout ComposeScreen) -> Void) {
        guard case .compose(var compose) = stack.last else { return }
        change(&compose)
        stack[stack.count - 1] = .compose(compose)
    }

    /// Drafts are written half a second after typing pauses (and at once when leaving): a crash loses at most that.
    private mutating func scheduleDraftSave() -> [Effect<Message>] {
        guard !draftSaveScheduled else { return [] }
        draftSaveScheduled = true
        let delay = services.timing.draftSaveDelay
        return [.run {
            try? await Task.sleep(for: delay)
            return .draftSaveDue
        }]
    }

    private mutating func saveDrafts() -> [Effect<Message>] {
        guard let store = account?.store else { return [] }
        var drafts: [Draft] = []
        for index in stack.indices {
            guard case .compose(var compose) = stack[index], compose.unsaved else { continue }
            compose.unsaved = false
            stack[index] = .compose(compose)
            drafts.append(compose.draft)
        }
        guard !drafts.isEmpty else { return [] }
        let toSave = drafts
        return [.run {
            for draft in toSave { try? store.save(draft) }
            return nil
        }]
    }

    /// The drafts on screen with edits not yet saved, for saving when the program ends by a signal. A message
    /// being sent or waiting in the outbox is not a draft any more.
    public var unsavedDrafts: [Draft] {
        stack.compactMap {
            guard case .compose(let compose) = $0, compose.unsaved, !compose.isSending, !compose.waitingInOutbox else { return nil }
            return compose.draft
        }
    }

    public var accountStore: ApplicantStore? { account?.store }

    private mutating func send() -> [Effect<Message>] {
        guard let account, case .compose(let compose) = stack.last else { return [] }
        let draft = compose.draft
        let courier = account.courier
        let store = account.store
        return [.stream { post in
            // Saved first: whatever happens next, the text is kept.
            try? store.save(draft)
            let result = await Self.result { try await courier.send(draft) { post(.sendProgress($0)) } }
            post(.sendFinished(draft.target, result))
        }]
    }

    private mutating func finishSend(_ target: MessageTarget, _ result: Result<Receipt, ClientError>) -> [Effect<Message>] {
        guard let index = stack.lastIndex(where: { if case .compose(let c) = $0 { c.target == target } else { false } }),
            case .compose(var compose) = stack[index]
        else { return [] }
        switch result {
        case .success(let receipt):
            // The receipt takes the place of the message: Send cannot be pressed again.
            let kept = KeptReceipt(receipt: receipt, target: target, message: compose.editor.text)
            stack[index] = .receipt(ReceiptScreen(kept: kept, justSent: true))
            return [.run { nil }]
        case .failure(let error):
            if error == .sessionExpired || error == .notSignedIn {
                compose.stage = .reviewing
                compose.waitingInOutbox = true
                stack[index] = .compose(compose)
                return askToSignInAgain(then: .send)
            }
            compose.stage = .failed(error)
            compose.waitingInOutbox = !error.isDefiniteRefusal
            stack[index] = .compose(compose)
            return []
        }
    }

    private mutating func openPicker() -> [Effect<Message>] {
        guard case .compose(var compose) = stack.last else { return [] }
        guard compose.files.count < ComposeScreen.maxFiles else {
            compose.note = ComposeScreen.tooManyFilesNote(context)
            stack[stack.count - 1] = .compose(compose)
            return []
        }
        let home = services.environment["HOME"] ?? services.pickerFolder
        let folder = pickerFolder ?? FileSystemPath(services.pickerFolder)
        var picker = FilePicker(strings: context.strings, folder: folder, home: FileSystemPath(home),
                                utcOffset: TimeZone.current.secondsFromGMT())
        var effects = picker.start().map { $0.map(Message.picker) }
        effects += picker.update(.input(.resize(width: size.width, height: size.height - 1))).map { $0.map(Message.picker) }
        compose.picker = picker
        compose.stage = .picking
        stack[stack.count - 1] = .compose(compose)
        return effects
    }

    private mutating func updatePicker(_ message: FilePicker.Message) -> [Effect<Message>] {
        guard case .compose(var compose) = stack.last, var picker = compose.picker else { return [] }
        var effects = picker.update(message).filter { !$0.isQuit }.map { $0.map(Message.picker) }
        if let outcome = picker.outcome {
            compose.picker = nil
            compose.stage = .writing
            if case .picked(let files) = outcome {
                pickerFolder = picker.folder
                let paths = files.map { String(decoding: $0.path.bytes, as: UTF8.self) }
                let names = files.map { FileName.sanitized($0.displayName) }
                effects.append(.run {
                    await BlockingWork.run {
                        var attached: [AttachedFile] = []
                        var unreadable: [String] = []
                        for (path, name) in zip(paths, names) {
                            if let digest = try? LocalFile.digest(path: path) {
                                attached.append(AttachedFile(path: path, name: name, size: digest.size, sha256: digest.sha256))
                            } else {
                                unreadable.append(path)
                            }
                        }
                        return .filesAttached(attached, unreadable: unreadable)
                    }
                })
            }
        } else {
            compose.picker = picker
        }
        stack[stack.count - 1] = .compose(compose)
        return effects
    }

    private mutating func openEditor() -> [Effect<Message>] {
        guard case .compose(let compose) = stack.last else { return [] }
        let text = compose.editor.text
        let runEditor = services.runEditor
        return [.lendTerminal {
            let file = FileManager.default.temporaryDirectory.appending(path: "portti-draft-\(UUID().uuidString).txt")
            defer { try? FileManager.default.removeItem(at: file) }
            guard FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]),
                runEditor(file.path), let edited = FileManager.default.contents(atPath: file.path)
            else { return .editorFinished(nil) }
            var result = String(decoding: edited, as: UTF8.self)
            if result.hasSuffix("\n") && !text.hasSuffix("\n") { result.removeLast() }  // editors add one
            return .editorFinished(result)
        }]
    }

    // MARK: Session and notifications

    private mutating func signedIn(_ result: Result<SignedInSession, ClientError>) -> [Effect<Message>] {
        // The sign-in screen, wherever it is (the language screen may be over it).
        guard let signInIndex = stack.lastIndex(where: { if case .signIn = $0 { true } else { false } }),
            case .signIn(var screen) = stack[signInIndex]
        else { return [] }
        stack.removeSubrange((signInIndex + 1)...)
        switch result {
        case .failure(let error):
            screen.failed(error)
            stack[stack.count - 1] = .signIn(screen)
            return []
        case .success(let session):
            let sessionFile = services.sessionFile
            var effects: [Effect<Message>] = [.run {
                try? sessionFile.write(.init(
                    username: session.applicant.username, token: session.token, expiresAt: session.expiresAt,
                    displayName: session.applicant.displayName))
                return nil
            }]
            if screen.resuming, account?.applicant.username == session.applicant.username {
                stack.removeLast()
                if streamEnded, let account {
                    streamEnded = false
                    effects.append(streamNotifications(after: lastSequence))
                    // What the expired session kept from going out goes now.
                    effects.append(Self.deliverOutbox(account))
                }
                if let action = resumeAfterSignIn {
                    resumeAfterSignIn = nil
                    if action == .send, case .compose(var compose) = stack.last {
                        compose.stage = .sending(nil)
                        stack[stack.count - 1] = .compose(compose)
                    }
                    effects += perform(action)
                }
                return effects + resizeTop()
            }
            guard let opened = try? services.openAccount(session.applicant) else {
                screen.failed(.localStorageFailed)
                stack[stack.count - 1] = .signIn(screen)
                return []
            }
            account = opened
            stack = [.start(StartScreen(applicantName: session.applicant.displayName, portalNote: services.portalNote))]
            return effects + afterSignIn() + resizeTop()
        }
    }

    private mutating func notificationArrived(_ event: NotificationEvent) -> [Effect<Message>] {
        switch event {
        case .notification(let notification):
            lastSequence = max(lastSequence ?? 0, notification.sequence)
            setUnread((unread ?? 0) + (notification.readAt == nil ? 1 : 0))
            updateScreens { screen in
                if case .notifications(var notifications) = screen {
                    notifications.prepend(notification)
                    screen = .notifications(notifications)
                }
            }
            let text = context.strings("news.new", ["what": context.strings("notification.\(notification.kind.rawValue)")])
            return showNews(text) + reloadTopIfStale()
        case .disconnected(.sessionExpired), .disconnected(.notSignedIn):
            streamEnded = true
            return askToSignInAgain(then: .reload)
        case .connected, .disconnected:
            return []
        }
    }

    private mutating func outboxDelivered(_ outcomes: [OutboxOutcome]) -> [Effect<Message>] {
        let delivered = outcomes.compactMap { outcome in outcome.receipt.map { KeptReceipt(receipt: $0, target: outcome.item.target, message: outcome.item.text) } }
        if let refused = outcomes.first(where: { $0.error?.isDefiniteRefusal == true }), let error = refused.error {
            return showNews(context.strings("news.outbox_refused") + " " + context.error(error))
        }
        guard let first = delivered.first else { return [] }
        // The receipt is shown where it interrupts nothing: over the start page (as after a restart);
        // elsewhere the status line says it, and Receipts keeps it.
        if case .start = stack.last {
            for kept in delivered.reversed() { stack.append(.receipt(ReceiptScreen(kept: kept, justSent: true))) }
        }
        return showNews(context.strings("news.outbox_sent", ["number": first.receipt.number])) + resizeTop()
    }

    private mutating func showNews(_ text: String) -> [Effect<Message>] {
        news = text
        newsGeneration += 1
        let generation = newsGeneration
        let duration = services.timing.newsDuration
        return [.run {
            try? await Task.sleep(for: duration)
            return .clearNews(generation)
        }]
    }

    private mutating func updateScreens(_ change: (inout Screen) -> Void) {
        for index in stack.indices { change(&stack[index]) }
    }

    // MARK: View

    public var capturesText: Bool {
        switch stack.last {
        case .signIn(let screen): screen.capturesText
        case .applications(let screen): screen.capturesText
        case .compose(let screen): screen.capturesText
        case .decision(let screen): screen.capturesText
        default: false
        }
    }

    public var keyHints: [KeyHint] {
        let context = self.context
        var hints: [KeyHint]
        switch stack.last {
        case .signIn(let screen): hints = screen.keyHints(context)
        case .start(let screen): hints = screen.keyHints(context)
        case .applications(let screen): hints = screen.keyHints(context)
        case .application(let screen): hints = screen.keyHints(context)
        case .request(let screen): hints = screen.keyHints(context)
        case .compose(let screen): hints = screen.keyHints(context)
        case .receipt(let screen): hints = screen.keyHints(context)
        case .notifications(let screen): hints = screen.keyHints(context)
        case .decision(let screen): hints = screen.keyHints(context)
        case .receipts(let screen): hints = screen.keyHints(context)
        case .language(let screen): hints = screen.keyHints(context)
        case nil: hints = []
        }
        return hints + [KeyHint("F2", context.strings("start.language"))]
    }

    public func view(into canvas: inout Canvas) {
        let context = self.context
        var body = Canvas(width: canvas.width, height: max(canvas.height - 1, 1))
        switch stack.last {
        case .signIn(let screen): screen.view(into: &body, context: context)
        case .start(let screen): screen.view(into: &body, context: context)
        case .applications(let screen): screen.view(into: &body, context: context)
        case .application(let screen): screen.view(into: &body, context: context)
        case .request(let screen): screen.view(into: &body, context: context)
        case .compose(let screen): screen.view(into: &body, context: context)
        case .receipt(let screen): screen.view(into: &body, context: context)
        case .notifications(let screen): screen.view(into: &body, context: context)
        case .decision(let screen): screen.view(into: &body, context: context)
        case .receipts(let screen): screen.view(into: &body, context: context)
        case .language(let screen): screen.view(into: &body, context: context)
        case nil: break
        }
        canvas.draw(body, at: Position(column: 0, row: 0))
        canvas.cursor = body.cursor
        // The status line: news, or the unread count, on every screen.
        let row = canvas.height - 1
        var status = news
        if status == nil, let unread, unread > 0 { status = context.strings("news.unread", ["count": String(unread)]) }
        if let status {
            canvas.fill(Rect(column: 0, row: row, width: canvas.width, height: 1), style: .bar)
            _ = canvas.put(" " + status, column: 0, row: row, maxWidth: canvas.width, style: .bar)
        }
        if let confirmQuit {
            confirmQuit.draw(into: &canvas, area: Rect(column: 0, row: 0, width: canvas.width, height: canvas.height))
        }
    }
}

extension Loadable {
    func map<Other>(_ transform: (Value) -> Other) -> Loadable<Other> {
        switch self {
        case .loading: .loading
        case .loaded(let value, let offline): .loaded(transform(value), offlineSince: offline)
        case .failed(let error): .failed(error)
        }
    }
}
