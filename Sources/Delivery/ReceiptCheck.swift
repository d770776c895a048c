import ApplicantStore
import Foundation
import PortalClient
import PorttiModel
import ReceiptProof

/// Checks every receipt the portal sends before a message counts as delivered: signed by a key of the portal's,
/// and covering exactly the number, target, text and files sent.
public enum ReceiptCheck {
    /// Verifies `receipt` of the message `item`, with the keys kept for this portal, fetched again (and kept) when
    /// the receipt names a key not seen yet.
    /// - Returns: the kid of the key that signed it.
    /// - Throws: `ClientError.receiptUnverified` when it does not verify; the client's errors when the keys
    ///   cannot be fetched; `localStorageFailed` when the kept keys cannot be read or written.
    public static func verify(
        _ receipt: Receipt, of item: OutboxItem, client: PortalClient, store: ApplicantStore
    ) async throws(ClientError) -> String {
        guard let jws = receipt.signed else {
            throw .receiptUnverified(number: receipt.number, reasonKey: "receipt.verdict.unsigned")
        }
        var keys: ReceiptKeySet
        do { keys = try await store.receiptKeys() } catch { throw .localStorageFailed }
        if let kid = ReceiptKeys.kid(of: jws), keys.key(kid: kid) == nil {
            let published = try await client.receiptKeys()
            do {
                try await store.remember(receiptKeys: published)
                keys = try await store.receiptKeys()
            } catch { throw .localStorageFailed }
        }
        let files = item.files.map { ReceiptStatement.File(name: $0.name, size: $0.size, sha256: $0.sha256) }
        let verdict = await ReceiptKeys.verify(jws, keys: keys, text: item.text, files: files)
        guard case .valid(let statement, let kid) = verdict else {
            throw .receiptUnverified(number: receipt.number, reasonKey: verdict.messageKey)
        }
        // The signed statement is the proof: what the receipt shows must be what it states.
        guard statement.receipt == receipt.number, target(of: statement) == item.target,
              // The API gives times in whole seconds; the statement has milliseconds.
              let signedTime = statement.receivedDate, abs(signedTime.timeIntervalSince(receipt.receivedAt)) < 1
        else { throw .receiptUnverified(number: receipt.number, reasonKey: "receipt.verdict.mismatch") }
        return kid
    }

    /// Where the statement says the message went, as the outbox names it: a request, a reply to the authority's
    /// message, an application, or a topic (a reply also names its conversation's application or topic).
    static func target(of statement: ReceiptStatement) -> MessageTarget? {
        if let request = statement.request { return .request(request) }
        if let message = statement.inReplyTo { return .reply(message) }
        if let application = statement.application { return .application(application.id) }
        return statement.topic.map { .topic($0) }
    }
}

extension KeptReceipt {
    /// A receipt the courier answered (a send, or the outbox delivered after a crash), as the store kept it:
    /// the courier answers only a receipt whose signature it verified, so the key is the one its JWS names.
    /// Every screen that shows a receipt just delivered takes it from here, so none shows it as unsigned.
    public init(delivered receipt: Receipt, target: MessageTarget, message: String) {
        self.init(receipt: receipt, target: target, message: message,
                  verifiedKey: receipt.signed.flatMap(ReceiptKeys.kid(of:)))
    }
}
