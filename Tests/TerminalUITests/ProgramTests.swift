import PorttiLocalization
import Testing
@testable import TerminalUI

/// A small screen for testing the architecture: a counter whose increments come back from an effect.
struct CounterScreen: Program {
    enum Message: InputMessage {
        case input(InputEvent)
        case incremented(by: Int)
    }

    var count = 0
    var size = (width: 0, height: 0)
    var field = TextField()
    var editing = false

    mutating func update(_ message: Message) -> [Effect<Message>] {
        switch message {
        case .input(.key(.character("+"))) where !editing:
            return [.run { .incremented(by: 1) }]
        case .input(.key(.character("q"))) where !editing:
            return [.quit]
        case .input(.key(.character("e"))) where !editing:
            editing = true
        case .input(.key(let key)) where editing:
            if field.handle(key) == .submitted { editing = false }
        case .input(.resize(let width, let height)):
            size = (width, height)
        case .input(.paste(let text)):
            count += text.count
        case .incremented(let amount):
            count += amount
        case .input:
            break
        }
        return []
    }

    var capturesText: Bool { editing }
    var keyHints: [KeyHint] { [KeyHint("+", "Lisää"), KeyHint("q", "Lopeta")] }

    func view(into canvas: inout Canvas) {
        canvas.put("Laskuri: \(count)", column: 0, row: 0)
        field.draw(into: &canvas, area: Rect(column: 0, row: 1, width: 20, height: 1), focused: editing)
    }
}

@Suite struct ProgramTests {
    @Test func effects_comeBackAsMessages_andComposeThroughTheShell() async {
        var driver = ProgramDriver(Shell(CounterScreen(), strings: finnish))
        driver.type("++")
        #expect(driver.program.screen.count == 0)  // nothing happens until the runtime performs the effects
        #expect(driver.pendingEffects == 2)
        await driver.settle()
        #expect(driver.program.screen.count == 2)
        #expect(driver.program.screen.size.height == 23)  // the status bar takes the last row
        #expect(driver.canvas.lines[0] == "Laskuri: 2")
        #expect(driver.canvas.lines[23] == " ? Ohje  + Lisää  q Lopeta")
        driver.type("q")
        await driver.settle()
        #expect(driver.didQuit)
    }

    @Test func help_opensOnQuestionMark_butNotWhileTyping() async {
        var driver = ProgramDriver(Shell(CounterScreen(), strings: swedish))
        driver.type("?")
        #expect(driver.program.showingHelp)
        #expect(driver.screen.contains("┌─ Tangenter"))
        #expect(driver.screen.contains("Esc, F1 eller ? stänger hjälpen."))
        driver.type("+")  // keys go to the help while it is open
        await driver.settle()
        #expect(driver.program.screen.count == 0)
        driver.press(.escape)
        #expect(!driver.program.showingHelp)
        driver.type("e?å")
        #expect(!driver.program.showingHelp)
        #expect(driver.program.screen.field.text == "?å")
        #expect(driver.canvas.cursor == Position(column: 2, row: 1))
        // While text is typed, `?` is text and F1 is help: the hint names F1 there.
        #expect(driver.canvas.lines[23].hasPrefix(" F1 Hjälp"))
        driver.press(.function(1))
        #expect(driver.program.showingHelp)
        driver.press(.function(1))
        #expect(!driver.program.showingHelp)
        #expect(driver.program.screen.field.text == "?å")
    }

    @Test func resize_keepsState_andSmallTerminalShowsTranslatedNotice() async {
        var driver = ProgramDriver(Shell(CounterScreen(), strings: finnish))
        driver.type("+")
        await driver.settle()
        driver.send(.resize(width: 60, height: 20))
        #expect(driver.screen.contains("Pääte on liian pieni."))
        #expect(driver.screen.contains("(nyt 60 × 20)"))
        #expect(!driver.screen.contains("Laskuri"))
        #expect(fitsWidth(driver.canvas))
        driver.send(.resize(width: 100, height: 30))
        #expect(driver.canvas.lines[0] == "Laskuri: 1")
        #expect(driver.program.screen.size.width == 100)
    }

    @Test func keysUnderTheTooSmallNotice_reachNothing() async {
        var driver = ProgramDriver(Shell(CounterScreen(), strings: finnish))
        driver.send(.resize(width: 60, height: 20))
        driver.type("e+x")
        driver.send(.paste("pasted"))
        driver.type("?")
        await driver.settle()
        #expect(!driver.program.showingHelp)
        driver.send(.resize(width: 80, height: 24))
        #expect(driver.program.screen.count == 0)
        #expect(!driver.program.screen.editing)
        #expect(driver.canvas.lines[0] == "Laskuri: 0")
        driver.type("+")
        await driver.settle()
        #expect(driver.canvas.lines[0] == "Laskuri: 1", "keys reach the screen again once it is drawn")
    }

    @Test func whileHelpIsOpen_aPasteReachesNothing() async {
        var driver = ProgramDriver(Shell(CounterScreen(), strings: finnish))
        driver.type("?")
        #expect(driver.program.showingHelp)
        driver.send(.paste("12345"))
        driver.press(.escape)
        #expect(driver.program.screen.count == 0)
        driver.send(.paste("12345"))
        #expect(driver.program.screen.count == 5, "a paste counts its letters once help is closed")
    }

    @Test func mappedStreamEffect_postsEveryMessage() async {
        let effect: Effect<Int> = .stream { post in
            for value in 1...3 { post(value) }
        }
        let mapped = effect.map { "\($0)" }
        #expect(await mapped.perform() == ["1", "2", "3"])
        #expect(Effect<Int>.quit.map { "\($0)" }.isQuit)
        #expect(Effect<Int>.send(7).map { "\($0)" }.message == "7")
    }

    @Test func theme_noColorAndMonochromeTerminals() {
        #expect(!Theme.forEnvironment(["NO_COLOR": "1"], terminalHasColors: true).usesColor)
        #expect(Theme.forEnvironment(["NO_COLOR": ""], terminalHasColors: true).usesColor)  // empty means unset
        #expect(!Theme.forEnvironment([:], terminalHasColors: false).usesColor)
        #expect(Theme.forEnvironment([:], terminalHasColors: true) == .standard)
        // Focus is shown by reverse video, which needs no colour.
        #expect(Style.focused.reverse && Theme.standard.colors[.selection] == nil)
    }
}

@Suite struct StringTableTests {
    /// Every word the toolkit added exists in all three languages with the same placeholders.
    @Test func toolkitStrings_existInAllLanguages_withSamePlaceholders() {
        let tables = StringTables.shared
        let keys = tables.table(.english).keys.filter { $0.hasPrefix("tui.") || $0.hasPrefix("picker.") }
        #expect(keys.count > 60)
        for key in keys {
            // A counted phrase has a form per category of each language; the localization tests check those.
            guard !key.contains("#") else { continue }
            let placeholders = StringTables.placeholders(in: tables.table(.english)[key] ?? "")
            for language in [Language.finnish, .swedish] {
                let text = tables.table(language)[key]
                #expect(text != nil, "\(language) lacks \(key)")
                #expect(StringTables.placeholders(in: text ?? "") == placeholders, "\(language) \(key)")
            }
        }
    }
}
