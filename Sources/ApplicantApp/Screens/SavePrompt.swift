import ApplicantStore
import Foundation
import PorttiModel
import TerminalUI

/// Saving a file from the portal to a path the applicant types (a decision's document, a message's
/// attachment): the path offered, typed, then saved by the client, never over a file that is there (the
/// name is asked again). The screen runs the save; this keeps what the prompt row shows.
struct SavePrompt: Sendable {
    /// Typing the path to save to.
    var pathField: TextField?
    /// The path typed last, while it is saved (it comes back to the field if the file exists).
    var typedPath: TextField?
    var saved: (path: String, size: Int64)?
    var saving = false
    var failure: ClientError?
    /// Enter was pressed with no path typed.
    var pathMissing = false
    /// The path typed names a file that exists already.
    var exists: String?

    var isTyping: Bool { pathField != nil }

    /// Offers `path` to save to, to be changed or accepted with Enter.
    mutating func offer(_ path: String) {
        pathField = TextField(text: path)
        saved = nil
        failure = nil
    }

    /// A key or a paste while the path is typed; answers the path to save to once Enter accepts one.
    mutating func type(_ event: InputEvent, home: String) -> String? {
        guard var field = pathField else { return nil }
        switch event {
        case .key(let key):
            switch field.handle(key) {
            case .submitted:
                let path = Self.resolved(field.text, home: home)
                guard !path.isEmpty else {
                    // Nothing typed: say so, rather than nothing happening or a file named by blanks.
                    failure = nil
                    pathMissing = true
                    pathField = field
                    return nil
                }
                pathField = nil
                pathMissing = false
                typedPath = field
                exists = nil
                saving = true
                failure = nil
                return path
            case .cancelled:
                pathField = nil
            default:
                pathField = field
            }
        case .paste(let text):
            field.insert(UntrustedText.sanitized(text))
            pathField = field
        default:
            break
        }
        return nil
    }

    /// The client's answer for `path`: saved, refused, or a file there already (the name is asked again).
    mutating func finished(_ path: String, _ result: Result<Int64, ClientError>) {
        saving = false
        switch result {
        case .success(let size): saved = (path, size)
        case .failure(.fileExists):
            // Never over another file: the applicant picks a new name instead.
            exists = path
            pathField = typedPath
        case .failure(let error): failure = error
        }
    }

    /// `~` and `~/…` in a typed path lead to the applicant's home folder.
    static func expandingTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return (home as NSString).appendingPathComponent(String(path.dropFirst(2))) }
        return path
    }

    /// The path typed, as the file it names: blanks around it dropped (empty when nothing else was typed),
    /// `~` as the home folder, and a relative path from the home folder, where the offered path is, rather
    /// than from wherever Portti was started.
    static func resolved(_ typed: String, home: String) -> String {
        let path = expandingTilde(typed.trimmingCharacters(in: .whitespaces), home: home)
        if path.isEmpty || path.hasPrefix("/") { return path }
        return (home as NSString).appendingPathComponent(path)
    }

    /// The prompt on the screen's notice row while a path is typed, or what became of the last save;
    /// answers false when it has nothing to show (the screen shows its own hint there).
    func draw(into canvas: inout Canvas, context: ViewContext, savingText: String) -> Bool {
        let strings = context.strings
        let notice = canvas.bounds.parts.notice
        if let pathField {
            let label = exists != nil ? strings("decision.exists") : pathMissing ? strings("decision.path_missing") : strings("decision.save_to")
            _ = canvas.put(label, column: notice.column, row: notice.row, style: .title)
            pathField.draw(into: &canvas, area: Rect(column: notice.column + 1 + DisplayWidth.of(label), row: notice.row,
                                                     width: notice.width - 1 - DisplayWidth.of(label), height: 1))
        } else if let failure {
            canvas.notice(context.error(failure))
        } else if let saved {
            canvas.notice(strings("decision.saved", ["path": context.clean(saved.path), "size": context.size(saved.size)]), style: .title)
        } else if saving {
            canvas.notice(savingText, style: .muted)
        } else {
            return false
        }
        return true
    }

    /// The keys while a path is typed.
    static func keyHints(_ context: ViewContext) -> [KeyHint] {
        [KeyHint(context.strings("tui.keycap.enter"), context.strings("decision.key.save")), context.leaveHint(context.strings("key.cancel"))]
    }
}
