import Foundation
import PortalStore
import PortalStorePostgres
import PortalTestSupport
import PorttiModel
import Synchronization
import Testing

/// The storage contract, written once and run against every implementation of `PortalStore`.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite
    /// On a real PostgreSQL server that the tests start (see `PostgresServer`).
    case postgres

    var testDescription: String { rawValue }
}

/// One new, empty set of data (a SQLite file, a PostgreSQL database) and the store instances a test opens
/// over it. Each instance is another portal sharing the data, or the same portal after a restart; a
/// PostgreSQL instance has its own pool, run until the data is removed.
actor StoreData {
    private enum Location {
        case file(folder: URL)
        case database(PostgresTestDatabase)
    }

    private let location: Location
    private var pools: [Task<Void, any Error>] = []

    init(_ kind: StoreKind) async throws {
        switch kind {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appending(path: "portti-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            location = .file(folder: folder)
        case .postgres:
            location = .database(try await PostgresServer.makeDatabase())
        }
    }

    /// Another store instance over the data.
    func openInstance() async throws -> any PortalStore {
        switch location {
        case .file(let folder):
            return try SQLitePortalStore(path: folder.appending(path: "portal.sqlite").path)
        case .database(let database):
            let store = try await PostgresPortalStore.open(configuration: database.configuration)
            pools.append(Task { try await store.run() })
            return store
        }
    }

    /// Another instance of the storage of documents that goes with the data: the folder beside the SQLite file,
    /// or the database (through a store instance of its own).
    func openDocuments() async throws -> any DocumentStorage {
        switch location {
        case .file(let folder):
            return try DocumentVault(folder: folder.appending(path: "documents"))
        case .database:
            guard let store = try await openInstance() as? PostgresPortalStore else { throw CancellationError() }
            return store.documents
        }
    }

    /// The PostgreSQL database, when the data is one.
    nonisolated var database: PostgresTestDatabase? {
        if case .database(let database) = location { return database }
        return nil
    }

    /// Stops every instance's pool and removes the data.
    func remove() async throws {
        for pool in pools { pool.cancel() }
        for pool in pools { _ = try? await pool.value }
        pools = []
        switch location {
        case .file(let folder): try FileManager.default.removeItem(at: folder)
        case .database(let database): try await PostgresServer.shared().drop(database)
        }
    }
}

/// Set once, by one task, for others to see.
private final class DoneFlag: Sendable {
    private let done = Atomic(false)
    var isSet: Bool { done.load(ordering: .acquiring) }
    func set() { done.store(true, ordering: .releasing) }
}

private let day: TimeInterval = 86_400
private let start = Date(timeIntervalSince1970: 1_790_000_000)

/// Runs `body` with new empty data of `kind`, and always removes it.
func withData(_ kind: StoreKind, _ body: (StoreData) async throws -> Void) async throws {
    let data = try await StoreData(kind)
    do {
        try await body(data)
    } catch {
        try? await data.remove()
        throw error
    }
    try await data.remove()
}

/// Runs `body` with a store over new empty data, and a way to open it again (a restart).
private func withStore(
    _ kind: StoreKind, _ body: (any PortalStore, @Sendable () async throws -> any PortalStore) async throws -> Void
) async throws {
    try await withData(kind) { data in
        try await body(try await data.openInstance(), { try await data.openInstance() })
    }
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

    /// The sign-in throttle counts in the store: attempts at once on two instances (two portals) all count,
    /// so N portals do not give N times the guesses; a success on one clears the count on the other.
    @Test(arguments: StoreKind.allCases)
    func signInThrottle_countsAcrossInstances(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let first = try await data.openInstance()
            let second = try await data.openInstance()
            let rule = SignInThrottleRule(freeAttempts: 5, maxDelay: 900)
            let answers = try await withThrowingTaskGroup(of: Int?.self) { group in
                for index in 0..<12 {
                    let store = index.isMultiple(of: 2) ? first : second
                    group.addTask { try await store.beginSignIn(key: "aino", now: start, rule: rule) }
                }
                return try await group.reduce(into: [Int?]()) { $0.append($1) }
            }
            #expect(answers.count(where: { $0 == nil }) == 5, "exactly the free attempts go on: \(answers)")
            #expect(answers.compactMap { $0 }.allSatisfy { $0 == 1 }, "the rest wait a second: \(answers)")
            // The wait doubles with each failure after the free ones, and ends.
            #expect(try await second.beginSignIn(key: "aino", now: start + 1, rule: rule) == nil)
            #expect(try await first.beginSignIn(key: "aino", now: start + 1, rule: rule) == 2)
            #expect(try await first.beginSignIn(key: "bo", now: start + 1, rule: rule) == nil, "another name has its own count")
            try await second.signInSucceeded(key: "aino")
            #expect(try await first.beginSignIn(key: "aino", now: start + 1, rule: rule) == nil)
            // Failures whose wait is over are forgotten.
            try await first.removeSignInFailures(before: start + 2)
            for _ in 0..<5 { _ = try await second.beginSignIn(key: "bo", now: start + 3, rule: rule) }
            #expect(try await second.beginSignIn(key: "bo", now: start + 3, rule: rule) == 1)
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
            _ = try await store.recordDecision(applicationID: application.id, text: "Granted.", documentSHA256: "dd", now: start)
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
            let again = try await reopen()
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

    // MARK: Several portals over the same data

    /// Stores opened at once on empty data agree on one schema: each waits for the one migrating.
    @Test(arguments: StoreKind.allCases)
    func opening_severalInstancesAtOnceOnEmptyData_allShareOneSchema(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let stores = try await withThrowingTaskGroup(of: (any PortalStore).self) { group in
                for _ in 0..<4 { group.addTask { try await data.openInstance() } }
                return try await group.reduce(into: [any PortalStore]()) { $0.append($1) }
            }
            let aino = try await stores[0].createApplicant(username: "aino", displayName: "Aino", passwordHash: "h", now: start)
            for store in stores { #expect(try await store.applicant(username: "aino") == aino) }
        }
    }

    /// The same send arriving at two portals at once (a client retrying through a load balancer): one message,
    /// one receipt, one notification, whichever portal answers.
    @Test(arguments: StoreKind.allCases)
    func messages_sameKeyOnTwoInstancesAtOnce_makeOneMessageAndOneReceipt(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let first = try await data.openInstance()
            let second = try await data.openInstance()
            let (aino, application) = try await applicantWithApplication(first, "aino")
            let attachment = try await first.recordAttachment(pdf(aino, "u", at: start))
            let message = NewMessage(
                applicantID: aino.id, idempotencyKey: "k", target: .application(application.id), text: "once",
                attachmentIDs: [attachment.id], now: start)
            let receipts = try await withThrowingTaskGroup(of: Receipt.self) { group in
                for copy in 0..<8 {
                    let store = copy.isMultiple(of: 2) ? first : second
                    group.addTask { try await store.receiveMessage(message) }
                }
                return try await group.reduce(into: [Receipt]()) { $0.append($1) }
            }
            #expect(Set(receipts).count == 1)
            #expect(try await second.incomingMessages().map(\.receipt) == [receipts[0]])
            #expect(try await first.receipts(applicantID: aino.id) == [receipts[0]])
            #expect(try await second.notifications(applicantID: aino.id, after: nil).map(\.kind) == [.messageReceived])
        }
    }

    /// Sends from two portals at once get every receipt number once, rising in the order they were received,
    /// with no number skipped, and receipt times that never fall behind the numbers.
    @Test(arguments: StoreKind.allCases)
    func receipts_concurrentSendsFromTwoInstances_numberedOnceInArrivalOrder(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let instances = [try await data.openInstance(), try await data.openInstance()]
            let (aino, application) = try await applicantWithApplication(instances[0], "aino")
            let sends = 24
            let receipts = try await withThrowingTaskGroup(of: Receipt.self) { group in
                for send in 0..<sends {
                    let store = instances[send % 2]
                    group.addTask {
                        try await store.receiveMessage(NewMessage(
                            applicantID: aino.id, idempotencyKey: "k\(send)", target: .application(application.id),
                            text: "\(send)", attachmentIDs: [], now: start + Double(send % 5)))
                    }
                }
                return try await group.reduce(into: [Receipt]()) { $0.append($1) }
            }
            let year = Calendar.portal.component(.year, from: start)
            #expect(receipts.map(\.number).sorted() == (1...Int64(sends)).map { Receipt.number(sequence: $0, year: year) })
            let received = try await instances[1].incomingMessages().map(\.receipt)
            #expect(received.map(\.number) == received.map(\.number).sorted(), "the officer's list is in arrival order")
            #expect(received.map(\.receivedAt) == received.map(\.receivedAt).sorted())
            #expect(Set(received) == Set(receipts), "each answer is the receipt as kept")
        }
    }

    /// A reader following the notifications by sequence (as the portal's stream does) misses none while two
    /// portals write them: a number is never seen before a smaller one that is still to be committed.
    @Test(arguments: StoreKind.allCases)
    func notifications_followedBySequence_noneMissedWhileTwoInstancesWrite(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let instances = [try await data.openInstance(), try await data.openInstance()]
            let reader = try await data.openInstance()
            let (aino, _) = try await applicantWithApplication(instances[0], "aino")
            // Messages about different applications: nothing else in the data makes them wait for each other.
            var applications: [Application] = []
            for _ in 0..<8 {
                applications.append(try await instances[0].createApplication(applicantID: aino.id, type: .citizenship, now: start))
            }
            // The reader follows until the writers are done, then once more.
            let writersDone = DoneFlag()
            let following = Task {
                var seen: [Int64] = []
                while !writersDone.isSet {
                    seen += try await reader.notifications(applicantID: aino.id, after: seen.last ?? 0).map(\.sequence)
                }
                return seen
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for send in 0..<60 {
                    let store = instances[send % 2]
                    let application = applications[send % applications.count]
                    group.addTask {
                        _ = try await store.receiveMessage(NewMessage(
                            applicantID: aino.id, idempotencyKey: "k\(send)", target: .application(application.id),
                            text: "\(send)", attachmentIDs: [], now: start))
                    }
                }
                try await group.waitForAll()
            }
            writersDone.set()
            var seen = try await following.value
            seen += try await reader.notifications(applicantID: aino.id, after: seen.last ?? 0).map(\.sequence)
            let all = try await reader.notifications(applicantID: aino.id, after: nil).map(\.sequence)
            #expect(seen == all.sorted())
        }
    }

    /// One attachment sent in two messages at once through two portals: one message takes it, the other is
    /// refused as `attachment_already_sent`.
    @Test(arguments: StoreKind.allCases)
    func attachments_sentInTwoMessagesOnTwoInstancesAtOnce_goInOneOnly(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let instances = [try await data.openInstance(), try await data.openInstance()]
            let (aino, application) = try await applicantWithApplication(instances[0], "aino")
            for round in 0..<5 {
                let attachment = try await instances[0].recordAttachment(pdf(aino, "u\(round)", at: start))
                let outcomes = await withTaskGroup(of: Result<Receipt, any Error>.self) { group in
                    for copy in 0..<2 {
                        group.addTask {
                            do {
                                return .success(try await instances[copy].receiveMessage(NewMessage(
                                    applicantID: aino.id, idempotencyKey: "k\(round)-\(copy)",
                                    target: .application(application.id), text: "\(copy)", attachmentIDs: [attachment.id],
                                    now: start)))
                            } catch {
                                return .failure(error)
                            }
                        }
                    }
                    return await group.reduce(into: [Result<Receipt, any Error>]()) { $0.append($1) }
                }
                #expect(outcomes.filter { (try? $0.get()) != nil }.count == 1)
                #expect(outcomes.compactMap { result -> PortalError? in
                    guard case .failure(let error) = result else { return nil }
                    return error as? PortalError
                } == [PortalError(.attachmentAlreadySent)])
            }
            #expect(try await instances[1].incomingMessages().flatMap(\.receipt.files).count == 5)
        }
    }

    /// Two uploads under one key at once on two portals: one attachment, answered to both.
    @Test(arguments: StoreKind.allCases)
    func uploads_sameKeyOnTwoInstancesAtOnce_recordOneAttachment(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let instances = [try await data.openInstance(), try await data.openInstance()]
            let (aino, _) = try await applicantWithApplication(instances[0], "aino")
            let attachments = try await withThrowingTaskGroup(of: PorttiModel.Attachment.self) { group in
                for copy in 0..<6 {
                    group.addTask { try await instances[copy % 2].recordAttachment(pdf(aino, "u", at: start, unsentLimit: 1)) }
                }
                return try await group.reduce(into: [PorttiModel.Attachment]()) { $0.append($1) }
            }
            #expect(Set(attachments).count == 1)
            #expect(try await instances[1].uploadAdmission(applicantID: aino.id, idempotencyKey: "v", since: start - day, limit: 2) == .new)
        }
    }

    /// Different uploads at once on two portals never pass the unsent quota together: each counts what the
    /// others recorded.
    @Test(arguments: StoreKind.allCases)
    func uploads_concurrentOnTwoInstances_neverExceedTheUnsentLimit(_ kind: StoreKind) async throws {
        try await withData(kind) { data in
            let instances = [try await data.openInstance(), try await data.openInstance()]
            let (aino, _) = try await applicantWithApplication(instances[0], "aino")
            let recorded = await withTaskGroup(of: Bool.self) { group in
                for upload in 0..<10 {
                    group.addTask {
                        (try? await instances[upload % 2].recordAttachment(pdf(aino, "u\(upload)", at: start, unsentLimit: 3))) != nil
                    }
                }
                return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(recorded == 3)
        }
    }

    /// A time with more digits than the database keeps is answered as it will be read back later.
    /// PostgreSQL only: SQLite keeps milliseconds and answers the time as given, so the two differ there.
    @Test func timestamps_answeredAsKept_postgres() async throws {
        try await withStore(.postgres) { store, reopen in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let now = start + 0.123_456_789
            let receipt = try await store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "k", target: .application(application.id), text: "x",
                attachmentIDs: [], now: now))
            #expect(abs(receipt.receivedAt.timeIntervalSince(now)) < 0.000_001)
            #expect(try await reopen().receipt(number: receipt.number, applicantID: aino.id) == receipt)
            // Read, written back (as the next receipt's time is), and read again: not a microsecond earlier.
            let next = try await store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "k2", target: .application(application.id), text: "y",
                attachmentIDs: [], now: start))
            #expect(next.receivedAt == receipt.receivedAt)
        }
    }
}

/// Conversations (issue 14): both directions, the states of the applicant's message, messages on another matter.
@Suite struct ConversationStoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func conversation_bothDirections_statesMoveReceivedReadAnswered(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, reopen in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let (bo, _) = try await applicantWithApplication(store, "bo")
            _ = try await store.recordAttachment(pdf(aino, "up", sha256: String(repeating: "a", count: 64), at: start))
            let asked = try await store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "q", target: .application(application.id), text: "When?",
                attachmentIDs: [], now: start + 60))
            let mine = try #require(asked.messageID)
            #expect(try await store.message(id: mine, applicantID: aino.id)?.state == .received)
            #expect(try await store.message(id: mine, applicantID: bo.id) == nil)

            let opened = try #require(try await store.markReadByAuthority(messageID: mine, now: start + 120))
            #expect(opened.readByAuthorityAt != nil && opened.answeredBy == nil)
            #expect(try await store.message(id: mine, applicantID: aino.id)?.state == .readByAuthority(start + 120))

            let answer = try await store.sendAuthorityMessage(NewAuthorityMessage(
                target: .reply(mine), text: "Soon.", files: [], now: start + 180))
            #expect(answer.direction == .fromAuthority && answer.inReplyTo == mine && answer.applicationID == application.id)
            let again = try await reopen()
            #expect(try await again.message(id: mine, applicantID: aino.id)?.state == .answered(answer.id))
            #expect(try await again.incomingMessages().first?.answeredBy == answer.id)

            let conversation = try #require(try await again.messages(applicantID: aino.id, applicationID: application.id))
            #expect(conversation.map(\.id) == [mine, answer.id])
            #expect(try await again.messages(applicantID: bo.id, applicationID: application.id) == nil)
            #expect(try await again.messages(applicantID: bo.id, applicationID: nil)?.isEmpty == true)

            // The authority's message is notified, counted unread until opened, and opened once.
            let notified = try await again.notifications(applicantID: aino.id, after: nil).first { $0.kind == .message }
            #expect(notified?.subjectID == answer.id && notified?.readAt == nil)
            #expect(try await again.markMessageRead(id: answer.id, applicantID: bo.id, now: start + 200) == nil)
            let read = try await again.markMessageRead(id: answer.id, applicantID: aino.id, now: start + 240)
            #expect(read?.readAt == start + 240)
            #expect(try await again.markMessageRead(id: answer.id, applicantID: aino.id, now: start + 300)?.readAt == start + 240)
            #expect(try await again.notifications(applicantID: aino.id, after: nil).first { $0.kind == .message }?.readAt != nil)
        }
    }

    /// "Read by the authority" reaches the applicant's open streams as a notification that is already read:
    /// the unread count does not move, and opening the message again is no news.
    @Test(arguments: StoreKind.allCases)
    func readByTheAuthority_isNotifiedOnce_alreadyRead_unreadCountUnchanged(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let mine = try #require(try await store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "q", target: .application(application.id), text: "When?",
                attachmentIDs: [], now: start + 60)).messageID)
            let other = try #require(try await store.receiveMessage(NewMessage(
                applicantID: aino.id, idempotencyKey: "t", target: .topic("residence_card"), text: "My card?",
                attachmentIDs: [], now: start + 61)).messageID)
            let unread = try await store.notifications(applicantID: aino.id, after: nil).count { $0.readAt == nil }
            let before = try await store.latestNotificationSequence()

            _ = try await store.markReadByAuthority(messageID: mine, now: start + 120)
            _ = try await store.markReadByAuthority(messageID: mine, now: start + 180)
            _ = try await store.markReadByAuthority(messageID: other, now: start + 240)
            #expect(try await store.latestNotificationSequence() > before)
            let news = try await store.notifications(applicantID: aino.id, after: before)
            #expect(news.map(\.kind) == [.messageRead, .messageRead])
            #expect(news.map(\.subjectID) == [mine, other])
            #expect(news.map(\.readAt) == [start + 120, start + 240])
            #expect(news.first?.applicationID == application.id && news.first?.applicationReference == application.referenceNumber)
            #expect(news.last?.applicationID == nil && news.last?.topic == "residence_card")
            #expect(try await store.notifications(applicantID: aino.id, after: nil).count { $0.readAt == nil } == unread)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func messageOnAnotherMatter_andReply_keepTheirTopic_onceByKey(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, _) = try await applicantWithApplication(store, "aino")
            let (bo, _) = try await applicantWithApplication(store, "bo")
            let other = NewMessage(applicantID: aino.id, idempotencyKey: "t", target: .topic("residence_card"),
                                   text: "My card is lost.", attachmentIDs: [], now: start)
            let receipt = try await store.receiveMessage(other)
            #expect(receipt.applicationID == nil && receipt.topic == "residence_card")
            #expect(try await store.receiveMessage(other) == receipt)
            let mine = try #require(receipt.messageID)
            let answer = try await store.sendAuthorityMessage(NewAuthorityMessage(
                target: .reply(mine), text: "Order a new one.", files: [], now: start + 60))
            #expect(answer.topic == "residence_card" && answer.applicationID == nil)
            let notification = try await store.notifications(applicantID: aino.id, after: nil).first { $0.kind == .message }
            #expect(notification?.topic == "residence_card" && notification?.applicationID == nil)

            // Replying: only to the authority's message, and only by its applicant.
            let reply = NewMessage(applicantID: aino.id, idempotencyKey: "r", target: .reply(answer.id), text: "Thanks.",
                                   attachmentIDs: [], now: start + 120)
            let replied = try await store.receiveMessage(reply)
            #expect(replied.inReplyTo == answer.id && replied.topic == "residence_card")
            #expect(try await store.receiveMessage(reply) == replied)
            await #expect(throws: PortalError.notFound) {
                _ = try await store.receiveMessage(NewMessage(applicantID: bo.id, idempotencyKey: "b", target: .reply(answer.id),
                                                              text: "Mine?", attachmentIDs: [], now: start + 180))
            }
            await #expect(throws: PortalError.notFound) {
                _ = try await store.receiveMessage(NewMessage(applicantID: aino.id, idempotencyKey: "s", target: .reply(mine),
                                                              text: "To myself", attachmentIDs: [], now: start + 180))
            }
            let all = try #require(try await store.messages(applicantID: aino.id, applicationID: nil))
            #expect(all.map(\.id) == [mine, answer.id, try #require(replied.messageID)])
            #expect(try await store.incomingMessages().map(\.topic) == ["residence_card", "residence_card"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func authorityMessageFiles_keepTheirDocuments(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let (aino, application) = try await applicantWithApplication(store, "aino")
            let digest = String(repeating: "c", count: 64)
            let sent = try await store.sendAuthorityMessage(NewAuthorityMessage(
                target: .application(application.id), text: "Here.",
                files: [.init(name: "guide.pdf", size: 10, sha256: digest, type: .pdf)], now: start))
            let file = try #require(sent.attachments.first)
            #expect(try await store.messageDocument(messageID: sent.id, attachmentID: file.id, applicantID: aino.id)?.sha256 == digest)
            #expect(try await store.unreferenced([digest]).isEmpty)
            await #expect(throws: PortalError.notFound) {
                _ = try await store.sendAuthorityMessage(NewAuthorityMessage(
                    target: .application("application_none"), text: "x", files: [], now: start))
            }
            #expect(try await store.applicationID(referenceNumber: application.referenceNumber) == application.id)
        }
    }
}
