import Foundation

/// The XDG base folders (https://specifications.freedesktop.org/basedir-spec/), from an environment's text.
public enum XDG {
    public static func dataHome(_ environment: [String: String]) -> URL { base("XDG_DATA_HOME", ".local/share", environment) }
    public static func configHome(_ environment: [String: String]) -> URL { base("XDG_CONFIG_HOME", ".config", environment) }
    public static func stateHome(_ environment: [String: String]) -> URL { base("XDG_STATE_HOME", ".local/state", environment) }

    private static func base(_ variable: String, _ fallback: String, _ environment: [String: String]) -> URL {
        if let value = environment[variable], value.hasPrefix("/") { return URL(fileURLWithPath: value, isDirectory: true) }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appending(path: fallback, directoryHint: .isDirectory)
    }

    /// A name safe as one path component.
    public static func safeName(_ text: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        let cleaned = String(text.map { allowed.contains($0) ? $0 : "_" })
        return cleaned.isEmpty || cleaned.hasPrefix(".") ? "_" + cleaned : cleaned
    }
}
