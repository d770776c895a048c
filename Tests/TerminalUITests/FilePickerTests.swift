import Foundation
import Glibc
import PortalTestSupport
import PorttiLocalization
import PorttiModel
import Testing
@testable import TerminalUI

/// A real temporary folder with every kind of entry the picker must survive; removed afterwards.
final class PickerFolder {
    let path: String
    static let modified: Int = 1_768_471_200  // 2026-01-15 10:00 UTC

    init() throws {
        var template = Array("/tmp/portti-picker-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: created)
        try write("hakemus.pdf", Array("%PDF-1.7\n%âãÏÓ\n".utf8))
        try write("skannaus.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        try write("passi.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 0x4A, 0x46])
        try write("teksti.pdf", Array("tämä on tekstiä, ei PDF\n".utf8))
        try write("tyhjä.pdf", [])
        try write(".piilo.pdf", Array("%PDF-1.4\n".utf8))
        try write("iso.pdf", Array("%PDF-1.7\n".utf8))
        truncate(path + "/iso.pdf", 5 * 1024 * 1024)  // sparse, over the 4 MB limit
        mkfifo(path + "/putki", 0o600)
        symlink("ei-ole", path + "/rikki")
        symlink("silmukka-b", path + "/silmukka-a")
        symlink("silmukka-a", path + "/silmukka-b")
        symlink("hakemus.pdf", path + "/linkki.pdf")
        mkdir(path + "/alikansio", 0o755)
        mkdir(path + "/lukittu", 0o755)
        for name in ["hakemus.pdf", "skannaus.png", "passi.jpg", "teksti.pdf", "tyhjä.pdf", ".piilo.pdf", "iso.pdf", "putki",
                     "rikki", "silmukka-a", "silmukka-b", "linkki.pdf", "alikansio", "lukittu"] {
            setModified(path + "/" + name, Self.modified + (name == "passi.jpg" ? 3_600 : 0))
        }
        chmod(path + "/lukittu", 0o000)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
    }

    func setModified(_ file: String, _ seconds: Int) {
        let time = timespec(tv_sec: seconds, tv_nsec: 0)
        _ = [time, time].withUnsafeBufferPointer { utimensat(AT_FDCWD, file, $0.baseAddress, AT_SYMLINK_NOFOLLOW) }
    }

    deinit {
        chmod(path + "/lukittu", 0o755)
        try? FileManager.default.removeItem(atPath: path)
    }
}

@Suite struct FilePickerTests {
    func picker(_ folder: PickerFolder, strings: StringTable = english) -> ProgramDriver<FilePicker> {
        ProgramDriver(FilePicker(strings: strings, folder: FileSystemPath(folder.path), home: FileSystemPath(folder.path + "/alikansio"), rule: attachments),
                      width: 80, height: 23)
    }

    func verdict(_ driver: ProgramDriver<FilePicker>, _ name: String) -> Verdict? {
        driver.program.entries.firstIndex { $0.displayName == name }.map { driver.program.verdicts[$0] }
    }

    @Test func picker_marksWhatThePortalWouldRefuse_beforeUpload() async throws {
        let folder = try PickerFolder()
        var driver = picker(folder)
        await driver.settle()
        #expect(driver.program.entries.count == 14)
        #expect(verdict(driver, "hakemus.pdf") == .accepted("pdf"))
        #expect(verdict(driver, "skannaus.png") == .accepted("png"))
        #expect(verdict(driver, "passi.jpg") == .accepted("jpeg"))
        #expect(verdict(driver, "linkki.pdf") == .accepted("pdf"))
        #expect(verdict(driver, "teksti.pdf") == .refused(.wrongType))  // the name says PDF, the content does not
        #expect(verdict(driver, "tyhjä.pdf") == .refused(.empty))
        let overLimit: Verdict = .refused(.tooLarge(size: 5_242_880, limit: 4_194_304))
        #expect(verdict(driver, "iso.pdf") == overLimit)
        #expect(verdict(driver, "putki") == .refused(.notRegular(.fifo)))
        #expect(verdict(driver, "rikki") == .refused(.notRegular(.danglingLink)))
        #expect(verdict(driver, "silmukka-a") == .refused(.notRegular(.linkLoop)))
        #expect(verdict(driver, "alikansio") == .notApplicable)
    }

    /// The FIFO, links and devices are refused from `lstat`/`stat` alone: no inspection is ever asked for
    /// them, so nothing opens the pipe (a blocking open of a FIFO without a writer would hang forever).
    @Test func specialFiles_areRefusedWithoutBeingOpened() throws {
        let folder = try PickerFolder()
        guard case .success(let entries) = FileInspector.list(FileSystemPath(folder.path)) else {
            Issue.record("listing failed")
            return
        }
                let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.displayName, $0) })
        #expect(byName["putki"]?.kind == .fifo)
        #expect(byName["putki"]?.initialVerdict(rule: attachments) == .refused(.notRegular(.fifo)))
        #expect(byName["rikki"]?.initialVerdict(rule: attachments) == .refused(.notRegular(.danglingLink)))
        #expect(byName["silmukka-b"]?.initialVerdict(rule: attachments) == .refused(.notRegular(.linkLoop)))
        #expect(byName["hakemus.pdf"]?.initialVerdict(rule: attachments) == .pending)
        // Asked directly, the inspector still refuses a FIFO without blocking, and a link swapped in for a file.
        let pipe = FileSystemPath(folder.path + "/putki")
        #expect(FileInspector.inspect(pipe, isSymbolicLink: false, rule: attachments) == .refused(.notRegular(.fifo)))
        let link = FileSystemPath(folder.path + "/linkki.pdf")
        #expect(FileInspector.inspect(link, isSymbolicLink: false, rule: attachments) == .refused(.notRegular(.linkLoop)))
    }

    /// A folder shows as soon as its names are read: sizes, times and verdicts that need them follow when the
    /// entries are described, and what was already inspected is kept.
    @Test func picker_showsNamesFirst_thenSizesAndTimes() throws {
        let folder = try PickerFolder()
        let path = FileSystemPath(folder.path)
        guard case .success(let entries) = FileInspector.list(path) else {
            Issue.record("listing failed")
            return
        }
        let regular = try #require(entries.first { $0.displayName == "iso.pdf" })
        #expect(regular.kind == .regular && regular.size == nil && regular.modified == nil)
        #expect(regular.initialVerdict(rule: attachments) == .pending)
        let link = try #require(entries.first { $0.displayName == "rikki" })
        #expect(link.kind == .danglingLink && link.isSymbolicLink)  // links are stat'ed while listing

        let names = FolderListing(folder: path, entries: entries)
        #expect(names.orders[.date] == nil && names.orders[.size] == nil)
        var picker = FilePicker(strings: english, folder: path, home: path, rule: attachments)
        _ = picker.start()
        _ = picker.update(.input(.resize(width: 80, height: 23)))
        _ = picker.update(.listed(generation: 1, names))
        var canvas = Canvas(width: 80, height: 23)
        picker.view(into: &canvas)
        let isoRow = try #require(canvas.lines.first { $0.contains("iso.pdf") })
        #expect(!isoRow.contains("2026-01-15"))
        #expect(!isoRow.contains("MB"))
        #expect(picker.sortOrder == .name)
        #expect(canvas.lines[0].contains("Sort: name ·"))
        _ = picker.update(.input(.key(.character("s"))))  // by date before dates are known: names still shown
        #expect(picker.list.visible.count == 13)
        canvas = Canvas(width: 80, height: 23)
        picker.view(into: &canvas)
        #expect(canvas.lines[0].contains("Sort: date… ·"), "the order waits for the dates, and says so")

        let described = names.described(FileInspector.describe(entries, in: path))
        let iso = try #require(described.entries.firstIndex { $0.displayName == "iso.pdf" })
        #expect(described.entries[iso].size == Int64(5 * 1024 * 1024))
        #expect(described.entries[iso].modified == Int64(PickerFolder.modified))
        _ = picker.update(.described(generation: 1, described))
        #expect(picker.verdicts[iso] == .refused(.tooLarge(size: 5 * 1024 * 1024, limit: attachments.maxBytes)))
        let dateOrder = picker.list.visible.map { picker.entries[$0].displayName }
        #expect(Array(dateOrder.prefix(3)) == ["alikansio", "lukittu", "passi.jpg"])
        canvas = Canvas(width: 80, height: 23)
        picker.view(into: &canvas)
        #expect(canvas.text.contains("2026-01-15 10:00"))
        #expect(canvas.lines[0].contains("Sort: date ·"))
        // A listing of another folder (an older generation) changes nothing.
        _ = picker.update(.described(generation: 0, FolderListing(folder: path, entries: [])))
        #expect(picker.entries.count == 14)
    }

    @Test func picker_snapshot_80x24_inFinnish() async throws {
        let folder = try PickerFolder()
        var driver = ProgramDriver(Shell(FilePicker(strings: finnish, folder: FileSystemPath(folder.path),
                                                    home: FileSystemPath(folder.path), rule: attachments), strings: finnish))
        await driver.settle()
        let canvas = driver.canvas
        #expect(fitsWidth(canvas))
        var lines = canvas.lines
        #expect(lines[1].hasPrefix("Kansio: /tmp/portti-picker-"))
        lines[1] = "Kansio: <temp>"
        #expect(lines.joined(separator: "\n") == """
            Valitse liitteet                      Järjestys: nimi · Piilotiedostot: piilossa
            Kansio: <temp>
                    Nimi                            Koko  Muokattu          Tyyppi
            ›       alikansio/                            2026-01-15 10:00  Kansio
                    lukittu/                              2026-01-15 10:00  Kansio
              [ ]   hakemus.pdf                     19 t  2026-01-15 10:00  PDF
              [ ] ! iso.pdf                       5,0 Mt  2026-01-15 10:00  ! Liian suuri
              [ ]   linkki.pdf →                    19 t  2026-01-15 10:00  PDF
              [ ]   passi.jpg                        8 t  2026-01-15 11:00  JPEG-kuva
              [ ] ! putki                                 2026-01-15 10:00  ! Nimetty putki
              [ ] ! rikki →                               2026-01-15 10:00  ! Rikkinäinen l…
              [ ] ! silmukka-a →                          2026-01-15 10:00  ! Linkkisilmukka
              [ ] ! silmukka-b →                          2026-01-15 10:00  ! Linkkisilmukka
              [ ]   skannaus.png                    12 t  2026-01-15 10:00  PNG-kuva
              [ ] ! teksti.pdf                      27 t  2026-01-15 10:00  ! Väärä tyyppi
              [ ] ! tyhjä.pdf                        0 t  2026-01-15 10:00  ! Tyhjä






            0 valittua · 13/14 näkyvissä
             ? lisää  ↑↓ Siirry  Enter Avaa / liitä  Välilyönti Valitse  Esc Peruuta
            """)
        #expect(canvas.cursor == Position(column: 0, row: 3))  // the hardware cursor on the focused row
        #expect(canvas[2, 6].style.role == .refused)
    }

    @Test func picker_hiddenSortFilterAndSeveralFiles() async throws {
        let folder = try PickerFolder()
        var driver = picker(folder)
        await driver.settle()
        #expect(!driver.screen.contains(".piilo.pdf"))
        driver.type(".")
        await driver.settle()
        #expect(driver.screen.contains(".piilo.pdf"))
        #expect(driver.program.showsHidden)
        driver.type(".")

        // Sort by date: the newest file (passi.jpg, an hour later) first after the folders.
        driver.type("s")
        #expect(driver.program.sortOrder == .date)
        let dateOrder = driver.program.list.visible.map { driver.program.entries[$0].displayName }
        #expect(Array(dateOrder.prefix(3)) == ["alikansio", "lukittu", "passi.jpg"])
        driver.type("s")
        let sizeOrder = driver.program.list.visible.map { driver.program.entries[$0].displayName }
        #expect(sizeOrder[2] == "iso.pdf")
        driver.type("s")
        #expect(driver.program.sortOrder == .name)

        // Filter as you type.
        driver.type("/png")
        #expect(driver.program.capturesText)
        #expect(driver.program.list.visible.map { driver.program.entries[$0].displayName } == ["skannaus.png"])
        driver.press(.escape)
        #expect(driver.program.list.visible.count == 13)

        // Pick two files; a refused one is not picked and says why.
        func focus(_ name: String) {
            driver.press(.home)
            for _ in 0..<driver.program.list.visible.count {
                if let index = driver.program.list.focusedItem, driver.program.entries[index].displayName == name { return }
                driver.press(.down)
            }
            Issue.record("\(name) not in the list")
        }
        focus("hakemus.pdf")
        driver.type(" ")
        focus("teksti.pdf")
        driver.type(" ")
        await driver.settle()
        // The refusal names the file and wraps whole rather than being cut at the edge.
        let lines = driver.canvas.lines
        let refusal = lines.firstIndex { $0.hasPrefix("teksti.pdf cannot be attached:") }
        #expect(refusal.map { Array(lines[$0...min($0 + 1, lines.count - 1)]) } == [
            "teksti.pdf cannot be attached: The attachment is not a PDF, JPEG or PNG file",
            "(checked from its content).",
        ], "\(driver.screen)")
        focus("skannaus.png")
        driver.type(" ")
        #expect(driver.program.picked.map(\.displayName) == ["hakemus.pdf", "skannaus.png"])
        driver.press(.enter)
        await driver.settle()
        #expect(driver.didQuit)
        guard case .picked(let files) = driver.program.outcome else {
            Issue.record("nothing picked")
            return
        }
        #expect(files.map(\.kind) == ["pdf", "png"])
        #expect(files.allSatisfy { String(decoding: $0.path.bytes, as: UTF8.self).hasPrefix(folder.path) })
    }

    @Test func picker_navigatesFoldersHomeAndReportsUnreadableOnes() async throws {
        let folder = try PickerFolder()
        var driver = picker(folder, strings: swedish)
        await driver.settle()
        driver.type("~")
        await driver.settle()
        #expect(driver.program.folder == FileSystemPath(folder.path + "/alikansio"))
        #expect(driver.screen.contains(swedish("picker.empty")))
        driver.press(.backspace)
        await driver.settle()
        #expect(driver.program.folder == FileSystemPath(folder.path))
        driver.press(.down)  // "lukittu"
        driver.press(.enter)
        await driver.settle()
        #expect(driver.program.folder == FileSystemPath(folder.path + "/lukittu"))
        if geteuid() != 0 {  // root reads any folder
            #expect(driver.program.folderError == .permissionDenied)
            #expect(driver.screen.contains(swedish("picker.folder_error.permission")))
        }
        var missing = ProgramDriver(FilePicker(strings: swedish, folder: FileSystemPath(folder.path + "/ei-ole"), home: FileSystemPath("/"), rule: attachments))
        await missing.settle()
        #expect(missing.program.folderError == .notFound)
        #expect(missing.screen.contains("Mappen \(folder.path)/ei-ole kan inte öppnas: den finns inte."))
    }

    /// Reading a folder stops when the applicant has left it: the listing and the `stat` pass ask as they go.
    @Test func listingAndDescribing_stopWhenNoLongerWanted() throws {
        var template = Array("/tmp/portti-left-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        let path = String(cString: created)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for number in 0..<2_500 { close(open("\(path)/f-\(number).pdf", O_CREAT | O_WRONLY, 0o600)) }
        var asked = 0
        guard case .success(let partial) = FileInspector.list(FileSystemPath(path), isWanted: { asked += 1; return asked < 2 }) else {
            Issue.record("listing failed")
            return
        }
        #expect(partial.count == 1_000)
        let all = try FileInspector.list(FileSystemPath(path)).get()
        #expect(all.count == 2_500)
        asked = 0
        let described = FileInspector.describe(all, in: FileSystemPath(path), isWanted: { asked += 1; return asked < 2 })
        #expect(described.filter { $0.modified != nil }.count == 1_000)
    }

    /// 100,000 entries: listed in the background, then only the rows on screen are inspected.
    @Test func picker_hundredThousandEntries() async throws {
        var template = Array("/tmp/portti-huge-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        let path = String(cString: created)
        // 100,000 files take seconds to make and to remove on a loaded machine: on threads of their own, not the
        // cooperative pool's two, which the rest of a parallel run (its in-process portals) needs meanwhile.
        defer { Thread.detachNewThread { try? FileManager.default.removeItem(atPath: path) } }
        try await offThePool {
            var byte: UInt8 = 0x78
            for number in 0..<100_000 {
                let descriptor = open("\(path)/tiedosto-\(number).pdf", O_CREAT | O_WRONLY, 0o600)
                _ = write(descriptor, &byte, 1)
                close(descriptor)
            }
        }
        let clock = ContinuousClock()
        var driver = ProgramDriver(FilePicker(strings: english, folder: FileSystemPath(path), home: FileSystemPath(path), rule: attachments), height: 23)
        let elapsed = await clock.measure { await driver.settle() }
        print("100,000 entries listed, sorted and first page inspected in \(elapsed)")
        #expect(driver.program.entries.count == 100_000)
        #expect(driver.program.list.visible.count == 100_000)
        let inspected = driver.program.verdicts.filter { $0 != .pending }.count
        #expect(inspected == driver.program.list.viewportHeight)
        #expect(driver.program.verdicts[driver.program.list.visible[0]] == .refused(.wrongType))
        driver.press(.end)
        await driver.settle()
        #expect(driver.program.verdicts.filter { $0 != .pending }.count == 2 * driver.program.list.viewportHeight)
        driver.type("/99999")
        #expect(driver.program.list.visible.count == 1)
        #expect(elapsed < .seconds(120))
    }
}
