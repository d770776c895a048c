import ApplicantStore
import Delivery
import Foundation
import PortalClient
import PorttiModel
import TerminalUI

/// The row under every screen: news for a while (a new notification, a message sent from the outbox), else
/// the unread count. It follows the portal's notification stream from the newest listed notification, and
/// delivers what the outbox holds after each sign-in.
struct StatusLine: Sendable {
    enum Message: Sendable {
        /// The notifications listed, from the cache (at once) or the portal.
        case listed(Result<Fresh<NotificationList>, ClientError>, fromCache: Bool)
        case event(NotificationEvent)
        case outboxDelivered([OutboxOutcome])
        /// The news of this generation has been shown long enough.
        case clearNews(Int)
        /// A message waits in the outbox for the portal: try again after a while.
        case outboxWaiting
        /// The wait of this round is over: send what the outbox holds.
        case retryOutbox(Int)
        /// The portal's topics of messages on other matters, to name them in news and lists.
        case topicsListed([MessageTopic])
        case app(AppRequest)
    }

    /// What the row says for a while, kept as what happened rather than as words: it is worded when drawn,
    /// so a language chosen meanwhile (F2) shows at once.
    enum News: Sendable {
        /// A notification arrived about an application (its reference) or, for a message on another matter, a topic.
        case arrived(PortalNotification.Kind, applicationReference: String?, topic: String? = nil)
        case outboxSent(receiptNumber: String)
        case outboxRefused(ClientError)

        func text(_ context: ViewContext) -> String {
            let strings = context.strings
            switch self {
            case .arrived(let kind, let reference?, _):
                return strings("news.new_about", ["what": strings("notification.\(kind.rawValue)"), "reference": context.clean(reference)])
            case .arrived(let kind, nil, let topic?):
                return strings("news.new_about", ["what": strings("notification.\(kind.rawValue)"), "reference": context.topicTitle(topic)])
            case .arrived(let kind, nil, nil):
                return strings("news.new", ["what": strings("notification.\(kind.rawValue)")])
            case .outboxSent(let number):
                return strings("news.outbox_sent", ["number": context.clean(number)])
            case .outboxRefused(let error):
                return strings("news.outbox_refused") + " " + context.error(error)
            }
        }
    }

    private(set) var news: News?
    private var newsGeneration = 0
    private(set) var unread: Int?
    /// The portal's topics of messages on other matters (empty until listed).
    private(set) var topics: [MessageTopic] = []
    /// The newest notification seen: the stream goes on after it.
    private var lastSequence: Int64?
    /// The stream ended with the session; it starts again after the next sign-in.
    private var streamEnded = false
    /// The stream broke and reconnects by itself.
    private var streamBroken = false
    /// Messages left in the outbox because the portal could not be reached, and when the next try is.
    private(set) var outbox: (waiting: Int, nextTry: Date)?
    /// Tries in a row that left something waiting: the wait doubles with each (5 s to 5 min).
    private var failedTries = 0
    /// Which scheduled try is the current one: a newer schedule replaces an older.
    private var retryGeneration = 0

    /// Seconds to wait after `failedTries` tries that left messages waiting: 5, 10, 20 … up to 300.
    static func retryDelay(after failedTries: Int) -> Int { min(5 << min(max(failedTries - 1, 0), 6), 300) }

    /// After a sign-in: the unread count (from the cache at once, then from the portal), and what the outbox
    /// kept from before.
    func start(_ environment: AppEnvironment) -> [Effect<Message>] {
        guard let account = environment.account else { return [] }
        let client = environment.client
        let store = account.store
        return [
            .stream("list notifications") { post in
                if let cached: Fresh<NotificationList> = await cachedOnly(store, key: "notifications") {
                    post(.listed(.success(cached), fromCache: true))
                }
                post(.listed(await AppEnvironment.notifications(client, store), fromCache: false))
            },
            Self.deliverOutbox(account),
            .run("list message topics") {
                .topicsListed((try? await readThroughCache(store, key: "message-topics") { try await client.messageTopics() })?.value ?? [])
            },
        ]
    }

    /// The unread count again from the portal.
    func refresh(_ environment: AppEnvironment) -> [Effect<Message>] {
        guard let store = environment.account?.store else { return [] }
        let client = environment.client
        return [.run("list notifications") { .listed(await AppEnvironment.notifications(client, store), fromCache: false) }]
    }

    /// Signed in again after the session ended: the stream starts again, and what the expired session kept
    /// from going out goes now.
    mutating func resume(_ environment: AppEnvironment) -> [Effect<Message>] {
        guard streamEnded, let account = environment.account else { return [] }
        streamEnded = false
        return [stream(environment), Self.deliverOutbox(account)]
    }

    mutating func update(_ message: Message, _ environment: AppEnvironment) -> [Effect<Message>] {
        switch message {
        case .listed(let result, let fromCache):
            guard case .success(let fresh) = result else {
                // A failed load leaves the count as it was.
                return fromCache ? [] : Effect.signInAgainIfEnded(result)
            }
            unread = fresh.value.unread
            // The stream starts after the newest listed by the portal itself, so nothing falls between.
            guard !fromCache, fresh.offlineSince == nil, lastSequence == nil, environment.services.timing.followsNotifications
            else { return [] }
            lastSequence = fresh.value.notifications.map(\.sequence).max() ?? 0
            return [stream(environment)]
        case .event(.notification(let notification)):
            lastSequence = max(lastSequence ?? 0, notification.sequence)
            unread = (unread ?? 0) + (notification.readAt == nil ? 1 : 0)
            let news = News.arrived(notification.kind, applicationReference: notification.applicationReference, topic: notification.topic)
            return [Message.ask(.notificationArrived(notification))] + show(news, environment)
        case .event(.disconnected(.sessionExpired)), .event(.disconnected(.notSignedIn)):
            streamEnded = true
            return [Message.ask(.sessionEnded(resume: nil))]
        case .event(.disconnected):
            streamBroken = true
            return []
        case .event(.connected(_)):
            // Back after the stream broke (the portal was away): the count may have moved meanwhile.
            guard streamBroken else { return [] }
            streamBroken = false
            return refresh(environment)
        case .outboxDelivered(let outcomes):
            return delivered(outcomes, environment)
        case .clearNews(let generation):
            if generation == newsGeneration { news = nil }
            return []
        case .outboxWaiting:
            return scheduleRetry(waiting: max(outbox?.waiting ?? 0, 1), environment)
        case .topicsListed(let topics):
            if !topics.isEmpty { self.topics = topics }
            return []
        case .retryOutbox(let generation):
            guard generation == retryGeneration, let account = environment.account else { return [] }
            return [Self.deliverOutbox(account)]
        case .app:
            return []
        }
    }

    /// One notification shown unread was read.
    mutating func notificationRead() { unread = max((unread ?? 1) - 1, 0) }

    mutating func signedOut() { self = StatusLine() }

    private func stream(_ environment: AppEnvironment) -> Effect<Message> {
        let client = environment.client
        let sequence = lastSequence
        return .stream("follow notifications") { post in
            for await event in client.notificationEvents(after: sequence) { post(.event(event)) }
        }
    }

    /// Sends what the outbox holds (left from a crash, a quit or an expired session) and reports the outcomes.
    private static func deliverOutbox(_ account: Account) -> Effect<Message> {
        .run("deliver outbox") {
            let outcomes = await account.courier.deliverPending()
            return .outboxDelivered(outcomes.map { item, outcome in
                switch outcome {
                case .success(let receipt): OutboxOutcome(item: item, receipt: receipt, error: nil)
                case .failure(let error): OutboxOutcome(item: item, receipt: nil, error: error)
                }
            })
        }
    }

    private mutating func delivered(_ outcomes: [OutboxOutcome], _ environment: AppEnvironment) -> [Effect<Message>] {
        // What could not reach the portal is tried again later, for as long as the app is open.
        let waiting = outcomes.filter { $0.error?.isTransient == true }.count
        let retry = waiting > 0 ? scheduleRetry(waiting: waiting, environment) : settled()
        return retry + reported(outcomes, environment)
    }

    /// Nothing waits any more: the next failure starts again from the shortest wait.
    private mutating func settled() -> [Effect<Message>] {
        outbox = nil
        failedTries = 0
        retryGeneration += 1
        return []
    }

    private mutating func scheduleRetry(waiting: Int, _ environment: AppEnvironment) -> [Effect<Message>] {
        failedTries += 1
        retryGeneration += 1
        let generation = retryGeneration
        let seconds = Self.retryDelay(after: failedTries)
        outbox = (waiting, environment.context.now + TimeInterval(seconds))
        return [.run("retry outbox later") {
            try? await Task.sleep(for: .seconds(seconds))
            return .retryOutbox(generation)
        }]
    }

    private mutating func reported(_ outcomes: [OutboxOutcome], _ environment: AppEnvironment) -> [Effect<Message>] {
        let delivered = outcomes.compactMap { outcome in
            outcome.receipt.map { KeptReceipt(delivered: $0, target: outcome.item.target, message: outcome.item.text) }
        }
        if let refused = outcomes.first(where: { $0.error?.isDefiniteRefusal == true }), let error = refused.error {
            return show(.outboxRefused(error), environment)
        }
        guard let first = delivered.first else { return [] }
        return [Message.ask(.delivered(delivered))] + show(.outboxSent(receiptNumber: first.receipt.number), environment)
    }

    private mutating func show(_ news: News, _ environment: AppEnvironment) -> [Effect<Message>] {
        self.news = news
        newsGeneration += 1
        let generation = newsGeneration
        let duration = environment.services.timing.newsDuration
        return [.run("clear news later") {
            try? await Task.sleep(for: duration)
            return .clearNews(generation)
        }]
    }

    /// News, or the unread count, in reverse video across the row; nothing when there is neither.
    func view(into canvas: inout Canvas, area: Rect, context: ViewContext) {
        var status = news?.text(context)
        if status == nil, let outbox {
            status = context.strings("news.outbox_waiting", count: outbox.waiting, ["time": context.formats.time(outbox.nextTry)])
        }
        if status == nil, let unread, unread > 0 { status = context.strings("news.unread", ["count": String(unread)]) }
        guard let status else { return }
        canvas.fill(area, style: .bar)
        // News longer than the row is cut with "…", never mid-word with nothing to say so.
        _ = canvas.put(" " + TextLayout.truncate(status, toWidth: area.width - 1, ellipsis: true),
                       column: area.column, row: area.row, maxWidth: area.width, style: .bar)
    }
}

extension StatusLine.Message: AppRequesting {
    var request: AppRequest? { if case .app(let request) = self { request } else { nil } }
}
