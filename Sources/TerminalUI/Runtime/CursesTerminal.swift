import CNcursesw
import Glibc

/// The curses backend, and the only file that talks to ncurses: it starts and restores the terminal,
/// reads input without blocking, and flushes the cells of a `Canvas` that changed since the last frame.
/// Only the terminal thread may use it (ncurses is not thread-safe).
final class CursesTerminal {
    enum Read {
        case raw(RawInput)
        case resize(width: Int, height: Int)
        case mouse(MouseEvent)
    }

    private var previous: Canvas?
    private var pairs: [ColorRole: Int16] = [:]
    private var started = false
    /// The locale reads and writes UTF-8; otherwise cells are drawn in ASCII and the line-drawing set.
    private let unicode: Bool

    /// Sets the locale from the environment (C.UTF-8 when a named one is not installed); ncurses reads and
    /// draws characters by it. Answers whether it is UTF-8. Must run before `initscr`.
    static func prepareLocale() -> Bool { portti_setup_utf8_locale() != 0 }

    /// Takes the terminal: raw keys, no echo, keypad codes, mouse, bracketed paste, signal handlers that
    /// restore it. `wakeDescriptor` is written to by SIGINT/SIGTERM so the terminal thread notices them.
    init(environment: [String: String], wakeDescriptor: Int32) {
        unicode = Self.prepareLocale()
        portti_save_termios()
        initscr()
        started = true
        // A short ESC delay: Esc must feel immediate, and escape sequences arrive in one read anyway. Set through
        // ncurses, not setenv: changing the environment races any thread starting a process (Foundation's
        // Process copies it), which crashed the parallel test run. A user's own ESCDELAY is kept.
        if environment["ESCDELAY"] == nil { set_escdelay(25) }
        portti_install_signal_handlers(wakeDescriptor)
        cbreak()
        // Ctrl-S and Ctrl-Q are keys here, not flow control that would freeze the screen; Ctrl-Z is undo, as
        // the editors people know have it, not a suspend that leaves a half-written message stopped in the
        // background. Ctrl-C still interrupts. def_prog_mode keeps these after the terminal was lent out.
        var attributes = termios()
        if tcgetattr(STDIN_FILENO, &attributes) == 0 {
            attributes.c_iflag &= ~tcflag_t(IXON)
            withUnsafeMutableBytes(of: &attributes.c_cc) { $0[Int(VSUSP)] = 0 }  // _POSIX_VDISABLE on Linux
            tcsetattr(STDIN_FILENO, TCSANOW, &attributes)
            def_prog_mode()
        }
        noecho()
        nonl()
        let screen = portti_stdscr()
        keypad(screen, true)
        nodelay(screen, true)
        intrflush(screen, false)
        let theme = Theme.forEnvironment(environment, terminalHasColors: has_colors())
        if theme.usesColor {
            start_color()
            use_default_colors()
            for (index, role) in ColorRole.allCases.enumerated() {
                guard let pair = theme.colors[role] else { continue }
                let number = Int16(index + 1)
                init_pair(number, pair.foreground.rawValue, pair.background.rawValue)
                pairs[role] = number
            }
        }
        mousemask(portti_mouse_events(), nil)
        mouseinterval(0)
        portti_write_modes(1)
    }

    var size: (width: Int, height: Int) { (Int(portti_columns()), Int(portti_lines())) }

    /// The SIGINT/SIGTERM/SIGHUP that arrived, if any.
    func takePendingSignal() -> Int32 { portti_take_pending_signal() }

    /// Everything that can be read now, without waiting.
    func readAvailable() -> [Read] {
        var reads: [Read] = []
        var character: wint_t = 0
        while true {
            let status = get_wch(&character)
            if status == portti_err() { break }
            if status == portti_key_code_yes() {
                let code = Int32(character)
                switch code {
                case CursesKeyCode.resize:
                    previous = nil  // the screen was cleared: draw every cell again
                    reads.append(.resize(width: size.width, height: size.height))
                case CursesKeyCode.mouse:
                    if let event = readMouse() { reads.append(.mouse(event)) }
                default:
                    let name = keyname(code).map { String(cString: $0) }
                    reads.append(.raw(.keyCode(code, name: name)))
                }
            } else {
                reads.append(.raw(.character(UInt32(character))))
            }
        }
        return reads
    }

    private func readMouse() -> MouseEvent? {
        var event = MEVENT()
        guard getmouse(&event) != portti_err() else { return nil }
        let position = Position(column: Int(event.x), row: Int(event.y))
        let state = event.bstate
        if portti_mouse_is_wheel_up(state) != 0 { return MouseEvent(.wheelUp, at: position) }
        if portti_mouse_is_wheel_down(state) != 0 { return MouseEvent(.wheelDown, at: position) }
        if portti_mouse_is_left_press(state) != 0 { return MouseEvent(.press(button: 1), at: position) }
        if portti_mouse_is_right_press(state) != 0 { return MouseEvent(.press(button: 3), at: position) }
        if portti_mouse_is_left_release(state) != 0 { return MouseEvent(.release, at: position) }
        return nil
    }

    /// Draws the cells that differ from the last frame, then places the cursor on the focused item.
    func flush(_ canvas: Canvas) {
        let screen = portti_stdscr()
        if !(previous.map { $0.width == canvas.width && $0.height == canvas.height } ?? false) { werase(screen) }
        for position in canvas.changedCells(since: previous) {
            draw(canvas[position.column, position.row], column: position.column, row: position.row, on: screen)
        }
        if let cursor = canvas.cursor, cursor.row < canvas.height, cursor.column < canvas.width {
            curs_set(1)
            wmove(screen, Int32(cursor.row), Int32(cursor.column))
        } else {
            curs_set(0)
        }
        wnoutrefresh(screen)
        doupdate()
        previous = canvas
    }

    /// Forgets the last frame, so the next flush draws everything (after a resize or a redraw key).
    func invalidate() {
        previous = nil
        clearok(portti_stdscr(), true)
    }

    private func draw(_ cell: Cell, column: Int, row: Int, on screen: UnsafeMutablePointer<WINDOW>?) {
        var attributes = portti_attr_normal()
        if cell.style.bold { attributes |= portti_attr_bold() }
        if cell.style.reverse { attributes |= portti_attr_reverse() }
        if cell.style.underline { attributes |= portti_attr_underline() }
        let pair = pairs[cell.style.role] ?? 0
        if !unicode, !cell.text.unicodeScalars.allSatisfy(\.isASCII) {
            drawFallback(cell, attributes: attributes, pair: pair, column: column, row: row, on: screen)
            return
        }
        // ncurses takes one spacing character with its combining marks per cell. A grapheme of several
        // spacing scalars (an emoji with a skin tone, a ZWJ family) is drawn as its first, in the columns
        // DisplayWidth gives the whole: drawn scalar by scalar it would take more columns on some terminals
        // than on others, and leave stale glyphs and a misplaced cursor behind.
        // A flag is two regional indicators, one column each, which terminals join: both are drawn.
        let scalars = Array(cell.text.unicodeScalars)
        let flag = scalars.count == 2 && scalars.allSatisfy { (0x1F1E6...0x1F1FF).contains($0.value) }
        var groups: [[Unicode.Scalar]] = []
        for scalar in scalars {
            if groups.isEmpty || flag {
                groups.append([scalar])
            } else if DisplayWidth.of(scalar) == 0 && !DisplayWidth.isEmojiJoiner(scalar) {
                if groups[0].count < 4 { groups[0].append(scalar) }
            } else {
                break
            }
        }
        var x = column
        for group in groups {
            var cchar = cchar_t()
            let characters = group.map { wchar_t(bitPattern: $0.value) } + [0]
            _ = characters.withUnsafeBufferPointer { setcchar(&cchar, $0.baseAddress, attributes, pair, nil) }
            mvwadd_wch(screen, Int32(row), Int32(x), &cchar)
            x += max(group.reduce(0) { $0 + DisplayWidth.of($1) }, 1)
        }
        // What was drawn may be narrower than the cell's columns (❤ of ❤️): the rest is blank, not stale.
        var blank = cchar_t()
        let space: [wchar_t] = [0x20, 0]
        _ = space.withUnsafeBufferPointer { setcchar(&blank, $0.baseAddress, attributes, pair, nil) }
        while x < column + max(cell.width, 1) {
            mvwadd_wch(screen, Int32(row), Int32(x), &blank)
            x += 1
        }
    }

    /// A cell on a terminal that is not UTF-8: ASCII, or the terminal's own line drawing, in as many cells as
    /// the grapheme takes (a wide one gets its look-alike and a blank).
    private func drawFallback(_ cell: Cell, attributes: attr_t, pair: Int16, column: Int, row: Int, on screen: UnsafeMutablePointer<WINDOW>?) {
        let style = chtype(attributes | portti_color_pair(Int32(pair)))
        switch AsciiFallback.of(cell.text) {
        case .line(let letter):
            mvwaddch(screen, Int32(row), Int32(column), portti_acs(CChar(letter.asciiValue ?? 0x71)) | style)
        case .text(let text):
            let shown = (text + String(repeating: " ", count: max(cell.width, 1))).utf8.prefix(max(cell.width, 1))
            for (offset, byte) in shown.enumerated() {
                mvwaddch(screen, Int32(row), Int32(column + offset), chtype(byte) | style)
            }
        }
    }

    /// Lends the terminal to another program: our modes off and curses out of the way, as the shell had it.
    func suspend() {
        // Ctrl-C in the lent-out program is its own business, not a reason for Portti to quit.
        signal(SIGINT, SIG_IGN)
        portti_write_modes(0)
        mousemask(0, nil)
        curs_set(1)
        endwin()
    }

    /// Takes the terminal back after `suspend` and makes the next flush draw everything.
    func resume() {
        portti_take_back_interrupt()
        refresh()
        mousemask(portti_mouse_events(), nil)
        portti_write_modes(1)
        invalidate()
    }

    /// Gives the terminal back as it was: modes off, cursor shown, screen restored.
    func restore() {
        guard started else { return }
        started = false
        portti_write_modes(0)
        mousemask(0, nil)
        curs_set(1)
        endwin()
        portti_restore_signal_handlers()
    }

    deinit { restore() }
}
