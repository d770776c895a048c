import Foundation
import PortalTestSupport
import Synchronization
import Testing

@testable import PortalServer

/// What the gate let in, and whether the first ones may finish.
private final class Record: Sendable {
    let entered = Mutex<[Int]>([])
    let released = Mutex(false)
}

@Suite struct AdmissionTests {
    /// At most `limit` run; the rest wait, none is refused, and they are let in in the order they came.
    @Test func gate_runsAtMostItsLimit_andLetsTheRestInInOrder() async throws {
        let gate = AdmissionGate(limit: 2)
        let record = Record()
        func settled(_ expected: (Int, Int)) async throws {
            for _ in 0..<500 where await gate.load != expected { try await Task.sleep(for: .milliseconds(5)) }
        }
        // Started one at a time, so the order they came in is known.
        var tasks: [Task<Int, any Error>] = []
        for index in 0..<5 {
            tasks.append(Task {
                try await gate.run {
                    record.entered.withLock { $0.append(index) }
                    while index < 2, !record.released.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
                    return index
                }
            })
            try await settled((min(index + 1, 2), max(index - 1, 0)))
        }
        #expect(await gate.load == (2, 3))
        #expect(record.entered.withLock { $0 } == [0, 1])
        record.released.withLock { $0 = true }
        for task in tasks { _ = try await task.value }
        #expect(record.entered.withLock { $0 } == [0, 1, 2, 3, 4])
        #expect(await gate.load == (0, 0))
    }

    /// With room for one upload at a time, several at once are all received, none refused.
    @Test func uploads_beyondTheLimit_waitTheirTurn() async throws {
        try await withPortal(adjust: { $0.maxUploadsUnderWay = 1 }) { portal in
            let client = try await portal.signedInApplicant("aino").client
            let names = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<6 {
                    group.addTask { try await client.upload(Samples.pdf, name: "scan-\(index).pdf").created.body.json.fileName }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(names == Set((0..<6).map { "scan-\($0).pdf" }))
        }
    }
}
