import Foundation
import PortalAPI
import PortalStore
import PortalTestSupport
import Synchronization
import Testing

@testable import PortalServer

/// What the gate let in, and whether the first ones may finish.
private final class Record: Sendable {
    let entered = Mutex<[Int]>([])
    let released = Mutex(false)
}

/// Who the gate let in, by name, and whom the test lets finish.
private final class Turns: Sendable {
    let entered = Mutex<[String]>([])
    let released = Mutex<Set<String>>([])
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

    /// One key (one applicant) holds at most its share of the places; the freed place goes to the first in
    /// line whose key has room.
    @Test func gate_givesOneKeyAtMostItsShare() async throws {
        let gate = AdmissionGate(limit: 3, perKeyLimit: 2)
        let turns = Turns()
        /// Waits until the gate shows `expected`, and those let in have begun (the load changes a moment before).
        func settled(_ expected: (Int, Int), entered names: [String]? = nil) async throws {
            for _ in 0..<500 {
                if await gate.load == expected, names.map({ $0 == turns.entered.withLock { $0 } }) ?? true { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(await gate.load == expected)
        }
        var tasks: [Task<Void, any Error>] = []
        for (name, load, names) in [
            ("a0", (1, 0), ["a0"]), ("a1", (2, 0), ["a0", "a1"]), ("a2", (2, 1), ["a0", "a1"]),
            ("b0", (3, 1), ["a0", "a1", "b0"]), ("c0", (3, 2), ["a0", "a1", "b0"]),
        ] {
            tasks.append(Task {
                try await gate.run(for: String(name.prefix(1))) {
                    turns.entered.withLock { $0.append(name) }
                    while !turns.released.withLock({ $0.contains(name) }) { try await Task.sleep(for: .milliseconds(5)) }
                }
            })
            try await settled(load, entered: names)
        }
        #expect(turns.entered.withLock { $0 } == ["a0", "a1", "b0"], "a2 waits for a's share, not for a place")
        turns.released.withLock { _ = $0.insert("a0") }
        try await settled((3, 1), entered: ["a0", "a1", "b0", "a2"])
        #expect(turns.entered.withLock { $0 } == ["a0", "a1", "b0", "a2"], "the first in line with room")
        turns.released.withLock { _ = $0.insert("b0") }
        try await settled((3, 0), entered: ["a0", "a1", "b0", "a2", "c0"])
        #expect(turns.entered.withLock { $0 }.last == "c0")
        turns.released.withLock { $0.formUnion(["a1", "a2", "c0"]) }
        for task in tasks { try await task.value }
        #expect(await gate.load == (0, 0))
    }

    /// An upload that stops half-way, or trickles, is refused once it falls behind (no byte for the grace
    /// period; under the rate on average), keeps nothing, and frees its place: the next upload, waiting for
    /// the only place, goes through.
    @Test(arguments: [StalledUpload.stopsHalfWay, .trickles])
    func aStalledUpload_isRefused_andFreesItsPlace(_ upload: StalledUpload) async throws {
        try await withPortal(adjust: {
            $0.maxUploadsUnderWay = 1
            $0.minimumUploadBytesPerSecond = upload == .stopsHalfWay ? 1 : 1000
            $0.uploadGrace = .seconds(1)
            // Far beyond the rule's seconds, so that only the rule can end the upload, however busy the machine.
            $0.requestBodyTimeout = .seconds(60)
        }) { portal in
            let signedIn = try await portal.signedInApplicant("aino")
            // A PDF that says it is 100 kB long.
            let socket = try LoopbackSocket(port: portal.port)
            let head = "POST \(portalAPIBasePath)/attachments?filename=slow.pdf HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer \(signedIn.token)\r\nIdempotency-Key: slow-1\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n"
            let started = ContinuousClock.now
            switch upload {
            case .stopsHalfWay:
                // Half at once, far above the (here tiny) rate; then nothing.
                try socket.write(Array(head.utf8) + Samples.pdf + Array(repeating: 0x20, count: 50_000 - Samples.pdf.count))
            case .trickles:
                // A few bytes every tenth of a second: never silent for long, far below the rate.
                try socket.write(Array(head.utf8) + Samples.pdf.prefix(20))
                for _ in 0..<40 where !socket.hasAnswer {
                    try await Task.sleep(for: .milliseconds(100))
                    guard (try? socket.write(Array(repeating: 0x20, count: 5))) != nil else { break }
                }
            }
            let answer = try await socket.readAll(timeout: .seconds(45))
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
            #expect(answer.contains("upload_too_slow"))
            // 10.1 s was seen on a machine loaded far beyond its two cores; the body's own timeout is 60 s.
            #expect(started.duration(to: .now) < .seconds(30))
            let next = try await signedIn.client.upload(Samples.pdf, name: "next.pdf").created.body.json
            #expect(next.fileName == "next.pdf")
            let incoming = try FileManager.default.contentsOfDirectory(
                atPath: portal.configuration.documentsFolder.appending(path: "incoming").path)
            #expect(incoming.isEmpty)
            #expect(try await DocumentVault(folder: portal.configuration.documentsFolder).digests(writtenBefore: .distantFuture).count == 1)
        }
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

enum StalledUpload: CustomStringConvertible, Sendable {
    case stopsHalfWay, trickles
    var description: String { self == .stopsHalfWay ? "stops half-way" : "trickles" }
}

/// A plain TCP connection to the portal, for a client that misbehaves on purpose.
private struct LoopbackSocket {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func write(_ bytes: [UInt8]) throws {
        guard bytes.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == bytes.count else { throw POSIXError(.EIO) }
    }

    /// Whether the portal has begun to answer.
    var hasAnswer: Bool {
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }

    /// Everything the portal answers until it closes the connection (or `timeout` passes).
    func readAll(timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { answer += buffer.prefix(count); continue }
            if count == 0 { break }
            // Nothing yet; an answer with a whole body is enough even if the connection stays open.
            if String(decoding: answer, as: UTF8.self).contains("}") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        close(descriptor)
        return String(decoding: answer, as: UTF8.self)
    }
}
