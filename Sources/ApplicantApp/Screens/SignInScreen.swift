import PortalClient
import PorttiModel
import TerminalUI

/// Signing in: user name and password. After a session expired it asks only for the password, and the
/// app goes on where the applicant was.
struct SignInScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        case signedIn(Result<SignedInSession, ClientError>)
        /// Signed in, but the applicant's records could not be opened.
        case failed(ClientError)
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
    }

    var username: TextField
    var password = TextField(masked: true, maxLength: 1024)
    var focusOnPassword: Bool
    var failure: ClientError?
    /// Enter pressed with a field empty: which one, so the screen says so (the string table key).
    var missing: String?
    var busy = false
    /// Signing in again after the session expired: the user name is fixed.
    let resuming: Bool
    let portal: String

    init(username: String = "", resuming: Bool, portal: String, failure: ClientError? = nil) {
        self.username = TextField(text: username, maxLength: 256)
        self.resuming = resuming
        self.portal = portal
        self.failure = failure
        focusOnPassword = resuming || !username.isEmpty
    }

    var capturesText: Bool { true }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .signedIn(.success(let session)):
            return [Message.ask(.signedIn(session, resuming: resuming))]
        case .signedIn(.failure(let error)), .failed(let error):
            // A failure keeps the user name and empties the password.
            busy = false
            failure = error
            password = TextField(masked: true, maxLength: 1024)
            return []
        case .input(let event) where !busy:
            return handle(event, environment)
        case .input, .app:
            return []
        }
    }

    private mutating func handle(_ event: InputEvent, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch event {
        case .key(.escape):
            return [Message.ask(resuming ? .back : .quit)]
        case .key(.tab), .key(.backTab), .key(.up), .key(.down):
            if !resuming { focusOnPassword.toggle() }
            return []
        case .paste(let text):
            if focusOnPassword { password.insert(text) } else { username.insert(text) }
            return []
        case .key(let key):
            let outcome = focusOnPassword ? password.handle(key) : username.handle(key)
            guard outcome == .submitted else {
                if outcome == .edited { missing = nil }
                return []
            }
            if !focusOnPassword, !username.text.isEmpty {
                focusOnPassword = true
                missing = nil
                return []
            }
            guard !username.text.isEmpty else {
                missing = "signin.missing_username"
                focusOnPassword = false
                return []
            }
            guard !password.text.isEmpty else {
                missing = "signin.missing_password"
                return []
            }
            missing = nil
            busy = true
            failure = nil
            let client = environment.client
            let (username, password) = (username.text, password.text)
            return [.run("sign in") {
                .signedIn(await AppEnvironment.result { try await client.signIn(username: username, password: password) })
            }]
        default:
            return []
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        canvas.heading(strings("signin.title"), context: context)
        let body = canvas.bounds.parts.body.indented(1)
        var row = body.row
        if resuming {
            canvas.paragraph(strings("signin.expired"), in: Rect(column: body.column, row: row, width: body.width, height: 2), style: .title)
            row += 3
        }
        _ = canvas.put(strings("signin.portal", ["portal": context.clean(portal)]), column: body.column, row: row, maxWidth: body.width, style: .muted)
        row += 2
        let labelWidth = max(DisplayWidth.of(strings("signin.username")), DisplayWidth.of(strings("signin.password"))) + 2
        _ = canvas.put(strings("signin.username"), column: body.column, row: row)
        username.draw(into: &canvas, area: Rect(column: body.column + labelWidth, row: row, width: 40, height: 1), focused: !focusOnPassword)
        _ = canvas.put(strings("signin.password"), column: body.column, row: row + 2)
        password.draw(into: &canvas, area: Rect(column: body.column + labelWidth, row: row + 2, width: 40, height: 1), focused: focusOnPassword)
        if busy {
            canvas.notice(strings("signin.busy"), style: .muted)
        } else if let missing {
            canvas.notice(strings(missing))
        } else if let failure {
            canvas.notice(context.error(failure))
        }
        // The focused field's draw placed the terminal's cursor; nothing drawn after it may move it.
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        return [KeyHint(context.strings("tui.keycap.enter"), strings("signin.key.sign_in")), KeyHint("Tab", strings("signin.key.next")),
                context.leaveHint(resuming ? strings("key.back") : strings("key.quit"))]
    }
}
