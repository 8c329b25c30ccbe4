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

/// A peer written in Python from the protocol's description (Fixtures/peer/handoff_peer.py)
/// breaks the control protocol on purpose; the Swift side refuses it with a typed error.
@Suite("A hostile peer on the control channel", .offCooperativePool)
struct HostilePeerTests {
    static let script = FixtureFiles.url("peer/handoff_peer.py")

    @Test("a hostile new process is refused with a typed error; the old one serves on and upgrades next time",
          .timeLimit(.minutes(1)),
          arguments: [
            ("impostor", "peerMismatch"),
            ("wrong-pid", "peerMismatch"),
            ("sends-fds", "descriptorCountMismatch"),
            ("over-cap", "frameTooLarge"),
            ("too-many-fds", "descriptorCountMismatch"),
          ])
    func hostileChild(scenario: String, code: String) throws {
        let fixture = try FixtureProcess(environment: ["FIXTURE_PEER_SCRIPT": Self.script.path], plan: "peer \(scenario)")
        let port = try fixture.port()
        let parent = try fixture.pid(ofGeneration: 1)
        try fixture.waitFor("restored", generation: 1)
        #expect(try Client.count(port: port).count == 1)
        let before = try FaultSweepTests.openDescriptors(parent)

        try fixture.signal(SIGHUP, generation: 1)
        let spawned = try fixture.waitFor("event spawned", generation: 1)
        let failed = try fixture.waitFor("event upgrade-failed", generation: 1)
        #expect(failed.text.contains("reason=\"\(code):"), "\(failed.text)")
        try fixture.waitUntilGone(Int32(FixtureProcess.field("pid", in: spawned.text)!)!)
        let answer = try Client.count(port: port)
        #expect(answer.who == "pid=\(parent) generation=1")
        #expect(answer.count == 2)
        FaultSweepTests.expectSame(try FaultSweepTests.openDescriptors(parent), before, scenario, "before the upgrade")

        try fixture.setPlan("ready")
        let mark = fixture.lineCount
        try fixture.signal(SIGHUP, generation: 1)
        try fixture.waitFor("event took-over", after: mark, generation: 2)
        #expect(try Client.count(port: port).count == 3)
    }

    @Test("a hostile old process is refused with a typed error by the new one, which exits having applied nothing",
          .timeLimit(.minutes(1)),
          arguments: [
            ("wrong-kind", "descriptorMismatch"),
            ("too-many-fds", "descriptorCountMismatch"),
            ("ctrunc", "descriptorCountMismatch"),
            ("over-cap", "frameTooLarge"),
            ("bad-checksum", "checksumMismatch"),
          ])
    func hostileParent(scenario: String, code: String) throws {
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        peer.arguments = ["python3", Self.script.path, "parent", scenario, FixtureProcess.binary("handoff-fixture").path]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-peer-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_RUNTIME_DIR"] = directory.path
        peer.environment = environment
        let output = Pipe()
        peer.standardOutput = output
        try peer.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        peer.waitUntilExit()
        #expect(peer.terminationStatus == 0, "\(text)")
        let report = text.split(separator: "\n").first { $0.hasPrefix("peer ") }.map(String.init) ?? ""
        #expect(report.contains("status=2"), "the successor exits with status 2 when it cannot inherit: \(report)")
        #expect(report.contains("inherit-failed reason=\"\(code):"), "\(report)")
    }
}
