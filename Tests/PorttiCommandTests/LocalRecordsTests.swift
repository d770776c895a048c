import Foundation
import PortalTestSupport
import PorttiModel
import Testing

@Suite struct LocalRecordsTests {
    /// Both hold for root too, where a read-only folder would not stop a write: a file stands where the data
    /// folder should be, or a folder where the database file should be.
    @Test func recordsThatCannotBeOpened_areExplained_andNothingWrittenIsTouched() async throws {
        try await withSignedInApplicant { portal, applicant in
            let application = try await applicant.fileApplication()
            let text = "My answer, written with care."
            let message = try applicant.file("answer.txt", Array(text.utf8))

            // XDG_DATA_HOME is a file.
            let notAFolder = try applicant.file("data-is-a-file", Array("x".utf8))
            let fileInTheWay = ["XDG_DATA_HOME": notAFolder]
            let folder = notAFolder + "/portti/accounts/127.0.0.1-\(portal.port)/aino"
            let cases: [(arguments: [String], words: String)] = [
                (["send", application.id, "--message-file", message, "--lang", "fi"], "Tämän tietokoneen tallenteita"),
                (["applications", "--lang", "sv"], "Dina uppgifter på den här datorn"),
                (["outbox"], "Your records on this computer"),
            ]
            for (arguments, words) in cases {
                let failed = try await applicant.run(arguments, environment: fileInTheWay)
                #expect(failed.status == 1, "\(arguments): \(failed.err)")
                #expect(failed.err.contains(words), "\(arguments): \(failed.err)")
                #expect(failed.err.contains(folder), "\(arguments): \(failed.err)")
                #expect(!failed.err.contains("rror"), "no raw error text: \(failed.err)")
            }
            let signIn = try await applicant.run(["sign-in", "--username", "aino"], environment: fileInTheWay, input: TestPortal.password + "\n")
            #expect(signIn.status == 1)
            #expect(signIn.err.contains(folder), "\(signIn.err)")

            // The database file is a folder: SQLite cannot open it.
            let database = applicant.recordsFolder.appending(path: "applicant.sqlite")
            try FileManager.default.removeItem(at: applicant.recordsFolder)
            try FileManager.default.createDirectory(at: database, withIntermediateDirectories: true)
            let unopenable = try await applicant.run(["send", application.id, "--message-file", message])
            #expect(unopenable.status == 1)
            #expect(unopenable.err.contains("Your records on this computer"), "\(unopenable.err)")
            #expect(unopenable.err.contains(applicant.recordsFolder.path), "\(unopenable.err)")
            #expect(!unopenable.err.contains("SQLite") && !unopenable.err.contains("rror"), "\(unopenable.err)")

            #expect(try String(contentsOfFile: message, encoding: .utf8) == text, "the message file is untouched")
            #expect(try await portal.store.incomingMessages().isEmpty, "nothing was sent without its record")
        }
    }
}
