@testable import ApplicantApp
import ApplicantStore
import Foundation
import PortalClient
import PortalServer
import PortalStore
import PortalTestSupport
import PorttiLocalization
import PorttiModel
import TerminalUI
import Testing

/// The app at 80x24 on its real rendering code, over the real portal and the applicant's real records:
/// keys in, screens out as text.
struct AppHarness {
    let portal: TestPortal
    let home: URL
    let client: PortalClient
    let applicant: Applicant
    let work: Application
    let study: Application
    let request: SupplementRequest
    let decision: Decision
    var driver: ProgramDriver<Shell<PorttiApp>>

    /// The applicant's editor, played by a script: it appends a line, as a person typing one at the end would.
    static let appendingEditor: @Sendable (String) -> EditorRun = { path in
        guard let text = FileManager.default.contents(atPath: path),
            FileManager.default.createFile(atPath: path, contents: text + Data("Written in the editor.\n".utf8))
        else { return .failed(editor: "test", status: 1) }
        return .finished
    }

    /// `waiting`: a message left in the outbox by an earlier run (a send killed half-way), to the work permit
    /// application; the app delivers it as it starts.
    static func start(
        _ portal: TestPortal, language: Language, editor: @escaping @Sendable (String) -> EditorRun = appendingEditor,
        waiting: (@Sendable (Application) -> Draft)? = nil
    ) async throws -> AppHarness {
        let home = FileManager.default.temporaryDirectory.appending(path: "portti-app-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        // The files to attach: a PDF, a text file named .pdf, and one too large.
        try Data(Samples.pdf).write(to: home.appending(path: "contract.pdf"))
        try Data("not a pdf at all".utf8).write(to: home.appending(path: "fake.pdf"))
        try Data(Samples.pdf + Array(repeating: 0x20, count: 5 * 1024 * 1024)).write(to: home.appending(path: "huge.pdf"))

        let now = portal.clock.now
        let hash = try await Passwords.hash(TestPortal.password, cost: 4)
        let applicant = try await portal.store.createApplicant(username: "aino", displayName: "Aino Virtanen", passwordHash: hash, now: now - 9 * 86_400)
        let study = try await portal.store.createApplication(applicantID: applicant.id, type: .residencePermitStudy, now: now - 8 * 86_400)
        let work = try await portal.store.createApplication(applicantID: applicant.id, type: .residencePermitWork, now: now - 7 * 86_400)
        let request = try await portal.store.issueRequest(
            applicationID: work.id, text: "We need your employment contract.", items: ["Signed employment contract"],
            deadline: Calendar.portal.endOfDay(now + 10 * 86_400), now: now - 86_400)
        let vault = try DocumentVault(folder: portal.configuration.documentsFolder)
        let document = try await vault.keep(fileAt: home.appending(path: "contract.pdf"))
        let decision = try await portal.store.recordDecision(
            applicationID: study.id, text: "Granted for two years.", documentSHA256: document.sha256, now: now - 3600)

        let client = try PortalClient(portalURL: portal.portalURL)
        let session = try await client.signIn(username: "aino", password: TestPortal.password)
        let environment = [
            "HOME": home.path, "XDG_DATA_HOME": home.appending(path: "data").path,
            "XDG_STATE_HOME": home.appending(path: "state").path,
        ]
        if let waiting {
            let store = try ApplicantStore(path: ApplicantStore.path(portal: portal.portalURL, username: "aino", environment: environment))
            _ = try await store.enqueue(waiting(work))
        }
        let services = AppServices(
            client: client, portalURL: portal.portalURL, environment: environment, portalNote: nil,
            timing: AppTiming(draftSaveDelay: .zero, newsDuration: .zero, followsNotifications: false),
            pickerFolder: home.path, utcOffset: 0, clock: AppClock { portal.clock.now },
            runEditor: editor)
        let app = PorttiApp(services: services, language: language, signedIn: session.applicant)
        var driver = ProgramDriver(Shell(app, strings: StringTable(language)), width: 80, height: 24)
        await driver.settle()
        return AppHarness(portal: portal, home: home, client: client, applicant: session.applicant, work: work,
                          study: study, request: request, decision: decision, driver: driver)
    }

    var screen: String { driver.screen }

    /// Presses each key after the screen settled from the one before, as a person would.
    mutating func press(_ keys: Key...) async {
        for key in keys {
            driver.send(.key(key))
            await driver.settle()
        }
    }

    mutating func type(_ text: String) async {
        driver.type(text)
        await driver.settle()
    }

    /// Moves the focus down the list until the focused row holds `text`.
    mutating func focus(_ text: String) async {
        if focusedRow.contains(text) { return }
        for _ in 0..<20 { await press(.up) }
        for _ in 0..<20 {
            if focusedRow.contains(text) { return }
            await press(.down)
        }
        Issue.record("no row with \(text) on:\n\(screen)")
    }

    /// The writing screen, when it is on top.
    var writing: ComposeScreen? { driver.program.screen.top?.screen as? ComposeScreen }

    var focusedRow: String {
        driver.screen.split(separator: "\n").first { $0.contains("›") }.map(String.init) ?? ""
    }

    func finish() async {
        await client.shutdown()
        try? FileManager.default.removeItem(at: home)
    }
}
