import Foundation
import PortalClient
import PorttiLocalization
import PorttiModel
import TerminalUI

/// Measurements of the screens' own work (update and view, as the terminal thread does them), for the
/// benchmark program: a key press on a long list, a filter keystroke. The rows come from the benchmark.
public enum ScreenTimings {
    /// A client that is never asked anything (the keys measured load nothing), kept for the process's life.
    private static let idleClient = try? PortalClient(portalURL: URL(fileURLWithPath: "/"))

    private static func environment() -> AppEnvironment? {
        guard let client = idleClient else { return nil }
        let date = Date(timeIntervalSince1970: 1_790_000_000)
        let services = AppServices(client: client, portalURL: URL(fileURLWithPath: "/"), environment: [:], portalNote: nil,
                                   pickerFolder: "/", utcOffset: 0, clock: .fixed(date), runEditor: { _ in .finished })
        return AppEnvironment(services: services, account: nil, screen: Rect(column: 0, row: 0, width: 80, height: 22),
                              context: ViewContext(language: .finnish, now: date), lastPickFolder: nil)
    }

    /// The time of each key press (Down, then Up at the end) followed by drawing an 80x24 frame.
    public static func listKeyPresses(_ applications: [Application], presses: Int) -> [Duration] {
        guard let environment = environment() else { return [] }
        var screen = ApplicationsScreen(purpose: .browse)
        screen.show(.loaded(applications, offlineSince: nil), context: environment.context)
        return keyPresses(presses, on: &screen, environment)
    }

    /// The same on the notifications screen.
    public static func notificationKeyPresses(_ notifications: [PortalNotification], presses: Int) -> [Duration] {
        guard let environment = environment() else { return [] }
        var screen = NotificationsScreen()
        screen.show(.loaded(notifications, offlineSince: nil))
        return keyPresses(presses, on: &screen, environment)
    }

    private static func keyPresses(_ presses: Int, on screen: inout some AppScreen, _ environment: AppEnvironment) -> [Duration] {
        var times: [Duration] = []
        let clock = ContinuousClock()
        for index in 0..<presses {
            let key: Key = index % 200 < 100 ? .down : .up
            times.append(clock.measure { frame(after: key, on: &screen, environment) })
        }
        return times
    }

    private static func frame(after key: Key, on screen: inout some AppScreen, _ environment: AppEnvironment) {
        _ = screen.update(.input(.key(key)), environment)
        var canvas = Canvas(width: environment.screen.width, height: environment.screen.height)
        screen.view(into: &canvas, context: environment.context)
    }

    /// The time of each filter keystroke (typing then erasing a reference) followed by drawing a frame.
    public static func filterKeystrokes(_ applications: [Application], rounds: Int) -> [Duration] {
        guard let environment = environment() else { return [] }
        var screen = ApplicationsScreen(purpose: .browse)
        screen.show(.loaded(applications, offlineSince: nil), context: environment.context)
        _ = screen.update(.input(.key(.character("/"))), environment)
        var times: [Duration] = []
        let clock = ContinuousClock()
        for _ in 0..<rounds {
            for key in Array("mig-2026-0012").map(Key.character) + Array(repeating: Key.backspace, count: 13) {
                times.append(clock.measure { frame(after: key, on: &screen, environment) })
            }
        }
        return times
    }
}
