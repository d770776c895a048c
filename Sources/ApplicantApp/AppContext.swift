import Foundation
import PorttiLocalization
import PorttiModel
import TerminalUI

/// What every view needs to turn state into words: the language's tables and formats, and the time.
/// Screens keep data, never translated text, so switching the language redraws every word and loses nothing.
public struct ViewContext: Sendable {
    public var strings: StringTable
    public var formats: Formats
    public var now: Date

    public init(language: Language, now: Date = Date()) {
        strings = StringTable(language)
        formats = Formats(language)
        self.now = now
    }

    /// Text from the portal or a file, safe to draw.
    func clean(_ text: String) -> String { UntrustedText.sanitized(text) }
    func cleanLines(_ text: String) -> String { UntrustedText.sanitized(text, keepingLineBreaks: true) }

    func size(_ bytes: Int64) -> String { formats.size(bytes, strings: strings) }

    func error(_ error: ClientError) -> String {
        var arguments = error.messageArguments.mapValues { UntrustedText.sanitized($0) }
        if case .attachmentRefused(.attachmentTooLarge, let limit?) = error { arguments["limit"] = size(limit) }
        return strings(error.messageKey, arguments)
    }
}

/// Something loaded from the portal: not yet, loaded (perhaps from the cache while offline), or failed.
public enum Loadable<Value: Sendable & Equatable>: Sendable, Equatable {
    case loading
    /// `offlineSince` is when the portal showed it, when it comes from the cache because the portal is out of reach.
    case loaded(Value, offlineSince: Date?)
    case failed(ClientError)

    var value: Value? {
        if case .loaded(let value, _) = self { return value }
        return nil
    }
}

/// What a screen asks for; the app turns it into navigation and effects. Screens stay pure.
public enum ScreenAction: Sendable, Equatable {
    case back
    case open(Destination)
    case reload
    case quit
    /// Start a send of the draft on screen.
    case send
    /// Save the draft on screen now (typing continues; saving is debounced).
    case saveDraft
    case openFilePicker
    case openExternalEditor
    case saveDecisionDocument(decisionID: String, path: String)
    case markRead(notificationID: String)
    case signIn(username: String, password: String)
    case signOut
    case setLanguage(Language)
}

/// A screen to go to.
public enum Destination: Sendable, Equatable {
    case applications
    case chooseApplicationForAdditionalInformation
    case application(id: String)
    case request(id: String, applicationID: String)
    case compose(MessageTarget, title: ComposeTitle)
    case notifications
    /// A decision, with its application's reference number when the screen opening it knows it.
    case decision(id: String, reference: String?)
    case receipts
    case receipt(KeptReceipt)
    case language
}

/// What a message being written is, for its heading.
public enum ComposeTitle: Sendable, Equatable {
    case response(reference: String)
    case additionalInformation(reference: String)
}

/// The parts of a screen's frame: a heading row, the body, and a line for notices.
struct Layout {
    let canvas: Rect

    var heading: Rect { Rect(column: 0, row: 0, width: canvas.width, height: 1) }
    var body: Rect { Rect(column: 1, row: 2, width: max(canvas.width - 2, 0), height: max(canvas.height - 4, 0)) }
    var notice: Rect { Rect(column: 1, row: max(canvas.height - 1, 0), width: max(canvas.width - 2, 0), height: 1) }
}

extension Canvas {
    /// The screen's heading: the service's name and where the user is.
    mutating func heading(_ title: String, context: ViewContext) {
        fill(Rect(column: 0, row: 0, width: width, height: 1), style: .bar)
        _ = put(" " + context.strings("app.name") + " · " + title, column: 0, row: 0, maxWidth: width, style: .bar)
    }

    /// Text wrapped into `area`, from its first line; answers the rows used.
    @discardableResult
    mutating func paragraph(_ text: String, in area: Rect, style: Style = .plain) -> Int {
        var row = area.row
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            for wrapped in TextLayout.wrap(String(line), width: max(area.width, 1)) {
                guard row < area.row + area.height else { return row - area.row }
                _ = put(wrapped, column: area.column, row: row, maxWidth: area.width, style: style)
                row += 1
            }
        }
        return row - area.row
    }

    /// A one-line notice at the bottom: an error, a warning or news.
    mutating func notice(_ text: String?, layout: Layout, style: Style = .error) {
        guard let text else { return }
        _ = put(TextLayout.truncate(text, toWidth: layout.notice.width, ellipsis: true), column: layout.notice.column,
                row: layout.notice.row, maxWidth: layout.notice.width, style: style)
    }
}
