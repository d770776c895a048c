import Foundation
import PorttiLocalization
import PorttiModel
import TerminalUI

/// Measurements of the screens' own work (update and view, as the terminal thread does them), for the
/// benchmark program: a key press on a long list, a filter keystroke.
public enum ScreenTimings {
    /// Applications numbered 0..<count, as a list screen would hold them.
    static func applications(_ count: Int) -> [Application] {
        let date = Date(timeIntervalSince1970: 1_790_000_000)
        return (0..<count).map { index in
            Application(
                id: "application_\(index)", type: ApplicationType.allCases[index % ApplicationType.allCases.count],
                referenceNumber: "MIG-2026-" + String(format: "%06d", index), status: ApplicationStatus.allCases[index % 5],
                submittedAt: date, updatedAt: date)
        }
    }

    /// Notifications numbered 0..<count, newest first, every third unread.
    static func notifications(_ count: Int) -> [PortalNotification] {
        let date = Date(timeIntervalSince1970: 1_790_000_000)
        return (0..<count).map { index in
            let createdAt: Date = date.addingTimeInterval(-3_600 * Double(index))
            let readAt: Date? = index % 3 == 0 ? nil : date
            return PortalNotification(
                id: "notification_\(index)", sequence: Int64(count - index), kind: PortalNotification.Kind.allCases[index % 3],
                applicationID: "application_\(index % 7)", applicationReference: "MIG-2026-\(100_000 + index % 7)",
                subjectID: "request_\(index)", createdAt: createdAt, readAt: readAt)
        }
    }

    /// The time of each key press (Down, then Up at the end) followed by drawing an 80x24 frame.
    public static func listKeyPresses(rows: Int, presses: Int) -> [Duration] {
        let context = ViewContext(language: .finnish)
        var screen = ApplicationsScreen(purpose: .browse)
        screen.show(.loaded(applications(rows), offlineSince: nil), context: context)
        return keyPresses(presses, on: &screen, context: context)
    }

    /// The same on the notifications screen.
    public static func notificationKeyPresses(rows: Int, presses: Int) -> [Duration] {
        let context = ViewContext(language: .finnish)
        var screen = NotificationsScreen()
        screen.show(.loaded(notifications(rows), offlineSince: nil))
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
    public static func filterKeystrokes(rows: Int, rounds: Int) -> [Duration] {
        let context = ViewContext(language: .finnish)
        var screen = ApplicationsScreen(purpose: .browse)
        screen.show(.loaded(applications(rows), offlineSince: nil), context: context)
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
