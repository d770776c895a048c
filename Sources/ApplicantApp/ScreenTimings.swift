import Foundation
import PorttiLocalization
import PorttiModel
import TerminalUI

/// Measurements of the screens' own work (update and view, as the terminal thread does them), for the
/// benchmark program: a key press on a long list, a filter keystroke. The rows come from the benchmark.
public enum ScreenTimings {
    /// The time of each key press (Down, then Up at the end) followed by drawing an 80x24 frame.
    public static func listKeyPresses(_ applications: [Application], presses: Int) -> [Duration] {
        let context = ViewContext(language: .finnish)
        var screen = ApplicationsScreen(purpose: .browse)
        screen.show(.loaded(applications, offlineSince: nil), context: context)
        return keyPresses(presses, on: &screen, context: context)
    }

    /// The same on the notifications screen.
    public static func notificationKeyPresses(_ notifications: [PortalNotification], presses: Int) -> [Duration] {
        let context = ViewContext(language: .finnish)
        var screen = NotificationsScreen()
        screen.show(.loaded(notifications, offlineSince: nil))
        return keyPresses(presses, on: &screen, context: context)
    }

    private static func keyPresses(_ presses: Int, on screen: inout some AppScreen, context: ViewContext) -> [Duration] {
        _ = screen.handle(.resize(width: 80, height: 22))
        var times: [Duration] = []
        let clock = ContinuousClock()
        for index in 0..<presses {
            let key: Key = index % 200 < 100 ? .down : .up
            times.append(clock.measure {
                _ = screen.handle(.key(key))
                var canvas = Canvas(width: 80, height: 24)
                screen.view(into: &canvas, context: context)
            })
        }
        return times
    }

    /// The time of each filter keystroke (typing then erasing a reference) followed by drawing a frame.
    public static func filterKeystrokes(_ applications: [Application], rounds: Int) -> [Duration] {
        let context = ViewContext(language: .finnish)
        var screen = ApplicationsScreen(purpose: .browse)
        screen.show(.loaded(applications, offlineSince: nil), context: context)
        _ = screen.handle(.resize(width: 80, height: 22))
        _ = screen.handle(.key(.character("/")))
        var times: [Duration] = []
        let clock = ContinuousClock()
        for _ in 0..<rounds {
            for key in Array("mig-2026-0012").map(Key.character) + Array(repeating: Key.backspace, count: 13) {
                times.append(clock.measure {
                    _ = screen.handle(.key(key))
                    var canvas = Canvas(width: 80, height: 24)
                    screen.view(into: &canvas, context: context)
                })
            }
        }
        return times
    }
}
