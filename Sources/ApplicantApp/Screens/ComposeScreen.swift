import ApplicantStore
import Delivery
import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel
import ReceiptProof
import TerminalUI

/// Writing a message (a response to a request, or additional information): the inline editor, the files
/// attached with the picker, a review of both, then Send with progress. It owns its draft (read when it
/// opens, written half a second after typing pauses and when leaving), sending it, the picker and the editor.
struct ComposeScreen: AppScreen {
    enum Message: ScreenMessage {
        case input(InputEvent)
        /// The draft left from an earlier visit (nil: none): the screen is ready for what was typed meanwhile.
        case draftRead(Draft?)
        /// Typing paused: the draft is written.
        case saveDue
        case picker(FilePicker.Message)
        /// The files picked, measured and hashed; the paths of those that could not be read.
        case attached([AttachedFile], unreadable: [String])
        case sendProgress(Courier.Progress)
        case sendFinished(Result<Receipt, ClientError>)
        /// Send again (the same item) once the applicant signed in again.
        case resend
        /// The receipt of the same message sent before (nil: none), looked up on review; `held` when a send
        /// was stopped for it, to be confirmed first.
        case sentBefore(KeptReceipt?, held: Bool)
        /// What the external editor left (nil: it failed or was quit without saving).
        case edited(Result<String, EditorProblem>)
        /// The picker's words follow the language.
        case languageChanged
        case app(AppRequest)

        var request: AppRequest? { if case .app(let request) = self { request } else { nil } }

        static var languageChange: Message? { .languageChanged }
    }

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
    var editor = TextEditor()
    var files: [AttachedFile] = []
    var stage: Stage = .writing
    var picker: FilePicker?
    var attachmentList = ListSelection()
    /// The draft is being read: keys typed meanwhile wait here, so typing straight after Enter loses nothing.
    var typedAhead: [InputEvent]? = []
    /// Shown once: the draft was offered again from an earlier visit.
    var restoredAt: Date?
    /// A note about the last files picked: what was refused and why, or a file that could not be read.
    var note: String?
    /// Edits not yet written to the draft store.
    var unsaved = false
    var saveScheduled = false
    /// A send failed without knowing whether the portal took it: the message waits in the outbox as it is,
    /// to be sent once with the same key, so it can no longer be changed (a changed copy would be a second message).
    var waitingInOutbox = false
    /// The receipt of the same text and files sent before to the same place: the authority asks for each
    /// message once, so review says so and Send asks to confirm (`confirmingAgain`) before sending it again.
    var sentBefore: KeptReceipt?
    /// Send was pressed on a message sent before: y sends it again, any other key does not.
    var confirmingAgain = false
    /// The area the picker was last told, to tell it again after a resize.
    private var pickerArea: Rect?
    /// What Ctrl-Z takes back, newest last: a step of the text (the editor keeps its content) or an
    /// attachment removed; Ctrl-Y redoes from `redoSteps`. One order, so undo never skips a removal.
    private var undoSteps: [UndoStep] = []
    private var redoSteps: [UndoStep] = []

    enum UndoStep: Sendable, Hashable {
        case text
        case removed(AttachedFile, at: Int)
    }

    init(target: MessageTarget, title: ComposeTitle) {
        self.target = target
        self.title = title
    }

    func draft(at time: Date) -> Draft { Draft(target: target, text: editor.text, files: files, updatedAt: time) }

    var isSending: Bool { if case .sending = stage { true } else { false } }

    var isBusy: Bool { isSending }

    func unsavedDraft(at time: Date) -> Draft? {
        unsaved && !isSending && !waitingInOutbox ? draft(at: time) : nil
    }

    var capturesText: Bool {
        switch stage {
        case .writing: true
        case .picking: picker?.capturesText ?? false
        default: false
        }
    }

    /// The most files one message takes; the picker counts each pick, this counts the whole message.
    static let maxFiles = AttachmentLimits().maxFilesPerMessage

    static func tooManyFilesNote(_ context: ViewContext) -> String {
        context.strings("error.too_many_attachments", ["limit": String(maxFiles)])
    }

    // MARK: Areas, the same for keys and drawing

    /// The editor's text, inside its box.
    static func editorArea(in screen: Rect) -> Rect { screen.parts.body.indented(1).rows(from: 1, leaving: 4, least: 3) }

    /// The attachments listed under the editor (writing) or the message (reviewing).
    static func attachmentArea(below row: Int, in screen: Rect) -> Rect {
        Rect(column: screen.parts.body.column + 1, row: row + 1, width: screen.parts.body.width - 2, height: 3)
    }

    /// On review: the message's text inside its box, and the attachments under it. The text takes the rows it
    /// needs (at least three) and the attachments the rest, so ten files are not shown three at a time under a
    /// box that is mostly empty.
    func reviewAreas(in screen: Rect) -> (text: Rect, attachments: Rect) {
        let most = screen.parts.body.indented(2).rows(from: 2, leaving: 6, least: 3)
        let textRows = editor.text.split(separator: "\n", omittingEmptySubsequences: false)
            .reduce(0) { $0 + max(TextLayout.wrap(String($1), width: max(most.width, 1)).count, 1) }
        let spare = max(most.height - max(textRows, 3), 0)
        let extra = min(spare, max(files.count - 3, 0))
        let text = Rect(column: most.column, row: most.row, width: most.width, height: most.height - extra)
        var attachments = Self.attachmentArea(below: text.bottom + 1, in: screen)
        attachments.height += extra
        return (text, attachments)
    }

    // MARK: Update

    /// Reads the draft left unsent, which is offered again; only while the screen opens.
    func load(_ environment: AppEnvironment) -> Effect<Message>? {
        guard typedAhead != nil, let store = environment.account?.store else { return nil }
        let target = self.target
        return .run("read draft") { .draftRead(await BlockingWork.run { try? store.draft(for: target) }) }
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .draftRead(let draft):
            guard let keys = typedAhead else { return [] }
            typedAhead = nil
            editor = TextEditor(text: draft?.text ?? "")
            files = draft?.files ?? []
            restoredAt = (draft?.text.isEmpty == false || draft?.files.isEmpty == false) ? draft?.updatedAt : nil
            attachmentList.setVisible(Array(files.indices))
            return keys.flatMap { update(.input($0), environment) }
        case .input(let event) where typedAhead != nil:
            typedAhead?.append(event)
            return []
        case .input(let event):
            return handle(event, environment)
        case .saveDue:
            saveScheduled = false
            return saveNow(environment)
        case .picker(let message):
            return updatePicker(message, environment)
        case .attached(let attached, let unreadable):
            attach(attached, unreadable: unreadable, context: environment.context)
            return scheduleSave(environment)
        case .sendProgress(let progress):
            if isSending { stage = .sending(progress) }
            return []
        case .sendFinished(let result):
            return finishSend(result, environment)
        case .resend:
            stage = .sending(nil)
            return send(environment, confirmed: true)
        case .sentBefore(let kept, let held):
            sentBefore = kept
            if held, kept != nil {
                stage = .reviewing
                confirmingAgain = true
            }
            return []
        case .edited(.failure(let problem)):
            note = problem.explanation(environment.context)
            return []
        case .edited(.success(let text)):
            // One undo step, like any other edit: Ctrl-Z brings back the text from before the editor.
            let steps = editor.recordedSteps
            editor.replaceAll(with: text)
            noteTextEdit(since: steps)
            note = nil
            unsaved = true
            return scheduleSave(environment)
        case .languageChanged:
            picker?.strings = environment.context.strings
            return []
        case .app:
            return []
        }
    }

    private mutating func handle(_ event: InputEvent, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch stage {
        case .writing where waitingInOutbox, .reviewing where waitingInOutbox:
            // Only sending it again (the same item) or leaving is possible now.
            if case .key(.enter) = event { stage = .sending(nil); return send(environment, confirmed: true) }
            if case .key(.escape) = event { return leave(environment) }
            return []
        case .writing: return handleWriting(event, environment)
        case .picking: return updatePicker(.input(event), environment)
        case .reviewing: return handleReviewing(event, environment)
        case .sending: return []  // Send is disabled while sending
        case .failed: return handleFailed(event, environment)
        }
    }

    private mutating func handleWriting(_ event: InputEvent, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch event {
        case .key(.escape):
            return leave(environment)
        case .key(.control("o")), .key(.function(3)):
            return openPicker(environment)
        case .key(.control("e")):
            return [openEditor(environment)]
        case .key(.control("r")), .key(.function(4)):
            stage = .reviewing
            attachmentList.setVisible(Array(files.indices))
            return (unsaved ? scheduleSave(environment) : []) + lookUpSentBefore(environment)
        case .key(.control("z")), .key(.control("_")):
            return undo(environment)
        case .key(.control("y")):
            return redo(environment)
        case .key(.control("d")):
            return removeFocusedAttachment(environment)
        case .key(let key):
            restoredAt = nil
            editor.layout(in: Self.editorArea(in: environment.screen))
            let steps = editor.recordedSteps
            if editor.handle(key) == .edited {
                noteTextEdit(since: steps)
                unsaved = true
                return scheduleSave(environment)
            }
            return []
        case .paste(let text):
            let steps = editor.recordedSteps
            editor.paste(text)
            noteTextEdit(since: steps)
            unsaved = true
            return scheduleSave(environment)
        case .mouse, .resize:
            return []
        }
    }

    private mutating func removeFocusedAttachment(_ environment: AppEnvironment) -> [Effect<Message>] {
        guard let index = attachmentList.focusedItem, files.indices.contains(index) else { return [] }
        undoSteps.append(.removed(files.remove(at: index), at: index))
        redoSteps.removeAll()
        editor.endTypingRun()
        attachmentList.setVisible(Array(files.indices))
        unsaved = true
        return scheduleSave(environment)
    }

    /// A key or paste that changed the text started a new undo step (a run of typing is one): keep its place.
    private mutating func noteTextEdit(since steps: Int) {
        redoSteps.removeAll()
        if editor.recordedSteps > steps { undoSteps.append(.text) }
    }

    private mutating func undo(_ environment: AppEnvironment) -> [Effect<Message>] {
        guard let step = undoSteps.popLast() else { return [] }
        switch step {
        case .text: editor.undo()
        case .removed(let file, let index):
            files.insert(file, at: min(index, files.count))
            attachmentList.setVisible(Array(files.indices))
        }
        redoSteps.append(step)
        unsaved = true
        return scheduleSave(environment)
    }

    private mutating func redo(_ environment: AppEnvironment) -> [Effect<Message>] {
        guard let step = redoSteps.popLast() else { return [] }
        switch step {
        case .text: editor.redo()
        case .removed(let file, _):
            guard let index = files.firstIndex(of: file) else { return [] }
            files.remove(at: index)
            attachmentList.setVisible(Array(files.indices))
        }
        undoSteps.append(step)
        unsaved = true
        return scheduleSave(environment)
    }

    private mutating func handleReviewing(_ event: InputEvent, _ environment: AppEnvironment) -> [Effect<Message>] {
        guard case .key(let key) = event else { return [] }
        if confirmingAgain {
            confirmingAgain = false
            // The language's own yes (y, k for kyllä, j for ja), and only it: the prompt says any other key does
            // not send, and a second copy is what this question guards against.
            let yes = environment.context.strings("compose.key.yes")
            guard [yes.lowercased(), yes.uppercased()].contains(where: { key == .character(Character($0)) }) else { return [] }
            stage = .sending(nil)
            return send(environment, confirmed: true)
        }
        switch key {
        case .escape, .character("e"):
            stage = .writing
            sentBefore = nil
            return []
        case .character("a"):
            stage = .writing
            return openPicker(environment)
        case .character("d"), .delete:
            return removeFocusedAttachment(environment)
        case .enter, .control("s"), .function(10):
            guard isSendable else { return [] }
            if sentBefore != nil {
                confirmingAgain = true
                return []
            }
            stage = .sending(nil)
            return send(environment, confirmed: false)
        default:
            _ = attachmentList.handle(key, in: reviewAreas(in: environment.screen).attachments)
            return []
        }
    }

    private mutating func handleFailed(_ event: InputEvent, _ environment: AppEnvironment) -> [Effect<Message>] {
        guard case .key(let key) = event else { return [] }
        if waitingInOutbox {
            switch key {
            case .enter:
                stage = .sending(nil)
                return send(environment, confirmed: true)  // the same item, the same key
            case .escape:
                return leave(environment)  // it stays in the outbox and goes, once, when the portal answers
            default:
                return []
            }
        }
        switch key {
        case .enter, .escape:
            stage = .reviewing
        case .character("e"):
            stage = .writing
        default:
            break
        }
        return []
    }

    /// Back, with the draft written at once.
    private mutating func leave(_ environment: AppEnvironment) -> [Effect<Message>] {
        saveNow(environment) + [Message.ask(.back)]
    }

    // MARK: The draft

    /// Drafts are written half a second after typing pauses (and at once when leaving): a crash loses at most that.
    private mutating func scheduleSave(_ environment: AppEnvironment) -> [Effect<Message>] {
        guard !saveScheduled else { return [] }
        saveScheduled = true
        let delay = environment.services.timing.draftSaveDelay
        return [.run("save draft later") {
            try? await Task.sleep(for: delay)
            return .saveDue
        }]
    }

    private mutating func saveNow(_ environment: AppEnvironment) -> [Effect<Message>] {
        guard unsaved, let store = environment.account?.store else { return [] }
        unsaved = false
        let draft = self.draft(at: environment.now)
        return [.run("save draft") {
            await BlockingWork.run { try? store.save(draft) }
            return nil
        }]
    }

    // MARK: Sending

    /// Sends the message; unless `confirmed` (sending it again was confirmed, or it is the same outbox item
    /// once more), a message sent before is held back and reported instead, to be confirmed first.
    private func send(_ environment: AppEnvironment, confirmed: Bool) -> [Effect<Message>] {
        guard let account = environment.account else { return [] }
        let draft = self.draft(at: environment.now)
        let courier = account.courier
        let store = account.store
        // Once it waits in the outbox, sending is sending that item again, never a new one.
        let sameItem = waitingInOutbox
        return [.stream("send") { post in
            // Looked up again here: review's look-up may not have answered before Send was pressed.
            if !confirmed, let earlier = await BlockingWork.run({ try? store.earlierDelivery(of: draft) }) {
                return post(.sentBefore(earlier, held: true))
            }
            // Saved first: whatever happens next, the text is kept.
            await BlockingWork.run { try? store.save(draft) }
            let result = await AppEnvironment.result {
                sameItem
                    ? try await courier.resend(draft) { post(.sendProgress($0)) }
                    : try await courier.send(draft) { post(.sendProgress($0)) }
            }
            post(.sendFinished(result))
        }]
    }

    private mutating func finishSend(_ result: Result<Receipt, ClientError>, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch result {
        case .success(let receipt):
            // The receipt takes the place of the message: Send cannot be pressed again.
            let kept = KeptReceipt(delivered: receipt, target: target, message: editor.text)
            return [Message.ask(.replace(with: .receipt(kept, justSent: true)))]
        case .failure where result.sessionEnded:
            // It waits in the outbox; once the applicant has signed in again, it goes with the same key.
            stage = .reviewing
            waitingInOutbox = true
            return [Message.ask(.sessionEnded(resume: Routed(Message.resend)))]
        case .failure(let error):
            stage = .failed(error)
            waitingInOutbox = !error.isDefiniteRefusal
            return waitingInOutbox ? [Message.ask(.outboxWaiting)] : []
        }
    }

    /// Looks up whether the message under review was sent before (`sentBefore`).
    private func lookUpSentBefore(_ environment: AppEnvironment) -> [Effect<Message>] {
        guard let store = environment.account?.store else { return [] }
        let draft = self.draft(at: environment.now)
        return [.run("look up earlier delivery") {
            .sentBefore(await BlockingWork.run { try? store.earlierDelivery(of: draft) } ?? nil, held: false)
        }]
    }

    // MARK: Files and the editor

    private mutating func openPicker(_ environment: AppEnvironment) -> [Effect<Message>] {
        guard files.count < Self.maxFiles else {
            note = Self.tooManyFilesNote(environment.context)
            return []
        }
        let folder = environment.lastPickFolder ?? FileSystemPath(environment.services.pickerFolder)
        var picker = FilePicker(strings: environment.context.strings, folder: folder, home: FileSystemPath(environment.services.home),
                                rule: .attachments, utcOffset: environment.services.utcOffset)
        let started = picker.start().map { $0.map(Message.picker) }
        self.picker = picker
        pickerArea = nil
        stage = .picking
        return started + updatePicker(nil, environment)
    }

    /// A message for the picker (nil: none, only the area it draws into).
    private mutating func updatePicker(_ message: FilePicker.Message?, _ environment: AppEnvironment) -> [Effect<Message>] {
        guard var picker else { return [] }
        var effects: [Effect<FilePicker.Message>] = []
        // The picker draws into the screen's area (it is a program of its own, that keeps its size): it is told
        // that area when it opens and again before the first message after the terminal changed size.
        if pickerArea != environment.screen {
            pickerArea = environment.screen
            effects += picker.update(.input(.resize(width: environment.screen.width, height: environment.screen.height)))
        }
        if let message { effects += picker.update(message) }
        var mine = effects.filter { !$0.isQuit }.map { $0.map(Message.picker) }
        guard let outcome = picker.outcome else {
            self.picker = picker
            return mine
        }
        self.picker = nil
        stage = .writing
        guard case .picked(let picked) = outcome else { return mine }
        // Files are opened by the bytes of their names: a name that is not UTF-8 is still the file's name.
        let paths = picked.map(\.path.bytes)
        let names = picked.map { FileName.sanitized($0.displayName) }
        mine.append(Message.ask(.pickedIn(picker.folder)))
        mine.append(.run("measure files") {
            await BlockingWork.run {
                var attached: [AttachedFile] = []
                var unreadable: [String] = []
                for (bytes, name) in zip(paths, names) {
                    let path = String(decoding: bytes, as: UTF8.self)
                    if let digest = try? LocalFile.digest(pathBytes: bytes) {
                        attached.append(AttachedFile(path: path, name: name, size: digest.size, sha256: digest.sha256,
                                                     rawPath: Data(bytes)))
                    } else {
                        unreadable.append(path)
                    }
                }
                return .attached(attached, unreadable: unreadable)
            }
        })
        return mine
    }

    /// Files chosen in the picker, measured and hashed: added, except those already attached and those over
    /// the limit (which the note names).
    mutating func attach(_ attached: [AttachedFile], unreadable: [String], context: ViewContext) {
        var overLimit = false
        for file in attached where !files.contains(where: { $0.pathBytes == file.pathBytes }) {
            guard files.count < Self.maxFiles else { overLimit = true; continue }
            files.append(file)
        }
        attachmentList.setVisible(Array(files.indices))
        var notes = unreadable.map { context.error(.fileUnreadable(path: context.clean($0))) }
        if overLimit { notes.append(Self.tooManyFilesNote(context)) }
        note = notes.isEmpty ? nil : notes.joined(separator: " ")
        unsaved = true
    }

    /// The applicant's own editor on the text, with the terminal lent to it; the text comes back as `edited`.
    private func openEditor(_ environment: AppEnvironment) -> Effect<Message> {
        let text = editor.text
        let runEditor = environment.services.runEditor
        return .lendTerminal("external editor") {
            let file = FileManager.default.temporaryDirectory.appending(path: "portti-draft-\(UUID().uuidString).txt")
            defer { try? FileManager.default.removeItem(at: file) }
            // A text file ends with a newline (POSIX): without it, a line the editor appends joins the last one.
            guard FileManager.default.createFile(atPath: file.path, contents: Data((text + "\n").utf8), attributes: [.posixPermissions: 0o600])
            else { return .edited(.failure(.fileUnwritable)) }
            switch runEditor(file.path) {
            case .finished: break
            case .notFound(let editor): return .edited(.failure(.notFound(editor: editor)))
            case .failed(let editor, let status): return .edited(.failure(.failed(editor: editor, status: status)))
            }
            guard let edited = FileManager.default.contents(atPath: file.path) else { return .edited(.failure(.fileUnwritable)) }
            var result = String(decoding: edited, as: UTF8.self)
            if result.hasSuffix("\n") { result.removeLast() }  // the one newline the file was given
            return .edited(.success(result))
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
        case .reply(let about): context.strings("compose.title_reply", ["about": about.text(context)])
        case .otherMatter(let topic): context.strings("compose.title_other_matter", ["topic": topic.text(context)])
        }
    }

    func view(into canvas: inout Canvas, context: ViewContext) {
        if case .picking = stage, let picker {
            picker.view(into: &canvas)
            return
        }
        let strings = context.strings
        let screen = canvas.bounds
        canvas.heading(heading(context), context: context)
        switch stage {
        case .writing, .picking:
            let editorArea = Self.editorArea(in: screen)
            canvas.box(editorArea.indented(-1).rows(from: -1, leaving: -1), title: strings("compose.message"))
            editor.draw(into: &canvas, area: editorArea)
            drawAttachments(into: &canvas, area: Self.attachmentArea(below: editorArea.bottom + 1, in: screen), context: context,
                            focused: false)
            if let restoredAt {
                canvas.notice(strings("compose.draft_restored", ["time": context.formats.dateTime(restoredAt)]), style: .muted)
            } else if let note {
                canvas.notice(note)
            }
        case .reviewing, .failed:
            let (textArea, attachmentArea) = reviewAreas(in: screen)
            _ = canvas.put(strings("compose.review_title"), column: textArea.column - 1, row: textArea.row - 2, style: .title)
            canvas.box(textArea.indented(-2).rows(from: -1, leaving: -1), title: strings("compose.message"))
            canvas.paragraph(editor.text.isEmpty ? strings("compose.no_text") : editor.text, in: textArea,
                             style: editor.text.isEmpty ? .muted : .plain)
            drawAttachments(into: &canvas, area: attachmentArea, context: context, focused: true)
            if case .failed(let error) = stage {
                let next = waitingInOutbox ? strings("compose.waiting_next") : strings("compose.failed_next")
                canvas.notice(context.error(error) + " " + next)
            } else if waitingInOutbox {
                canvas.notice(strings("compose.waiting_next"))
            } else if let sentBefore {
                let when = ["time": context.formats.dateTime(sentBefore.receipt.receivedAt), "number": context.clean(sentBefore.receipt.number),
                            "key": strings("compose.key.yes")]
                canvas.notice(strings(confirmingAgain ? "compose.sent_before_confirm" : "compose.sent_before", when),
                              style: confirmingAgain ? .title : .plain)
            } else if mentionsMissingAttachment(context) {
                canvas.notice(strings("compose.warning_no_attachment"))
            } else if !isSendable {
                canvas.notice(strings("error.message_empty"))
            } else {
                canvas.notice(strings("compose.send_hint"), style: .title)
            }
        case .sending(let progress):
            let body = screen.parts.body.indented(1)
            _ = canvas.put(strings("compose.sending"), column: body.column, row: body.row + 1, style: .title)
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
            bar.draw(into: &canvas, area: Rect(column: body.column, row: body.row + 3, width: body.width, height: 2))
            canvas.notice(strings("compose.sending_note"), style: .muted)
        }
    }

    /// The attachments' heading on `row`, and the list under it.
    /// The attachments' title on the row above `area`, and the list in it; when not all fit, the title says
    /// which are shown and that there are more.
    private func drawAttachments(into canvas: inout Canvas, area: Rect, context: ViewContext, focused: Bool) {
        let strings = context.strings
        let total = files.reduce(Int64(0)) { $0 + $1.size }
        var title = strings("compose.attachments", ["count": String(files.count), "size": context.size(total)])
        if files.count > area.height {
            let first = attachmentList.firstRow(height: area.height)
            // While writing, the arrows move in the text: the review is where the list scrolls.
            title += " · " + strings(stage == .writing ? "compose.attachments_shown_writing" : "compose.attachments_shown", ["first": String(first + 1),
                                                                  "last": String(min(first + area.height, files.count))])
        }
        _ = canvas.put(title, column: area.column, row: area.row - 1, maxWidth: area.width, style: .title)
        if files.isEmpty {
            // The key that attaches differs: Ctrl-O while writing, a on review.
            let hint = stage == .writing ? strings("compose.no_attachments") : strings("compose.no_attachments_review")
            _ = canvas.put(hint, column: area.column + 2, row: area.row, maxWidth: area.width - 2, style: .muted)
            return
        }
        attachmentList.draw(into: &canvas, area: area, focused: focused) { index in
            let file = files[index]
            return ("\(context.clean(file.name))  \(context.size(file.size))", .plain)
        }
    }

    func keyHints(_ context: ViewContext) -> [KeyHint] {
        let strings = context.strings
        switch stage {
        case .writing:
            return [KeyHint("^R", strings("compose.key.review"), essential: true), KeyHint("^O", strings("compose.key.attach")),
                    KeyHint("^E", strings("compose.key.editor"))]
                + (files.isEmpty ? [] : [KeyHint("^D", strings("compose.key.remove"))])
                + [KeyHint("^Z", strings("compose.key.undo")), KeyHint("^Y", strings("compose.key.redo")),
                   KeyHint("Home End", strings("compose.key.line")), context.leaveHint(strings("compose.key.back"))]
        case .picking:
            return picker?.keyHints ?? []
        case .reviewing where confirmingAgain:
            return [KeyHint(strings("compose.key.yes"), strings("compose.key.send_again"), essential: true),
                    KeyHint(strings("compose.key.no"), strings("compose.key.dont_send"))]
        case .reviewing:
            return [KeyHint(context.strings("tui.keycap.enter"), strings("compose.key.send")), KeyHint("e", strings("compose.key.edit")),
                    KeyHint("a", strings("compose.key.attach"))]
                + (files.isEmpty ? [] : [KeyHint("↑↓", strings("compose.key.choose")), KeyHint("d", strings("compose.key.remove"))])
                + [context.leaveHint(strings("compose.key.edit"))]
        case .sending:
            return []
        case .failed where waitingInOutbox:
            return [KeyHint(context.strings("tui.keycap.enter"), strings("compose.key.try_again")), context.leaveHint(strings("key.back"))]
        case .failed:
            return [KeyHint(context.strings("tui.keycap.enter"), strings("compose.key.try_again")), KeyHint("e", strings("compose.key.edit"), essential: true)]
        }
    }
}

extension FileRule {
    /// What the portal takes as an attachment: PDF, JPEG or PNG by content, at most 4 MiB, ten a message.
    public static let attachments = FileRule(
        maxBytes: AttachmentLimits().maxFileBytes, maxPicked: AttachmentLimits().maxFilesPerMessage,
        signatureLength: AttachmentType.signatureLength) { AttachmentType.detect(prefix: $0)?.name }
}

/// Why the text did not come back from the applicant's editor; the draft is kept as it was.
enum EditorProblem: Error, Sendable, Hashable {
    case notFound(editor: String)
    case failed(editor: String, status: Int32)
    /// The temporary file the editor works on could not be written or read back.
    case fileUnwritable

    func explanation(_ context: ViewContext) -> String {
        switch self {
        case .notFound(let editor): context.strings("compose.editor_missing", ["editor": context.clean(editor)])
        case .failed(let editor, let status):
            context.strings("compose.editor_failed", ["editor": context.clean(editor), "status": String(status)])
        case .fileUnwritable: context.strings("compose.editor_no_file")
        }
    }
}
