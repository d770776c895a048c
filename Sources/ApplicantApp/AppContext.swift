import Foundation
import PorttiLocalization
import PorttiModel
import TerminalUI

/// What every view needs to turn state into words: the language's tables and formats, the time (from the
/// environment's clock) and the unread count. Screens keep data, never translated text, so switching the
/// language redraws every word and loses nothing.
public struct ViewContext: Sendable {
    public var strings: StringTable
    public var formats: Formats
    public var now: Date
    /// Unread notifications, as the status line last learned (the start page shows it too).
    public var unread: Int?
    /// The portal's topics of messages on other matters, as the status line last learned them.
    public var topics: [MessageTopic]

    public init(language: Language, now: Date, unread: Int? = nil, topics: [MessageTopic] = []) {
        strings = StringTable(language)
        formats = Formats(language)
        self.now = now
        self.unread = unread
        self.topics = topics
    }

    /// A topic's title in the language shown, sanitized; the code itself when the portal's list is not known.
    func topicTitle(_ code: String) -> String {
        clean(topics.first { $0.code == code }?.titles.title(language: strings.language.rawValue) ?? code)
    }

    /// Text from the portal or a file, safe to draw.
    func clean(_ text: String) -> String { UntrustedText.sanitized(text) }
    /// Text of several lines made safe to draw; a tab is as wide as the writing screen draws it.
    func cleanLines(_ text: String) -> String {
        UntrustedText.sanitized(text, keepingLineBreaks: true, tabWidth: TextEditor.tabColumns)
    }

    func size(_ bytes: Int64) -> String { formats.size(bytes, strings: strings) }

    /// The Esc key's hint (back, cancel, quit): the status bar keeps it however narrow it is.
    func leaveHint(_ action: String) -> KeyHint { KeyHint(strings("tui.keycap.esc"), action, essential: true) }

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
    /// A confirmation of receipt: one just sent, or one from the list.
    case receipt(KeptReceipt, justSent: Bool)
    case language
    /// The conversations: one per application with messages, and the messages on other matters.
    case conversations
    case conversation(ConversationSubject)
    /// One message of a conversation, either direction.
    case message(id: String)
    /// Choosing the topic of a message on another matter.
    case messageTopics
}

/// Which conversation: one application's, or the messages on other matters (about no application).
public enum ConversationSubject: Sendable, Hashable {
    case application(id: String, reference: String)
    case otherMatters

    /// The application's id to ask the portal for (nil: every message, of which the other matters are kept).
    var applicationID: String? { if case .application(let id, _) = self { id } else { nil } }

    /// The key its messages are kept under in the cache.
    var cacheKey: String { "conversation:" + (applicationID ?? "other-matters") }
}

/// What a message is about, as its headings say it: an application's reference number, or a topic (worded
/// in the language shown, from the portal's titles; the code itself when the titles are not known).
public enum MessageAbout: Sendable, Hashable {
    case application(reference: String)
    case topic(code: String, titles: MessageTopic.Titles?)

    init(_ message: PorttiModel.Message, topics: [MessageTopic]) {
        if let reference = message.applicationReference {
            self = .application(reference: reference)
        } else {
            let code = message.topic ?? MessageTopic.otherCode
            self = .topic(code: code, titles: topics.first { $0.code == code }?.titles)
        }
    }

    func text(_ context: ViewContext) -> String {
        switch self {
        case .application(let reference): context.clean(reference)
        case .topic(_, let titles?): context.clean(titles.title(language: context.strings.language.rawValue))
        case .topic(let code, nil): context.topicTitle(code)
        }
    }
}

/// What a message being written is, for its heading.
public enum ComposeTitle: Sendable, Equatable {
    case response(reference: String)
    case additionalInformation(reference: String)
    /// A reply to the authority's message about this.
    case reply(about: MessageAbout)
    /// A new message on another matter, on this topic.
    case otherMatter(MessageAbout)
}

/// The named areas of the app, computed here and nowhere else: the app's rectangle (the shell's key hints are
/// below it) holds a screen, whose first row is its title and whose last row is its notice, and under it the
/// row for news and the unread count. Update and view take areas from this, so keys and drawing agree.
struct Layout {
    let bounds: Rect

    /// Where the screen on top draws.
    var screen: Rect { Rect(column: bounds.column, row: bounds.row, width: bounds.width, height: max(bounds.height - 1, 0)) }
    /// News, or the unread count.
    var news: Rect { Rect(column: bounds.column, row: bounds.row + max(bounds.height - 1, 0), width: bounds.width, height: 1) }

    /// A screen's own parts, in its area: the title row, the body under it (a column of margin each side,
    /// a row between it and the title and another above the notice), and the notice row.
    struct Screen {
        let area: Rect
        var title: Rect { Rect(column: area.column, row: area.row, width: area.width, height: 1) }
        var body: Rect {
            Rect(column: area.column + 1, row: area.row + 2, width: max(area.width - 2, 0), height: max(area.height - 4, 0))
        }
        var notice: Rect {
            Rect(column: area.column + 1, row: area.row + max(area.height - 1, 0), width: max(area.width - 2, 0), height: 1)
        }
    }
}

extension Rect {
    /// The screen's parts in this area.
    var parts: Layout.Screen { Layout.Screen(area: self) }

    /// The rows from `top` down, less `bottom` at the end (never fewer than `least`).
    func rows(from top: Int, leaving bottom: Int = 0, least: Int = 1) -> Rect {
        Rect(column: column, row: row + top, width: width, height: max(height - top - bottom, least))
    }

    /// The row under the last one.
    var bottom: Int { row + height }

    /// Narrower by `amount` on each side.
    func indented(_ amount: Int) -> Rect {
        Rect(column: column + amount, row: row, width: max(width - 2 * amount, 0), height: height)
    }
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

    /// What a screen shows before its content is there: that it loads, or why it failed.
    mutating func loadingOrFailure<Value>(_ content: Loadable<Value>, context: ViewContext) {
        let body = bounds.parts.body
        if case .failed(let error) = content {
            paragraph(context.error(error), in: body, style: .error)
        } else {
            _ = put(context.strings("common.loading"), column: body.column + 1, row: body.row, style: .muted)
        }
    }

    /// A notice ending on the screen's last row: an error, a warning, an instruction or news. It wraps, and
    /// takes the rows above it that it needs (up to `Self.noticeRows`) over what is drawn there, since an
    /// instruction cut at the screen edge loses the part that says what to do.
    mutating func notice(_ text: String?, style: Style = .error) {
        guard let text else { return }
        let notice = bounds.parts.notice
        var lines = TextLayout.wrap(text, width: max(notice.width, 1))
        if lines.count > Self.noticeRows {
            lines = Array(lines.prefix(Self.noticeRows))
            lines[lines.count - 1] = TextLayout.truncate(lines[lines.count - 1] + " …", toWidth: notice.width, ellipsis: true)
        }
        let top = max(notice.row - lines.count + 1, 0)
        for (offset, line) in lines.enumerated() {
            fill(Rect(column: notice.column, row: top + offset, width: notice.width, height: 1))
            _ = put(line, column: notice.column, row: top + offset, maxWidth: notice.width, style: style)
        }
    }

    /// The most rows a notice takes: at 80 columns, four lines hold the longest instruction in any language.
    static let noticeRows = 4
}
