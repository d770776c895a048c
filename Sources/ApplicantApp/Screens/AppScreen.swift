import ApplicantStore
import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel
import TerminalUI

/// One screen of the app as a feature, bubbletea's model: its state, its messages, how it loads, how it
/// answers a message (the effects to perform, its requests to the app among them) and how it looks.
/// `update` and `view` read the state, the message and the environment only: no clock, disk or network.
protocol AppScreen: Sendable {
    associatedtype Message: ScreenMessage

    /// What the screen asks of the portal or the records when it opens or shows again (nil: nothing).
    func load(_ environment: AppEnvironment) -> Effect<Message>?

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>]

    /// Draws into the canvas, which is the screen's area (`Layout.screen`): its title on the first row.
    func view(into canvas: inout Canvas, context: ViewContext)

    func keyHints(_ context: ViewContext) -> [KeyHint]

    /// True while typed text goes into a field, so letters are text, not commands.
    var capturesText: Bool { get }

    /// Loads again when the applicant comes back to it, so what changed meanwhile (a request answered) shows.
    var reloadsWhenShownAgain: Bool { get }

    /// Something under way that quitting would cut off (a send): the app asks before it quits.
    var isBusy: Bool { get }

    /// It only chooses where a message goes (a topic, an application): once the message is sent, its receipt
    /// leads back past it to where the applicant was before writing, never to a choice that invites a second one.
    var choosesWhereToWrite: Bool { get }

    /// Edits not yet written to the records, for writing before the program ends or the applicant signs out.
    func unsavedDraft(at time: Date) -> Draft?
}

extension AppScreen {
    func load(_ environment: AppEnvironment) -> Effect<Message>? { nil }
    var capturesText: Bool { false }
    var reloadsWhenShownAgain: Bool { false }
    var isBusy: Bool { false }
    var choosesWhereToWrite: Bool { false }
    func unsavedDraft(at time: Date) -> Draft? { nil }
}

/// A feature's message that can carry a request to the app (a screen's, the status line's).
protocol AppRequesting: Sendable {
    static func app(_ request: AppRequest) -> Self
    /// The request this message carries to the app, if it is one.
    var request: AppRequest? { get }
}

/// A screen's message: terminal input for the screen on top, or its own, or a request to the app.
protocol ScreenMessage: AppRequesting {
    static func input(_ event: InputEvent) -> Self
    /// The message telling the screen the language changed, for words it keeps (nil: it keeps none).
    static var languageChange: Self? { get }
    /// What the message means when no screen is left to take it (nil: nothing).
    var whenUnheard: AppRequest? { get }
}

extension ScreenMessage {
    static var languageChange: Self? { nil }
    var whenUnheard: AppRequest? { nil }
}

/// A message for one of the app's features, opaque outside the app: a screen's (for the screen that asked,
/// or, with no screen named, for every screen of its kind), the session's or the status line's.
public struct Routed: Sendable {
    let message: any Sendable
    /// The screen that asked for it (its effect's answer); nil for every screen that takes the message.
    let screen: Int?

    init(_ message: any Sendable, to screen: Int? = nil) {
        self.message = message
        self.screen = screen
    }
}

/// What a screen (or the status line) asks of the app: where to go, and what only the app can do.
enum AppRequest: Sendable {
    case back
    case open(Destination)
    /// The screen asking gives its place to `destination` (a receipt where its message was).
    case replace(with: Destination)
    case quit
    case signOut
    case setLanguage(Language)
    /// The portal says the session has ended: ask for the password, then give the screen on top `resume`
    /// (nil: it loads again).
    case sessionEnded(resume: Routed?)
    /// The sign-in screen signed in; `resuming` after the session ended.
    case signedIn(SignedInSession, resuming: Bool)
    /// A list of notifications came from the portal (the unread count, where the stream starts).
    case notificationsListed(Fresh<NotificationList>)
    /// One notification shown unread was read now.
    case notificationRead
    /// The unread count again from the portal.
    case refreshUnread
    /// Files were picked in this folder: the next picker opens there.
    case pickedIn(FileSystemPath)
    /// A notification arrived: the screens that list them show it, and a stale screen on top loads again.
    case notificationArrived(PortalNotification)
    /// Receipts of messages the outbox delivered, shown where they interrupt nothing.
    case delivered([KeptReceipt])
    /// A message stays in the outbox because the portal could not be reached: the status line tries again
    /// while the app is open.
    case outboxWaiting
}

extension AppRequesting {
    /// The request as an effect: the app handles it at once, before the next key.
    static func ask(_ request: AppRequest) -> Effect<Self> { .send(.app(request)) }
}

extension Result where Failure == ClientError {
    /// The portal said the session ended (or never was): the app asks for the password.
    var sessionEnded: Bool {
        guard case .failure(let error) = self else { return false }
        return error == .sessionExpired || error == .notSignedIn
    }
}

extension Effect where Message: AppRequesting {
    /// Asks to sign in again when `result` says the session ended; then the screen loads again.
    static func signInAgainIfEnded<Value>(_ result: Result<Value, ClientError>) -> [Effect] {
        result.sessionEnded ? [Message.ask(.sessionEnded(resume: nil))] : []
    }
}

extension Loadable {
    /// An answer from the portal (or the cache) as something to show.
    init(_ result: Result<Fresh<Value>, ClientError>) {
        switch result {
        case .success(let fresh): self = .loaded(fresh.value, offlineSince: fresh.offlineSince)
        case .failure(let error): self = .failed(error)
        }
    }

    func map<Other>(_ transform: (Value) -> Other) -> Loadable<Other> {
        switch self {
        case .loading: .loading
        case .loaded(let value, let offline): .loaded(transform(value), offlineSince: offline)
        case .failed(let error): .failed(error)
        }
    }
}
