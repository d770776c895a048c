import PorttiModel

/// What the applicant's commands that change something print with `--json` instead of their sentence, so that
/// every command taking `--json` answers in JSON (README: the applicant's commands).
enum DoneAnswer {
    /// `sign-out --json`: `{"signedOut": true}`.
    struct SignedOut: Encodable {
        var signedOut = true
    }

    /// `receipts --export FILE --json`: `{"exported": {"path", "count"}}`, the file written and how many receipts
    /// it holds.
    struct Exported: Encodable {
        struct File: Encodable {
            var path: String
            var count: Int
        }
        var exported: File
    }

    /// `outbox --discard N --json` and `drafts --discard NAME --json`: `{"discarded": {"number", "target"}}`, the
    /// outbox item's number (absent for a draft) and the target `{kind, id}` of the message let go.
    struct Discarded: Encodable {
        struct Message: Encodable {
            var number: Int?
            var target: MessageTarget
        }
        var discarded: Message

        init(number: Int?, target: MessageTarget) { discarded = Message(number: number, target: target) }
    }
}

/// Says `line`, or with `json` prints `answer` instead.
func say(_ line: TerminalText, orJSON answer: some Encodable, when json: Bool) throws {
    if json { try sayJSON(answer) } else { say(line) }
}
