import Foundation
import Testing

@testable import PorttiModel

@Suite struct ModelTests {
    @Test func attachmentTypeComesFromMagicBytes() {
        #expect(AttachmentType.detect(prefix: Array("%PDF-1.7\n".utf8)) == .pdf)
        #expect(AttachmentType.detect(prefix: [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]) == .jpeg)
        #expect(AttachmentType.detect(prefix: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == .png)
        #expect(AttachmentType.detect(prefix: [0x89, 0x50, 0x4E, 0x47]) == nil)  // truncated PNG signature
        #expect(AttachmentType.detect(prefix: Array("PK\u{3}\u{4}docx".utf8)) == nil)
        #expect(AttachmentType.detect(prefix: [UInt8]()) == nil)
    }

    @Test func fileNamesAreSanitized() {
        #expect(FileName.sanitized("../../etc/passwd") == "passwd")
        #expect(FileName.sanitized("C:\\Users\\x\\scan.pdf") == "scan.pdf")
        #expect(FileName.sanitized(".hidden.pdf") == "hidden.pdf")
        #expect(FileName.sanitized("a\u{1B}]0;pwned\u{7}b.pdf") == "a]0;pwnedb.pdf")
        #expect(FileName.sanitized("line\nbreak.pdf") == "linebreak.pdf")
        #expect(FileName.sanitized("..") == "attachment")
        #expect(FileName.sanitized("Päätös 2026.pdf") == "Päätös 2026.pdf")
        #expect(FileName.sanitized(String(repeating: "ä", count: 300)).utf8.count <= 255)
    }

    @Test func requestStateFollowsDeadlineAndAnswer() {
        let deadline = Date(timeIntervalSince1970: 1_000_000)
        var request = SupplementRequest(
            id: "r", applicationID: "a", text: "t", items: [], deadline: deadline, sentAt: .distantPast,
            answeredAt: nil)
        #expect(request.state(at: deadline) == .open)
        #expect(request.state(at: deadline.addingTimeInterval(1)) == .overdue)
        request.answeredAt = deadline
        #expect(request.state(at: deadline.addingTimeInterval(1)) == .answered)
    }

    @Test func receiptNumbersRiseWithSequence() {
        #expect(Receipt.number(sequence: 42, year: 2026) == "2026-00000042")
        #expect(Receipt.number(sequence: 1_234_567, year: 2026) == "2026-01234567")
        #expect(Receipt.number(sequence: 999_999, year: 2026) < Receipt.number(sequence: 1_000_000, year: 2026))
        #expect(Receipt.number(sequence: 9, year: 2026) < Receipt.number(sequence: 10, year: 2026))
    }

    /// Receipts kept on an applicant's machine before receipts named the application still read.
    @Test func aReceiptKeptWithoutTheApplicationReference_stillDecodes() throws {
        let earlier = #"{"number":"2026-00000001","receivedAt":0,"applicationID":"a1","files":[]}"#
        let receipt = try JSONDecoder().decode(Receipt.self, from: Data(earlier.utf8))
        #expect(receipt.number == "2026-00000001" && receipt.applicationReference == nil)
        let now = Receipt(number: "2026-00000002", receivedAt: Date(timeIntervalSince1970: 0), applicationID: "a1",
                          applicationReference: "MIG-2026-000001", requestID: nil, files: [])
        #expect(try JSONDecoder().decode(Receipt.self, from: JSONEncoder().encode(now)) == now)
    }

    @Test func appealDeadlineCountsFromServedDate() throws {
        let served = try Date("2026-03-10T09:00:00Z", strategy: .iso8601)
        let decision = Decision(id: "d", applicationID: "a", text: "", madeAt: served, servedAt: served, hasDocument: false)
        let deadline = try #require(decision.appealDeadline(appealDays: 30))
        // Counted in days of the portal's calendar, across the change to summer time on 29 March.
        let day = Calendar.portal.dateComponents([.year, .month, .day, .hour], from: deadline)
        #expect([day.year, day.month, day.day, day.hour] == [2026, 4, 9, 23])
        #expect(Decision(id: "d", applicationID: "a", text: "", madeAt: served, servedAt: nil, hasDocument: false)
            .appealDeadline(appealDays: 30) == nil)
    }
}

@Suite struct SentBeforeTests {
    /// The warning names the last time the same message went (what the applicant remembers), not the first;
    /// a file's hash in capitals is the same file.
    @Test func theLatestIdenticalSend_isNamed_andHexCaseDoesNotMatter() {
        let file = AttachedFile(path: "/tmp/a.pdf", name: "a.pdf", size: 3, sha256: String(repeating: "ab", count: 32))
        func kept(_ number: String, _ time: TimeInterval) -> KeptReceipt {
            KeptReceipt(receipt: Receipt(number: number, receivedAt: Date(timeIntervalSince1970: time), applicationID: "application_1",
                                         applicationReference: nil, requestID: nil,
                                         files: [.init(name: "a.pdf", size: 3, sha256: String(repeating: "AB", count: 32))]),
                        target: .application("application_1"), message: "Hello")
        }
        let receipts = [kept("2026-00000002", 2000), kept("2026-00000003", 3000), kept("2026-00000001", 1000)]
        #expect(receipts.earlierDelivery(to: .application("application_1"), text: "Hello", files: [file])?.receipt.number
                == "2026-00000003")
    }
}

@Suite struct MessageTargetJSONTests {
    /// `--json` shows a target as `{"kind","id"}`, not Swift's enum encoding; records written before still read.
    @Test func aTarget_isKindAndID_andTheEarlierFormStillReads() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(MessageTarget.request("request_1")), as: UTF8.self)
                == #"{"id":"request_1","kind":"request"}"#)
        #expect(String(decoding: try encoder.encode(MessageTarget.application("application_1")), as: UTF8.self)
                == #"{"id":"application_1","kind":"application"}"#)
        let decoder = JSONDecoder()
        #expect(try decoder.decode(MessageTarget.self, from: Data(#"{"request":{"_0":"request_1"}}"#.utf8)) == .request("request_1"))
        #expect(try decoder.decode(MessageTarget.self, from: Data(#"{"application":{"_0":"a"}}"#.utf8)) == .application("a"))
        #expect(try decoder.decode(MessageTarget.self, from: Data(#"{"kind":"request","id":"r"}"#.utf8)) == .request("r"))
        #expect(throws: DecodingError.self) { try decoder.decode(MessageTarget.self, from: Data(#"{"kind":"x","id":"r"}"#.utf8)) }
        // Every kind, both ways: a topic and a reply too (the outbox keeps them).
        for target in [MessageTarget.request("r"), .application("a"), .topic("other"), .reply("message_1")] {
            #expect(try decoder.decode(MessageTarget.self, from: try encoder.encode(target)) == target)
            #expect(try decoder.decode(MessageTarget.self, from: Data("{\"\(target.kind)\":{\"_0\":\"\(target.id)\"}}".utf8)) == target)
        }
    }
}

@Suite struct UntrustedTextTests {
    @Test func escapeSequencesAndControlsAreRemoved() {
        #expect(UntrustedText.sanitized("a\u{1B}[31mred\u{1B}[0m") == "ared")
        #expect(UntrustedText.sanitized("x\u{1B}]0;owned title\u{07}y") == "xy")
        #expect(UntrustedText.sanitized("x\u{1B}]8;;http://evil\u{1B}\\link\u{1B}]8;;\u{1B}\\y") == "xlinky")
        #expect(UntrustedText.sanitized("a\u{9B}2Jb") == "ab")
        #expect(UntrustedText.sanitized("bell\u{07}\u{08}\u{7F}") == "bell")
        #expect(UntrustedText.sanitized(bytes: [0x61, 0xFF, 0x62]) == "a\u{FFFD}b")
        #expect(UntrustedText.sanitized("evil\u{202E}fdp.exe") == "evilfdp.exe")
        #expect(UntrustedText.sanitized("tab\there") == "tab here")
    }

    @Test func lineBreaksStayOnlyWhenAsked() {
        #expect(UntrustedText.sanitized("one\r\ntwo") == "one two")
        #expect(UntrustedText.sanitized("one\r\ntwo", keepingLineBreaks: true) == "one\ntwo")
    }

    @Test func lettersOfAnyScriptStay() {
        let text = "Päätös 決定 e\u{301} 👩‍👩‍👧"
        #expect(UntrustedText.sanitized(text) == text)
    }
}
