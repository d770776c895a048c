import ApplicantStore
import Foundation
import PortalClient
import PorttiModel

/// Sends messages once. A message is written to the outbox, with its idempotency key, before anything goes
/// out; each attachment is uploaded with a key derived from it; only the portal's receipt marks it delivered.
/// Whatever stops a send half-way (a crash, a kill, a dropped link, an expired session), delivering the
/// outbox again repeats the same keys, and the portal records the message once.
public actor Courier {
    private let client: PortalClient
    private let store: ApplicantStore
    private var underWay: [String: Task<Receipt, any Error>] = [:]

    public init(client: PortalClient, store: ApplicantStore) {
        self.client = client
        self.store = store
    }

    /// What a send reports while it runs.
    public enum Progress: Sendable, Equatable {
        /// Uploading file `index` of `count`: bytes sent of its total.
        case uploading(index: Int, count: Int, sent: Int64, total: Int64)
        case sending
    }

    /// Sends `draft`: the same message pressed twice, or still in the outbox from before, is sent once and
    /// both callers get the one receipt.
    public func send(
        _ draft: Draft, progress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) async throws(ClientError) -> Receipt {
        let item: OutboxItem
        do {
            // One transaction: this actor may take another send of the same draft while this one waits.
            item = try await store.enqueue(draft)
        } catch {
            throw .localStorageFailed
        }
        return try await deliver(item, progress: progress)
    }

    /// Sends `draft` again as the outbox item it already went into (the same idempotency key). When that item was
    /// delivered meanwhile (the outbox's own retry, while the applicant looked at "waiting"), answers that
    /// delivery's receipt and sends nothing: pressing "try now" after the retry went must not make a second copy.
    /// - Throws: as `send`.
    public func resend(
        _ draft: Draft, progress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) async throws(ClientError) -> Receipt {
        let latest: OutboxItem?
        do { latest = try await store.outbox().last { $0.carries(draft) } } catch { throw .localStorageFailed }
        if let latest, case .delivered(let number) = latest.state {
            let kept: KeptReceipt?
            do { kept = try await store.receipt(number: number) } catch { throw .localStorageFailed }
            if let kept { return kept.receipt }
        }
        return try await send(draft, progress: progress)
    }

    /// Delivers everything still pending in the outbox, oldest first (on start, and after a failure passed).
    /// Answers what happened to each.
    public func deliverPending(
        progress: @escaping @Sendable (OutboxItem, Progress) -> Void = { _, _ in }
    ) async -> [(item: OutboxItem, outcome: Result<Receipt, ClientError>)] {
        let pending = ((try? await store.outbox()) ?? []).filter { $0.state == .pending }
        var outcomes: [(OutboxItem, Result<Receipt, ClientError>)] = []
        for item in pending {
            do {
                let receipt = try await deliver(item) { progress(item, $0) }
                outcomes.append((item, .success(receipt)))
            } catch {
                outcomes.append((item, .failure(error)))
                // Without a connection or a session the rest would fail the same way.
                if error.isTransient || error == .sessionExpired || error == .notSignedIn || error == .untrustedPortal {
                    break
                }
            }
        }
        return outcomes
    }

    private func deliver(
        _ item: OutboxItem, progress: @escaping @Sendable (Progress) -> Void
    ) async throws(ClientError) -> Receipt {
        if let running = underWay[item.id] { return try await Self.wait(running) }
        let client = self.client
        let store = self.store
        let task = Task { try await Self.run(item, client: client, store: store, progress: progress) }
        underWay[item.id] = task
        defer { underWay[item.id] = nil }
        return try await Self.wait(task)
    }

    private static func wait(_ task: Task<Receipt, any Error>) async throws(ClientError) -> Receipt {
        do { return try await task.value } catch let error as ClientError { throw error } catch { throw .localStorageFailed }
    }

    private static func run(
        _ original: OutboxItem, client: PortalClient, store: ApplicantStore, progress: @escaping @Sendable (Progress) -> Void
    ) async throws -> Receipt {
        var item = original
        do {
            let count = item.files.count
            for (index, file) in item.files.enumerated() where item.uploadedIDs[index] == nil {
                let attachment = try await client.upload(
                    fileAt: file.path, pathBytes: file.pathBytes, name: file.name, expectedSHA256: file.sha256,
                    idempotencyKey: item.uploadKey(index)
                ) { sent, total in
                    progress(.uploading(index: index, count: count, sent: sent, total: total))
                }
                item.uploadedIDs[index] = attachment.id
                try await store.put(item)
            }
            progress(.sending)
            let ids = item.uploadedIDs.compactMap { $0 }
            let receipt = try await client.send(
                to: item.target, text: item.text, attachmentIDs: ids, idempotencyKey: item.idempotencyKey)
            // A receipt that does not verify proves nothing: the item stays in the outbox, said so.
            let kid = try await ReceiptCheck.verify(receipt, of: item, client: client, store: store)
            try await store.delivered(item, receipt: receipt, verifiedKey: kid)
            return receipt
        } catch let error as ClientError {
            // Only a definite refusal ends the item (the draft keeps the text, to fix and send anew). Any other
            // failure leaves the outcome unknown, so the item stays, to be repeated with the same key; one that
            // keeps failing with the portal's own errors is given up after a while, and said so.
            item.failedAttempts += 1
            item.lastFailure = .init(key: error.messageKey, arguments: error.messageArguments)
            if error.isDefiniteRefusal || (error == .serverError && item.failedAttempts >= OutboxItem.maxServerFailures) {
                item.state = .refused(reasonKey: error.messageKey, arguments: error.messageArguments)
            }
            try? await store.put(item)
            throw error
        } catch {
            throw ClientError.localStorageFailed
        }
    }
}
