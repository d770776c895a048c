import PorttiModel
import TerminalUI

/// Signing in: user name and password. After a session expired it asks only for the password, and the
/// app goes on where the applicant was.
struct SignInScreen: AppScreen {
    var username: TextField
    var password = TextField(masked: true, maxLength: 1024)
    var focusOnPassword: Bool
    var failure: ClientError?
    var busy = false
    /// Signing in again after the session expired: the user name is fixed.
    let resuming: Bool
    let portal: String

    init(username: String = "", resuming: Bool, portal: String) {
        self.username = TextField(text: username, maxLength: 256)
        self.resuming = resuming
        self.portal = portal
        focusOnPassword = resuming || !username.isEmpty
    }

    var capturesText: Bool { true }

    mutating func handle(_ event: InputEvent) -> ScreenAction? {
        guard !busy else { return nil }
        switch event {
        case .key(.escape):
            return resuming ? .back : .quit
        case .key(.tab), .key(.backTab), .key(.up), .key(.down):
            if !resuming { focusOnPassword.toggle() }
            return nil
        case .paste(let text):
            if focusOnPassword { password.insert(text) } else { username.insert(text) }
            return nil
        case .key(let key):
            let outcome = focusOnPassword ? password.handle(key) : username.handle(key)
            guard outcome == .submitted else { return nil }
            if !focusOnPassword {
                focusOnPassword = true
                return nil
            }
            guard !username.text.isEmpty, !password.text.isEmpty else { return nil }
            busy = true
            failure = nil
            return .signIn(username: username.text, password: password.text)
        default:
            return nil
        }
    }

    /// The portal answered: a failure keeps the user name and empties the password.
    mutating func failed(_ error: ClientError) {
        busy = false
        failure = error
        password = TextField(masked: true, maxLength: 1024)
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        let strings = context.strings
        canvas.heading(strings("signin.title"), context: context)
        var row = 2
        if resuming {
            canvas.paragraph(strings("signin.expired"), in: Rect(column: 2, row: row, width: canvas.width - 4, height: 2), style: .title)
            row += 3
        }
        _ = canvas.put(strings("signin.portal", ["portal": context.clean(portal)]), column: 2, row: row, maxWidth: canvas.width - 4, style: .muted)
        row += 2
        let labelWidth = max(DisplayWidth.of(strings("signin.username")), DisplayWidth.of(strings("signin.password"))) + 2
        _ = canvas.put(strings("signin.username"), column: 2, row: row)
        username.draw(into: &canvas, area: Rect(column: 2 + labelWidth, row: row, width: 40, height: 1), focused: !focusOnPassword)
        _ = canvas.put(strings("signin.password"), column: 2, row: row + 2)
        password.draw(into: &canvas, area: Rect(column: 2 + labelWidth, row: row + 2, width: 40, height: 1), focused: focusOnPassword)
        let layout = Layout(canvas: canvas.bounds)
        if busy {
            canvas.notice(strings("signin.busy"), layout: layout, style: .muted)
        } else if let failure {
            canvas.notice(context.error(failure), layout: layout)
        }
        // The focused field's draw placed the terminal's cursor; nothing drawn after it may move it.
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        return [KeyHint(context.strings("tui.keycap.enter"), strings("signin.key.sign_in")), KeyHint("Tab", strings("signin.key.next")),
                KeyHint(context.strings("tui.keycap.esc"), resuming ? strings("key.back") : strings("key.quit"))]
    }
}
