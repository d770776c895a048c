import ArgumentParser
import Foundation
import PortalServer
import PortalStore

extension Portti {
    /// Creates the demo data set.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "demo",
            abstract: "Create the demo applicant, with applications in every state, in the portal's data folder.")

        @OptionGroup var context: OfficerContext

        func run() async throws {
            let strings = context.strings
            let opened = try await context.open(creating: true)
            let created = try await DemoData.seed(store: opened.store, documents: opened.documents)
            let path = context.dataFolder.path
            say(created
                ? "\(strings("demo.created", ["path": path, "username": DemoData.username, "password": DemoData.password]))"
                : "\(strings("demo.exists", ["path": path]))")
        }
    }
}
