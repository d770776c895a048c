import ApplicantStore
import Foundation
import PortalClient
import PorttiModel
import TerminalUI

/// Who is signed in: the applicant's records, opened off the terminal thread once the applicant is known;
/// signing in again when the session ends, and then going on with what it stopped; signing out.
struct Session: Sendable {
    enum Message: Sendable {
        /// The applicant's records opened (or could not be).
        case opened(Applicant, Result<Account, ClientError>)
    }

    /// What the screen on top is given once the applicant has signed in again.
    enum Resume: Sendable {
        /// It loads again (what failed for the ended session).
        case reload
        /// This message (the send that met the ended session goes, with the same key).
        case give(Routed)
    }

    private(set) var account: Account?
    /// The applicant whose records are being opened.
    private(set) var opening: Applicant?
    /// What goes on after the password is given again; nil when nothing waits (or the prompt was left).
    var resume: Resume?

    init(opening applicant: Applicant? = nil) { opening = applicant }

    /// Opens `applicant`'s records; `opened` comes back.
    mutating func open(_ applicant: Applicant, _ services: AppServices) -> [Effect<Message>] {
        opening = applicant
        return [.run("open records") { .opened(applicant, await services.openAccount(applicant)) }]
    }

    /// Opens the records of the applicant a kept session named at the start.
    func openKept(_ services: AppServices) -> [Effect<Message>] {
        guard let applicant = opening else { return [] }
        return [.run("open records") { .opened(applicant, await services.openAccount(applicant)) }]
    }

    /// The records opened: the account, or why there is none.
    mutating func opened(_ result: Result<Account, ClientError>) -> ClientError? {
        opening = nil
        switch result {
        case .success(let account):
            self.account = account
            return nil
        case .failure(let error):
            return error
        }
    }

    /// The portal says the session ended: answers whether to ask for the password (not when asking already).
    mutating func ended(resume: Routed?, askingAlready: Bool) -> Bool {
        guard !askingAlready else { return false }
        self.resume = resume.map(Resume.give) ?? .reload
        return true
    }

    /// Signed in at the password prompt as the same applicant: the session goes on; answers what waited.
    mutating func resumed() -> Resume? {
        defer { resume = nil }
        return resume
    }

    /// Whether a sign-in continues this account (rather than opening another's records).
    func continues(_ session: SignedInSession, resuming: Bool) -> Bool {
        resuming && account?.applicant.username == session.applicant.username
    }

    /// Keeps the token for the next start (never the password).
    static func keep(_ session: SignedInSession, _ services: AppServices) -> Effect<Message> {
        let sessionFile = services.sessionFile
        return .run("keep session") {
            await BlockingWork.run {
                try? sessionFile.write(.init(
                    username: session.applicant.username, token: session.token, expiresAt: session.expiresAt,
                    displayName: session.applicant.displayName))
            }
            return nil
        }
    }

    /// Signs out: the drafts on screen are written, the portal ends the session, the kept token goes.
    mutating func signOut(keeping drafts: [Draft], _ services: AppServices) -> [Effect<Message>] {
        let store = account?.store
        account = nil
        resume = nil
        let client = services.client
        let sessionFile = services.sessionFile
        return [.run("sign out") {
            if let store { await BlockingWork.run { for draft in drafts { try? store.save(draft) } } }
            try? await client.signOut()
            sessionFile.remove()
            return nil
        }]
    }
}
