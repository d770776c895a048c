import ArgumentParser
import Foundation
import PortalServer
import PortalStore
import PortalStorePostgres

extension Portti.Officer {
    /// Moves a SQLite portal (its records and its documents) into a new PostgreSQL database.
    struct MigrateTo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate-to",
            abstract: "Move the SQLite portal in the data folder, with its documents, into the empty PostgreSQL database --database names.",
            discussion: """
                Documents are copied first (kept by SHA-256, so a copy made twice is one), then every record in one \
                transaction: after a failure, run it again. A database that holds records is refused.
                """)

        @OptionGroup var context: OfficerContext

        func run() async throws {
            let strings = context.strings
            let database = try await PortalDatabase.resolve(option: context.data.database, strings: strings)
            guard case .postgres(_, let shown, _) = database else {
                throw ValidationError(strings("officer.migrate_needs_postgres"))
            }
            let configuration = PortalConfiguration(dataFolder: context.dataFolder)
            guard FileManager.default.fileExists(atPath: configuration.databasePath) else {
                throw ValidationError(strings("officer.migrate_no_source", ["path": context.dataFolder.path]))
            }
            guard PortalFolderLock.takeForMoving(context.dataFolder) else {
                note("\(strings("officer.migrate_portal_running", ["path": context.dataFolder.path]))")
                throw ExitCode(64)
            }
            let source = try SQLitePortalStore(path: configuration.databasePath)
            let vault = try DocumentVault(folder: configuration.documentsFolder)
            let opened = try await OpenedPortalStore.open(database, dataFolder: context.dataFolder, strings: strings)
            defer { opened.close() }
            guard let target = opened.store as? PostgresPortalStore else { throw ExitCode.failure }
            let notEmpty = { () -> ExitCode in
                note("\(strings("officer.migrate_target_not_empty", ["url": shown]))")
                return ExitCode(64)
            }
            guard try await target.holdsNoRecords() else { throw notEmpty() }

            let records = try await source.allRecords()
            let kept = Set(await vault.digests(writtenBefore: .distantFuture))
            for digest in records.documentDigests.subtracting(kept).sorted() {
                note("\(strings("officer.migrate_document_missing", ["sha256": digest, "path": vault.folder.path]))")
            }
            for digest in kept.sorted() {
                guard let content = try await vault.open(sha256: digest),
                      try await target.documents.receive(content.chunks, maxBytes: .max).sha256 == digest
                else {
                    throw fail(strings("officer.migrate_document_differs", ["sha256": digest, "path": vault.folder.path]))
                }
            }
            do {
                try await target.importRecords(records)
            } catch PortalStoreError.targetNotEmpty {
                throw notEmpty()
            }
            var counts = records.counts.mapValues(String.init)
            counts["documents"] = String(kept.count)
            counts["url"] = shown
            say("\(strings("officer.migrated", counts))")
        }
    }
}
