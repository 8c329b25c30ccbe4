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

/// sd_notify as systemd sees it: a datagram socket bound by the test is the fixture's
/// `$NOTIFY_SOCKET`, and every message is checked with the pid the kernel stamps on it.
@Suite("systemd notifications", .serialized, .offCooperativePool)
struct SystemdNotifyTests {
    /// The environment of a process under a test-bound `$NOTIFY_SOCKET`, with no watchdog and
    /// no socket activation leaking in from the test's own environment.
    static func environment(_ notify: NotifySocket, watchdogMicroseconds: Int? = nil) -> [String: String] {
        ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": watchdogMicroseconds.map(String.init) ?? "", "WATCHDOG_PID": "",
         "LISTEN_PID": "", "LISTEN_FDS": "", "LISTEN_FDNAMES": ""]
    }

    @Test("a failed then a successful upgrade send exactly READY, RELOADING, READY; RELOADING, MAINPID, READY (from the new pid); STOPPING",
          .timeLimit(.minutes(1)))
    func sequence() throws {
        let notify = try NotifySocket()
        let fixture = try FixtureProcess(environment: Self.environment(notify), plan: "exit-before-ready")
        let first = try fixture.waitFor("restored", generation: 1).pid
        var received: [NotifySocket.Message] = []
        func take() throws -> NotifySocket.Message {
            guard let message = notify.next() else {
                Issue.record("a notification was missing; got \(received)")
                throw FixtureError.timedOut
            }
            received.append(message)
            return message
        }

        let ready = try take()
        #expect(ready.pid == first)
        #expect(ready.lines == ["READY=1", "STATUS=generation 1: serving"])

        // A new binary that exits before READY: the reload ends with READY=1 from the same pid.
        try fixture.signal(SIGHUP, generation: 1)
        let reloading = try take()
        #expect(reloading.pid == first)
        #expect(reloading.lines.count == 3 && reloading.lines[0] == "RELOADING=1" && reloading.lines[2] == "STATUS=generation 1: upgrading")
        #expect(reloading.value("MONOTONIC_USEC").flatMap(UInt64.init) != nil)
        let failed = try take()
        #expect(failed.pid == first)
        #expect(failed.lines.first == "READY=1")
        #expect(failed.value("STATUS")?.hasPrefix("generation 1: serving; the upgrade failed: childExited") == true)
        try fixture.waitFor("event upgrade-failed", generation: 1)

        // A good binary: MAINPID from the old process, then READY=1 from the new one.
        try fixture.setPlan("ready")
        try fixture.signal(SIGHUP, generation: 1)
        let second = try fixture.waitFor("event predecessor-exited", generation: 2).pid
        let reloadingAgain = try take()
        #expect(reloadingAgain.pid == first && reloadingAgain.lines.first == "RELOADING=1")
        let mainPID = try take()
        #expect(mainPID.pid == first)
        #expect(mainPID.lines == ["MAINPID=\(second)"])
        let newReady = try take()
        #expect(newReady.pid == second)
        #expect(newReady.lines == ["READY=1", "STATUS=generation 2: serving"])

        // A final stop.
        try fixture.waitFor("restored", generation: 2)
        #expect(kill(second, SIGTERM) == 0)  // not by generation: the failed child was a generation 2 too
        try fixture.waitUntilGone(second)
        try fixture.waitUntilGone(first)
        let stopping = try take()
        #expect(stopping.pid == second)
        #expect(stopping.lines == ["STOPPING=1", "STATUS=generation 2: stopping"])
        // Both processes are gone: nothing else was sent.
        let extra = notify.next(timeout: .zero)
        #expect(extra == nil, "unexpected notification \(extra.map(String.init(describing:)) ?? "")")
        #expect(received.count == 7)
    }

    @Test("WATCHDOG=1 comes at half of WATCHDOG_USEC when WATCHDOG_PID is unset", .timeLimit(.minutes(1)))
    func watchdog() throws {
        let notify = try NotifySocket()
        let fixture = try FixtureProcess(environment: Self.environment(notify, watchdogMicroseconds: 100_000))
        let first = try fixture.pid(ofGeneration: 1)
        var pings: [ContinuousClock.Instant] = []
        while pings.count < 3 {
            let (ping, _) = try notify.waitFor(timeout: .seconds(10)) { $0.lines == ["WATCHDOG=1"] }
            #expect(ping.pid == first)
            pings.append(.now)
        }
        // Half of 100 ms apart, give or take scheduling; never the full interval of silence.
        #expect(pings[2] - pings[0] < .milliseconds(2 * 100 + 400))
        #expect(pings[2] - pings[0] >= .milliseconds(2 * 50 - 20))
    }
}
