import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

@Suite("Descriptors across real upgrades", .serialized, .offCooperativePool)
struct DescriptorKindTests {
    static let kinds = ["tcp4", "tcp6", "udp4", "udp6", "unix-path", "unix-abstract", "unix-datagram", "file", "connection"]

    @Test("every descriptor kind round-trips through two upgrades as the same socket", .timeLimit(.minutes(1)))
    func everyKindRoundTrips() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-kinds-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try FixtureProcess(environment: ["FIXTURE_KINDS": directory.path])
        try fixture.waitFor("ready", generation: 1)
        try fixture.signal(SIGHUP, generation: 1)
        try fixture.waitFor("event predecessor-exited", generation: 2)
        try fixture.signal(SIGHUP, generation: 2)
        try fixture.waitFor("event predecessor-exited", generation: 3)

        func report(_ generation: Int) -> [String] {
            fixture.allLines.filter { $0.generation == generation && $0.text.hasPrefix("kind ") }.map(\.text)
        }
        let first = report(1)
        #expect(first.count == Self.kinds.count)
        for line in first {
            #expect(line.contains("fd-ok=true cloexec=true"), "\(line)")
        }
        // Same names, same ports: the very sockets generation 1 bound.
        #expect(report(3) == first)

        // An upgrade never removes a Unix socket's path; the final stop does.
        let path = directory.appendingPathComponent("stream.sock").path
        #expect(FileManager.default.fileExists(atPath: path))
        let last = try fixture.pid(ofGeneration: 3)
        try fixture.signal(SIGTERM, generation: 3)
        try fixture.waitUntilGone(last)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
