import Foundation
import PortalStore
import PorttiModel
import Testing

/// The storage contract, written once and run against every implementation of `PortalStore`.
/// A PostgreSQL store joins `StoreKind` when it exists and must pass the same tests.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite

    var testDescription: String { rawValue }

    /// A new empty store and a way to open it again (a restart), with a folder to remove afterwards.
    func make() throws -> (store: any PortalStore, reopen: @Sendable () throws -> any PortalStore, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appending(path: "portti-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        switch self {
        case .sqlite:
            let path = folder.appending(path: "portal.sqlite").path
            return (try SQLitePortalStore(path: path), { try SQLitePortalStore(path: path) }, folder)
        }
    }
}

private let day: TimeInterval = 86_400
private let start = Date(timeIntervalSince1970: 1_790_000_000)

private func withStore(_ kind: StoreKind, _ body: (any PortalStore, @Sendable () throws -> any PortalStore) async throws -> Void)
    async throws
{
    let (store, reopen, folder) = try kind.make()
    defer { try? FileManager.default.removeItem(at: folder) }
    try await body(store, reopen)
}

/// A 10-byte PDF named after its upload key.
private func pdf(_ applicant: Applicant, _ key: String, sha256: String = "ab", at time: Date, unsentLimit: Int? = nil) -> NewAttachment {
    NewAttachment(applicantID: applicant.id, idempotencyKey: key, fileName: "\(key).pdf", size: 10, sha256: sha256, type: .pdf,
                  now: time, unsentLimit: unsentLimit)
}

private func applicantWithApplication(_ store: any PortalStore, _ username: String) async throws -> (Applicant, Application) {
    let applicant = try await store.createApplicant(username: username, displayName: username, passwordHash: "$2b$hash", now: start)
    let application = try await store.createApplication(applicantID: applicant.id, type: .citizenship, now: start)
    return (applicant, application)
}

@Suite struct PortalStoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func applicants_uniqueUsernames(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let aino = try await store.createApplicant(username: "aino", displayName: "Aino", passwordHash: "h", now: start)
            await #expect(throws: PortalStoreError.usernameTaken("aino")) {
                _ = try await store.createApplicant(username: "aino", displayName: "Other", passwordHash: "h2", now: start)
            }
            #expect(try await store.applicant(username: "aino") == aino)
            #expect(try await store.passwordHash(username: "aino")?.1 == "h")
            #expect(try await store.applicant(username: "nobody") == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func sessions_liveExpiredUnknown_andSliding(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, _) = try await applicantWithApplication(store, "aino")
            try await store.createSession(tokenHash: "t1", applicantID: aino.id, expiresAt: start + 60, notAfter: start + 95, now: start)
            #expect(try await store.useSession(tokenHash: "t1", now: start + 30, slidingExpiry: start + 90, minimumSlide: 0) == .live(aino))
            // Slid to start + 90 by the use above.
            #expect(try await store.useSession(tokenHash: "t1", now: start + 80, slidingExpiry: start + 80, minimumSlide: 0) == .live(aino))
            #expect(try await store.useSession(tokenHash: "t1", now: start + 89, slidingExpiry: start + 200, minimumSlide: 0) == .live(aino))
            // However busy, it ends at its notAfter.
            #expect(try await store.useSession(tokenHash: "t1", now: start + 96, slidingExpiry: start + 300, minimumSlide: 0) == .expired)
            #expect(try await store.useSession(tokenHash: "t1", now: start + 97, slidingExpiry: start + 300, minimumSlide: 0) == .expired)
            try await store.createSession(tokenHash: "t2", applicantID: aino.id, expiresAt: start + 60, notAfter: start + 60, now: start)
            try await store.deleteSession(tokenHash: "t2")
            #expect(try await store.useSession(tokenHash: "t2", now: start, slidingExpiry: start, minimumSlide: 0) == .unknown)
        }
    }

    /// A slide shorter than `minimumSlide` is not written (the request only reads); a longer one is.
    @Test(arguments: StoreKind.allCases)
    func sessions_slideOnlyByTheMinimumStep(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, _) = try await applicantWithApplication(store, "aino")
            try await store.createSession(tokenHash: "t1", applicantID: aino.id, expiresAt: start + 600, notAfter: start + 10_000, now: start)
            #expect(try await store.useSession(tokenHash: "t1", now: start + 30, slidingExpiry: start + 630, minimumSlide: 60) == .live(aino))
            // Not slid by 30 s: it still ends at start + 600.
            #expect(try await store.useSession(tokenHash: "t1", now: start + 601, slidingExpiry: start + 601, minimumSlide: 60) == .expired)
            try await store.createSession(tokenHash: "t2", applicantID: aino.id, expiresAt: start + 600, notAfter: start + 10_000, now: start)
            #expect(try await store.useSession(tokenHash: "t2", now: start + 90, slidingExpiry: start + 690, minimumSlide: 60) == .live(aino))
            // Slid by 90 s: live past start + 600, and a slide never moves it back.
            #expect(try await store.useSession(tokenHash: "t2", now: start + 650, slidingExpiry: start + 650, minimumSlide: 0) == .live(aino))
            #expect(try await store.useSession(tokenHash: "t2", now: start + 689, slidingExpiry: start + 689, minimumSlide: 0) == .live(aino))
            #expect(try await store.useSession(tokenHash: "t2", now: start + 691, slidingExpiry: start + 691, minimumSlide: 0) == .expired)
        }
    }

    /// Files uploaded and in no message count against the quota for a day; a repeat of an upload never does.
    @Test(arguments: StoreKind.allCases)
    func uploads_unsentOnesAreLimited_aRepeatIsNot(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let (bo, _) = try await applicantWithApplication(store, "bo")
            func upload(_ key: String, at time: Date) async throws -> PorttiModel.Attachment {
                try await store.recordAttachment(pdf(aino, key, at: time))
            }
            func may(_ key: String, at time: Date, _ who: Applicant? = nil) async throws -> UploadAdmission {
                try await store.uploadAdmission(applicantID: (who ?? aino).id, idempotencyKey: key, since: time - 86_400, limit: 2)
            }
            let first = try await upload("u1", at: start)
            _ = try await upload("u2", at: start + 60)
            #expect(try await may("u3", at: start + 120) == .overQuota)
            #expect(try await may("u2", at: start + 120) == .repeatOfEarlier)
            #expect(try await may("u3", at: start + 120, bo) == .new)  // another applicant's own count
            // Sent in a message, a file no longer counts.
            _ = try await store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "m1", target: .application(application.id), text: "x",
                attachmentIDs: [first.id], now: start + 180))
            #expect(try await may("u3", at: start + 200) == .new)
            _ = try await upload("u3", at: start + 200)
            #expect(try await may("u4", at: start + 300) == .overQuota)
            // A day later the unsent ones from the start no longer count.
            #expect(try await may("u4", at: start + 86_500) == .new)
            // Recording counts again, in its own transaction: what passed the first check together is held there.
            await #expect(throws: PortalError(.tooManyUnsentAttachments, limit: 2)) {
                _ = try await store.recordAttachment(pdf(aino, "u4", at: start + 300, unsentLimit: 2))
            }
            #expect(try await store.recordAttachment(pdf(aino, "u3", at: start + 300, unsentLimit: 2)).fileName == "u3.pdf")  // a repeat is answered
            // A repeat is looked up without recording anything: the same content answers the first record,
            // other content is refused, and a key never used answers nothing.
            func earlier(_ key: String, _ sha256: String) async throws -> PorttiModel.Attachment? {
                try await store.earlierAttachment(pdf(aino, key, sha256: sha256, at: start + 400))
            }
            #expect(try await earlier("u1", "ab") == first)
            await #expect(throws: PortalError(.idempotencyKeyReused)) { _ = try await earlier("u1", "ff") }
            #expect(try await earlier("never", "ab") == nil)
            #expect(try await may("never", at: start + 400) == .overQuota, "looking up recorded nothing")
        }
    }

    /// Old unsent attachments are forgotten; the digests answered are only those nothing refers to any more.
    @Test(arguments: StoreKind.allCases)
    func unsentAttachments_forgottenAfterTheirTime(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            func upload(_ key: String, _ digest: String, at time: Date) async throws -> PorttiModel.Attachment {
                try await store.recordAttachment(pdf(aino, key, sha256: digest, at: time))
            }
            let sent = try await upload("sent", "aa", at: start)
            _ = try await store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "m", target: .application(application.id), text: "x",
                attachmentIDs: [sent.id], now: start))
            let old = try await upload("old", "bb", at: start)
            _ = try await upload("old-same-as-sent", "aa", at: start)
            _ = try await upload("old-same-as-decision", "dd", at: start)
            try await store.recordDecision(applicationID: application.id, text: "Granted.", documentSHA256: "dd", now: start)
            let recent = try await upload("recent", "cc", at: start + 7 * 86_400)

            let removable = try await store.forgetUnsentAttachments(uploadedBefore: start + 86_400)
            #expect(removable == ["bb"])
            #expect(try await store.forgetUnsentAttachments(uploadedBefore: start + 86_400).isEmpty)
            // The recent one is still there (a repeat answers it); the old one's key makes a new attachment.
            #expect(try await upload("recent", "cc", at: start + 7 * 86_400) == recent)
            #expect(try await upload("old", "bb", at: start + 8 * 86_400).id != old.id)
            #expect(try await store.uploadAdmission(applicantID: aino.id, idempotencyKey: "new", since: start, limit: 3) == .new)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func applications_areSeenOnlyByTheirApplicant(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let (bo, _) = try await applicantWithApplication(store, "bo")
            #expect(try await store.applications(applicantID: aino.id).map(\.id) == [application.id])
            #expect(try await store.application(id: application.id, applicantID: bo.id) == nil)
            #expect(try await store.application(id: application.id, applicantID: aino.id)?.timeline.map(\.kind) == [.submitted])
            #expect(try await store.application(id: application.id, applicantID: nil) != nil)  // the officer
            #expect(try await store.requests(applicationID: application.id, applicantID: bo.id) == nil)
            await #expect(throws: PortalError.notFound) {
                _ = try await store.setStatus(applicationID: "application_none", status: .closed, now: start)
            }
            let moved = try await store.setStatus(applicationID: application.id, status: .inProcessing, now: start + day)
            #expect(moved.status == .inProcessing)
            #expect(moved.updatedAt == start + day)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func requests_issueExtendAnswer(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let request = try await store.issueRequest(
                applicationID: application.id, text: "Send it", items: ["A", "B"], deadline: start + day, now: start)
            #expect(try await store.request(id: request.id, applicantID: aino.id)?.items == ["A", "B"])
            let extended = try await store.extendDeadline(requestID: request.id, deadline: start + 3 * day, now: start + 1)
            #expect(extended.deadline == start + 3 * day)
            let detail = try await store.application(id: application.id, applicantID: aino.id)
            #expect(detail?.application.status == .waitingForInformation)
            #expect(detail?.timeline.map(\.kind) == [.submitted, .requestSent, .deadlineExtended])

            let receipt = try await store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "k", target: .request(request.id), text: "Here", attachmentIDs: [],
                now: start + 2 * day))
            #expect(receipt.requestID == request.id)
            let answered = try await store.request(id: request.id, applicantID: aino.id)
            #expect(answered?.state(at: start + 10 * day) == .answered)
            await #expect(throws: PortalError(.requestAlreadyAnswered)) {
                _ = try await store.receiveMessage(NewMessage(
                    applicantID: aino.id, idempotencyKey: "k2", target: .request(request.id), text: "Again",
                    attachmentIDs: [], now: start + 2 * day))
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func answering_movesStatusOnlyFromWaiting_andOnlyWhenNothingIsLeftOpen(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let first = try await store.issueRequest(applicationID: application.id, text: "1", items: [], deadline: start + day, now: start)
            let second = try await store.issueRequest(applicationID: application.id, text: "2", items: [], deadline: start + day, now: start)
            func answer(_ request: SupplementRequest) async throws {
                _ = try await store.receiveMessage(NewMessage(
                    applicantID: aino.id, idempotencyKey: request.id, target: .request(request.id), text: "a",
                    attachmentIDs: [], now: start + 1))
            }
            try await answer(first)
            #expect(try await store.application(id: application.id, applicantID: aino.id)?.application.status == .waitingForInformation)
            try await answer(second)
            #expect(try await store.application(id: application.id, applicantID: aino.id)?.application.status == .inProcessing)

            // A decided application stays decided when a late answer arrives.
            let third = try await store.issueRequest(applicationID: application.id, text: "3", items: [], deadline: start + day, now: start + 2)
            _ = try await store.recordDecision(applicationID: application.id, text: "d", documentSHA256: nil, now: start + 3)
            try await answer(third)
            #expect(try await store.application(id: application.id, applicantID: aino.id)?.application.status == .decisionMade)
            await #expect(throws: PortalStoreError.decisionExists) {
                _ = try await store.recordDecision(applicationID: application.id, text: "again", documentSHA256: nil, now: start + 4)
            }
            await #expect(throws: PortalStoreError.requestAnswered) {
                _ = try await store.extendDeadline(requestID: first.id, deadline: start + 9 * day, now: start + 5)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func deadlines_onlyMoveLater(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (_, application) = try await applicantWithApplication(store, "aino")
            let request = try await store.issueRequest(applicationID: application.id, text: "1", items: [], deadline: start + day, now: start)
            await #expect(throws: PortalStoreError.deadlineNotLater) {
                _ = try await store.extendDeadline(requestID: request.id, deadline: start + day, now: start)
            }
            await #expect(throws: PortalError.notFound) {
                _ = try await store.extendDeadline(requestID: "request_none", deadline: start + 2 * day, now: start)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func receipts_timesNeverFallBehindNumbers(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            // The second send was stamped earlier (its clock read first) but arrives later.
            let first = try await store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "1", target: .application(application.id), text: "1", attachmentIDs: [],
                now: start + 10))
            let second = try await store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "2", target: .application(application.id), text: "2", attachmentIDs: [],
                now: start + 5))
            #expect(first.number < second.number)
            #expect(first.receivedAt <= second.receivedAt)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func messages_idempotentByKeyAndBody_andNumberedInArrivalOrder(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, reopen in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let attachment = try await store.recordAttachment(NewAttachment(
                applicantID: aino.id, idempotencyKey: "u", fileName: "a.pdf", size: 10, sha256: "ab", type: .pdf, now: start))
            #expect(try await store.recordAttachment(NewAttachment(
                applicantID: aino.id, idempotencyKey: "u", fileName: "a.pdf", size: 10, sha256: "ab", type: .pdf, now: start + 5
            )) == attachment)
            func message(_ key: String, _ text: String, _ files: [String] = []) -> NewMessage {
                NewMessage(applicantID: aino.id, idempotencyKey: key, target: .application(application.id), text: text,
                           attachmentIDs: files, now: start)
            }
            let first = try await store.receiveMessage(message("1", "one", [attachment.id]))
            #expect(first.files == [Receipt.File(name: "a.pdf", size: 10, sha256: "ab")])
            #expect(try await store.receiveMessage(message("1", "one", [attachment.id])) == first)
            await #expect(throws: PortalError(.idempotencyKeyReused)) {
                _ = try await store.receiveMessage(message("1", "one", []))
            }
            // Concurrent copies of one send: one record.
            let copies = try await withThrowingTaskGroup(of: Receipt.self) { group in
                for _ in 0..<8 { group.addTask { try await store.receiveMessage(message("2", "two")) } }
                return try await group.reduce(into: [Receipt]()) { $0.append($1) }
            }
            #expect(Set(copies.map(\.number)).count == 1)
            let third = try await store.receiveMessage(message("3", "three"))
            let numbers = [first.number, copies[0].number, third.number]
            #expect(numbers == numbers.sorted())
            #expect(try await store.incomingMessages().map(\.text) == ["one", "two", "three"])
            #expect(try await store.receipts(applicantID: aino.id).map(\.number) == numbers.reversed())

            // All of it survives a reopen.
            let again = try reopen()
            #expect(try await again.receipt(number: first.number, applicantID: aino.id) == first)
            #expect(try await again.receiveMessage(message("3", "three")) == third)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func messages_refuseAnotherApplicantsAttachmentsAndTargets(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let (bo, boApplication) = try await applicantWithApplication(store, "bo")
            let ainos = try await store.recordAttachment(NewAttachment(
                applicantID: aino.id, idempotencyKey: "u", fileName: "a.pdf", size: 1, sha256: "ab", type: .pdf, now: start))
            await #expect(throws: PortalError.notFound) {
                _ = try await store.receiveMessage(NewMessage(
                    applicantID: bo.id, idempotencyKey: "k", target: .application(boApplication.id), text: "x",
                    attachmentIDs: [ainos.id], now: start))
            }
            await #expect(throws: PortalError.notFound) {
                _ = try await store.receiveMessage(NewMessage(
                    applicantID: bo.id, idempotencyKey: "k2", target: .application(application.id), text: "x",
                    attachmentIDs: [], now: start))
            }
            #expect(try await store.receipts(applicantID: bo.id).isEmpty)
            #expect(try await store.incomingMessages().isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func notifications_followEvents_andAreReadOnce(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let (bo, _) = try await applicantWithApplication(store, "bo")
            let before = try await store.latestNotificationSequence()
            let request = try await store.issueRequest(
                applicationID: application.id, text: "t", items: [], deadline: start + day, now: start)
            let receipt = try await store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "k", target: .request(request.id), text: "r", attachmentIDs: [],
                now: start + 1))
            let decision = try await store.recordDecision(applicationID: application.id, text: "d", documentSHA256: nil, now: start + 2)
            let all = try await store.notifications(applicantID: aino.id, after: nil)
            #expect(all.map(\.kind) == [.decisionReady, .messageReceived, .requestSent])
            #expect(all.map(\.subjectID) == [decision.id, receipt.number, request.id])
            let newer = try await store.notifications(applicantID: aino.id, after: all[2].sequence)
            #expect(newer.map(\.kind) == [.messageReceived, .decisionReady])
            #expect(try await store.latestNotificationSequence() == before + 3)
            #expect(try await store.notifications(applicantID: bo.id, after: nil).isEmpty)

            #expect(try await store.markNotificationRead(id: all[0].id, applicantID: bo.id, now: start) == nil)
            let read = try await store.markNotificationRead(id: all[0].id, applicantID: aino.id, now: start + 10)
            #expect(read?.readAt == start + 10)
            #expect(try await store.markNotificationRead(id: all[0].id, applicantID: aino.id, now: start + 20)?.readAt == start + 10)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func decisions_servedOnFirstOpenByTheirApplicantOnly(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let (bo, _) = try await applicantWithApplication(store, "bo")
            let decision = try await store.recordDecision(
                applicationID: application.id, text: "Granted", documentSHA256: "abc", now: start)
            #expect(decision.servedAt == nil)
            #expect(try await store.openDecision(id: decision.id, applicantID: bo.id, now: start + 1) == nil)
            let opened = try await store.openDecision(id: decision.id, applicantID: aino.id, now: start + 2)
            #expect(opened?.decision.servedAt == start + 2)
            #expect(opened?.documentSHA256 == "abc")
            #expect(try await store.openDecision(id: decision.id, applicantID: aino.id, now: start + 3)?.decision.servedAt == start + 2)
            #expect(try await store.application(id: application.id, applicantID: aino.id)?.decisionID == decision.id)
        }
    }
}
