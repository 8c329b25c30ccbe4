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

/// Real upgrades of the fixture program: a parent process, a real SIGHUP, a real child spawned
/// from the binary on disk, real sockets.
@Suite("Upgrading a running process", .serialized, .offCooperativePool)
struct UpgradeTests {
    @Test("a child that becomes ready takes over, serves on the same socket, and names itself in the PID file", .timeLimit(.minutes(1)))
    func successfulUpgrades() throws {
        let fixture = try FixtureProcess()
        let port = try fixture.port()
        var serving = try fixture.pid(ofGeneration: 1)
        try fixture.waitFor("ready", generation: 1)
        #expect(try Client.who(port: port) == "pid=\(serving) generation=1")

        for generation in 2...4 {
            try fixture.signal(SIGHUP, generation: generation - 1)
            let successor = try fixture.waitFor("event took-over", generation: generation).pid
            try fixture.waitUntilGone(serving)
            try fixture.waitFor("event predecessor-exited", generation: generation)
            #expect(try Client.who(port: port) == "pid=\(successor) generation=\(generation)")
            let pidFile = try String(contentsOf: fixture.directory.appendingPathComponent("fixture.pid"), encoding: .utf8)
            #expect(pidFile == "\(successor)\n")
            serving = successor
        }
    }

    @Test("a failing new binary leaves the parent serving on the same socket, and the next upgrade succeeds",
          .timeLimit(.minutes(1)),
          arguments: [
            ("exit-before-ready", "childExited"),
            ("hang", "deadlineExceeded"),
            ("garbage", "badMagic"),
            ("die-after-ready", "childExited"),
            ("refuse", "childRefused"),
          ])
    func failedUpgradeRollsBack(plan: String, code: String) throws {
        let fixture = try FixtureProcess(environment: ["FIXTURE_UPGRADE_TIMEOUT_MS": "3000"], plan: plan)
        let port = try fixture.port()
        let parent = try fixture.pid(ofGeneration: 1)
        try fixture.waitFor("ready", generation: 1)
        #expect(try Client.who(port: port) == "pid=\(parent) generation=1")

        try fixture.signal(SIGHUP, generation: 1)
        let spawned = try fixture.waitFor("event spawned", generation: 1)
        let failed = try fixture.waitFor("event upgrade-failed", generation: 1)
        #expect(failed.text.contains("reason=\"\(code):"), "\(failed.text)")
        let child = Int32(FixtureProcess.field("pid", in: spawned.text)!)!
        try fixture.waitUntilGone(child)
        #expect(FixtureProcess.isAlive(parent))
        #expect(try Client.who(port: port) == "pid=\(parent) generation=1")

        try fixture.setPlan("ready")
        let mark = fixture.lineCount
        try fixture.signal(SIGHUP, generation: 1)
        let successor = try fixture.waitFor("event took-over", after: mark, generation: 2).pid
        try fixture.waitUntilGone(parent)
        #expect(try Client.who(port: port) == "pid=\(successor) generation=2")
    }

    @Test("a SIGHUP during an upgrade is refused with a reason, not queued", .timeLimit(.minutes(1)))
    func concurrentUpgradeRefused() throws {
        let fixture = try FixtureProcess(environment: ["FIXTURE_UPGRADE_TIMEOUT_MS": "3000"], plan: "hang")
        let port = try fixture.port()
        try fixture.waitFor("ready", generation: 1)
        try fixture.signal(SIGHUP, generation: 1)
        try fixture.waitFor("started", generation: 2)
        try fixture.signal(SIGHUP, generation: 1)
        let refused = try fixture.waitFor("event upgrade-refused", generation: 1)
        #expect(refused.text.contains("upgradeInProgress"))
        let failed = try fixture.waitFor("event upgrade-failed", generation: 1)
        #expect(failed.text.contains("deadlineExceeded"))
        // Exactly one child was spawned: the refused request did not start another.
        #expect(fixture.allLines.filter { $0.text.hasPrefix("event spawned") }.count == 1)
        #expect(try Client.who(port: port).hasSuffix("generation=1"))
    }

    @Test("the new process starts with no descriptor but 0-3, even one the parent forgot to mark close-on-exec", .timeLimit(.minutes(1)))
    func noDescriptorLeaks() throws {
        let fixture = try FixtureProcess(environment: ["FIXTURE_LEAK_FD": "1"])
        try fixture.waitFor("ready", generation: 1)
        try fixture.signal(SIGHUP, generation: 1)
        let started = try fixture.waitFor("started", generation: 2)
        #expect(FixtureProcess.field("entry-fds", in: started.text) == "0,1,2,3")
    }

    @Test("1000 descriptors pass in one upgrade", .timeLimit(.minutes(1)))
    func thousandDescriptors() throws {
        let fixture = try FixtureProcess(environment: ["FIXTURE_EXTRA_FDS": "1000"])
        try fixture.waitFor("extra=1000", generation: 1)
        try fixture.waitFor("ready", generation: 1)
        try fixture.signal(SIGHUP, generation: 1)
        try fixture.waitFor("extra=1000", generation: 2)
        try fixture.waitFor("event took-over", generation: 2)
    }
}
