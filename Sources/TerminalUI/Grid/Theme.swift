/// A terminal colour: the eight ANSI colours, or the terminal's own default.
public enum TerminalColor: Int16, Sendable, Hashable {
    case terminalDefault = -1
    case black = 0, red, green, yellow, blue, magenta, cyan, white
}

/// A foreground on a background.
public struct ColorPair: Sendable, Hashable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public init(_ foreground: TerminalColor, on background: TerminalColor = .terminalDefault) {
        self.foreground = foreground
        self.background = background
    }
}

/// The small colour theme: a colour pair per role, or none at all. Colour only adds to what reverse,
/// bold and markers already say.
public struct Theme: Sendable, Hashable {
    public var colors: [ColorRole: ColorPair]

    public var usesColor: Bool { !colors.isEmpty }

    public static let standard = Theme(colors: [
        .title: ColorPair(.cyan),
        .accent: ColorPair(.yellow),
        .refused: ColorPair(.red),
        .error: ColorPair(.red),
        .muted: ColorPair(.blue),
    ])

    public static let monochrome = Theme(colors: [:])

    /// `NO_COLOR` set and non-empty means no colour (no-color.org); so does a terminal without colours.
    public static func forEnvironment(_ environment: [String: String], terminalHasColors: Bool) -> Theme {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .monochrome }
        return terminalHasColors ? .standard : .monochrome
    }
}
