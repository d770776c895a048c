import Delivery
import Foundation
import PorttiLocalization
import PorttiModel
import TerminalUI

/// Writing a message (a response to a request, or additional information): the inline editor, the files
/// attached with the picker, a review of both, then Send with progress. The draft is saved as it is typed.
struct ComposeScreen: AppScreen {
    enum Stage: Sendable, Equatable {
        case writing
        case picking
        case reviewing
        /// Send is disabled while this lasts.
        case sending(Courier.Progress?)
        case failed(ClientError)
    }

    let target: MessageTarget
    let title: ComposeTitle
    var editor: TextEditor
    var files: [AttachedFile]
    var stage: Stage = .writing
    var picker: FilePicker?
    var attachmentList = ListSelection()
    /// Shown once: the draft was offered again from an earlier visit.
    var restoredAt: Date?
    /// A note about the last files picked: what was refused and why, or a file that could not be read.
    var note: String?
    /// Edits not yet written to the draft store.
    var unsaved = false
    /// A send failed without knowing whether the portal took it: the message waits in the outbox as it is,
    /// to be sent once with the same key, so it can no longer be changed (a changed copy would be a second message).
    var waitingInOutbox = false
    private var size = (width: 80, height: 22)

    init(target: MessageTarget, title: ComposeTitle, draft: Draft?) {
        self.target = target
        self.title = title
        editor = TextEditor(text: draft?.text ?? "")
        files = draft?.files ?? []
        restoredAt = (draft?.text.isEmpty == false || draft?.files.isEmpty == false) ? draft?.updatedAt : nil
        attachmentList.setVisible(Array(files.indices))
        layout()
    }

    var draft: Draft { Draft(target: target, text: editor.text, files: files) }

    var isSending: Bool { if case .sending = stage { true } else { false } }

    var capturesText: Bool {
        switch stage {
        case .writing: true
        case .picking: picker?.capturesText ?? false
        default: false
        }
    }

    private mutating func layout() {
        editor.layout(width: size.width - 4, height: max(size.height - 9, 3))
        attachmentList.viewportHeight = 3
    }

    /// The most files one message takes; the picker counts each pick, this counts the whole message.
    static let maxFiles = AttachmentLimits().maxFilesPerMessage

    static func tooManyFilesNote(_ context: ViewContext) -> String {
        context.strings("error.too_many_attachments", ["limit": String(maxFiles)])
    }

    /// Files chosen in the picker, measured and hashed: added, except those already attached and those over
    /// the limit (which the note names).
    mutating func attach(_ attached: [AttachedFile], unreadable: [String], context: ViewContext) {
        var overLimit = false
        for file in attached where !files.contains(where: { $0.path == file.path }) {
            guard files.count < Self.maxFiles else { overLimit = true; continue }
            files.append(file)
        }
        attachmentList.setVisible(Array(files.indices))
        var notes = unreadable.map { context.error(.fileUnreadable(path: context.clean($0))) }
        if overLimit { notes.append(Self.tooManyFilesNote(context)) }
        note = notes.isEmpty ? nil : notes.joined(separator: " ")
        unsaved = true
    }

    mutating func handle(_ event: InputEvent) -> ScreenAction? {
        if case .resize(let width, let height) = event {
            size = (width, height)
            layout()
            if picker != nil { _ = picker?.update(.input(event)) }
            return nil
        }
        switch stage {
        case .writing where waitingInOutbox, .reviewing where waitingInOutbox:
            // Only sending it again (the same item) or leaving is possible now.
            if case .key(.enter) = event { stage = .sending(nil); return .send }
            if case .key(.escape) = event { return .back }
            return nil
        case .writing: return handleWriting(event)
        case .picking: return nil  // the app routes input to the picker
        case .reviewing: return handleReviewing(event)
        case .sending: return nil  // Send is disabled while sending
        case .failed: return handleFailed(event)
        }
    }

    private mutating func handleWriting(_ event: InputEvent) -> ScreenAction? {
        switch event {
        case .key(.escape):
            return .back
        case .key(.control("o")), .key(.function(3)):
            return .openFilePicker
        case .key(.control("e")):
            return .openExternalEditor
        case .key(.control("r")), .key(.function(4)):
            stage = .reviewing
            attachmentList.setVisible(Array(files.indices))
            return unsaved ? .saveDraft : nil
        case .key(.control("u")):
            if editor.undo() { unsaved = true; return .saveDraft }
            return nil
        case .key(.control("d")):
            return removeFocusedAttachment()
        case .key(let key):
            restoredAt = nil
            if editor.handle(key) == .edited {
                unsaved = true
                return .saveDraft
            }
            return nil
        case .paste(let text):
            editor.paste(UntrustedText.sanitized(text, keepingLineBreaks: true))
            unsaved = true
            return .saveDraft
        case .mouse, .resize:
            return nil
        }
    }

    private mutating func removeFocusedAttachment() -> ScreenAction? {
        guard let index = attachmentList.focusedItem, files.indices.contains(index) else { return nil }
        files.remove(at: index)
        attachmentList.setVisible(Array(files.indices))
        unsaved = true
        return .saveDraft
    }

    private mutating func handleReviewing(_ event: InputEvent) -> ScreenAction? {
        guard case .key(let key) = event else { return nil }
        switch key {
        case .escape, .character("e"):
            stage = .writing
            return nil
        case .character("a"):
            stage = .writing
            return .openFilePicker
        case .character("d"), .delete:
            return removeFocusedAttachment()
        case .enter, .control("s"), .function(10):
            guard isSendable else { return nil }
            stage = .sending(nil)
            return .send
        default:
            _ = attachmentList.handle(key)
            return nil
        }
    }

    private mutating func handleFailed(_ event: InputEvent) -> ScreenAction? {
        guard case .key(let key) = event, case .failed = stage else { return nil }
        if waitingInOutbox {
            switch key {
            case .enter:
                stage = .sending(nil)
                return .send  // the same item, the same key
            case .escape:
                return .back  // it stays in the outbox and goes, once, when the portal answers
            default:
                return nil
            }
        }
        switch key {
        case .enter, .escape:
            stage = .reviewing
            return nil
        case .character("e"):
            stage = .writing
            return nil
        default:
            return nil
        }
    }

    /// Something to send: words or a file.
    var isSendable: Bool {
        !editor.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || !files.isEmpty
    }

    /// The message speaks of an attachment, in any of the three languages, and none is attached.
    func mentionsMissingAttachment(_ context: ViewContext) -> Bool {
        guard files.isEmpty else { return false }
        let text = editor.text.lowercased()
        let words = Language.allCases.flatMap { StringTable($0)("compose.attachment_words").split(separator: ",") }
        return words.contains { text.contains($0.trimmingCharacters(in: .whitespaces).lowercased()) }
    }

    // MARK: View

    func heading(_ context: ViewContext) -> String {
        switch title {
        case .response(let reference): context.strings("compose.title_response", ["reference": context.clean(reference)])
        case .additionalInformation(let reference):
            context.strings("compose.title_additional", ["reference": context.clean(reference)])
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        if case .picking = stage, let picker {
            picker.view(into: &canvas)
            return
        }
        let strings = context.strings
        let layout = Layout(canvas: canvas.bounds)
        canvas.heading(heading(context), context: context)
        switch stage {
        case .writing, .picking:
            let editorArea = Rect(column: 2, row: 3, width: canvas.width - 4, height: max(canvas.height - 9, 3))
            canvas.box(Rect(column: 1, row: 2, width: canvas.width - 2, height: editorArea.height + 2), title: strings("compose.message"))
            editor.draw(into: &canvas, area: editorArea)
            drawAttachments(into: &canvas, row: editorArea.row + editorArea.height + 1, context: context, focused: false)
            if let restoredAt {
                canvas.notice(strings("compose.draft_restored", ["time": context.formats.dateTime(restoredAt)]), layout: layout, style: .muted)
            } else if let note {
                canvas.notice(note, layout: layout)
            }
        case .reviewing, .failed:
            _ = canvas.put(strings("compose.review_title"), column: 2, row: 2, style: .title)
            let textRows = max(canvas.height - 12, 3)
            canvas.box(Rect(column: 1, row: 3, width: canvas.width - 2, height: textRows + 2), title: strings("compose.message"))
            canvas.paragraph(editor.text.isEmpty ? strings("compose.no_text") : editor.text,
                             in: Rect(column: 3, row: 4, width: canvas.width - 6, height: textRows),
                             style: editor.text.isEmpty ? .muted : .plain)
            drawAttachments(into: &canvas, row: 4 + textRows + 1, context: context, focused: true)
            if case .failed(let error) = stage {
                let next = waitingInOutbox ? strings("compose.waiting_next") : strings("compose.failed_next")
                canvas.notice(context.error(error) + " " + next, layout: layout)
            } else if waitingInOutbox {
                canvas.notice(strings("compose.waiting_next"), layout: layout)
            } else if mentionsMissingAttachment(context) {
                canvas.notice(strings("compose.warning_no_attachment"), layout: layout)
            } else if !isSendable {
                canvas.notice(strings("error.message_empty"), layout: layout)
            } else {
                canvas.notice(strings("compose.send_hint"), layout: layout, style: .title)
            }
        case .sending(let progress):
            _ = canvas.put(strings("compose.sending"), column: 2, row: 3, style: .title)
            let bar: ProgressBar
            switch progress {
            case .uploading(let index, let count, let sent, let total):
                bar = ProgressBar(
                    fraction: total > 0 ? Double(sent) / Double(total) : 1,
                    label: strings("compose.uploading", ["index": String(index + 1), "count": String(count),
                                                         "name": context.clean(files.indices.contains(index) ? files[index].name : "")]))
            case .sending, nil:
                bar = ProgressBar(fraction: 1, label: strings("compose.delivering"))
            }
            bar.draw(into: &canvas, area: Rect(column: 2, row: 5, width: canvas.width - 4, height: 2))
            canvas.notice(strings("compose.sending_note"), layout: layout, style: .muted)
        }
    }

    private func drawAttachments(into canvas: inout Canvas, row: Int, context: ViewContext, focused: Bool) {
        let strings = context.strings
        let total = files.reduce(Int64(0)) { $0 + $1.size }
        _ = canvas.put(strings("compose.attachments", ["count": String(files.count), "size": context.size(total)]),
                       column: 2, row: row, maxWidth: canvas.width - 4, style: .title)
        if files.isEmpty {
            _ = canvas.put(strings("compose.no_attachments"), column: 4, row: row + 1, maxWidth: canvas.width - 6, style: .muted)
            return
        }
        attachmentList.draw(into: &canvas, area: Rect(column: 2, row: row + 1, width: canvas.width - 4, height: 3), focused: focused) { index in
            let file = files[index]
            return ("\(context.clean(file.name))  \(context.size(file.size))", .plain)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        switch stage {
        case .writing:
            return [KeyHint("^R", strings("compose.key.review")), KeyHint("^O", strings("compose.key.attach")),
                    KeyHint("^E", strings("compose.key.editor")), KeyHint("^D", strings("compose.key.remove")),
                    KeyHint(context.strings("tui.keycap.esc"), strings("compose.key.back"))]
        case .picking:
            return picker?.keyHints ?? []
        case .reviewing:
            return [KeyHint(context.strings("tui.keycap.enter"), strings("compose.key.send")), KeyHint("e", strings("compose.key.edit")),
                    KeyHint("a", strings("compose.key.attach")), KeyHint("d", strings("compose.key.remove"))]
        case .sending:
            return []
        case .failed where waitingInOutbox:
            return [KeyHint(context.strings("tui.keycap.enter"), strings("compose.key.try_again")), KeyHint(context.strings("tui.keycap.esc"), strings("key.back"))]
        case .failed:
            return [KeyHint(context.strings("tui.keycap.enter"), strings("compose.key.try_again")), KeyHint("e", strings("compose.key.edit"))]
        }
    }
}
