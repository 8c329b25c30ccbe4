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

/// `HANDOFF_KEEPER=always` outside a container: the keeper is the child subreaper, and passes
/// on to a service manager above it what the main process says (never `MAINPID=`).
@Suite("the keeper outside a container, under a service manager", .serialized, .offCooperativePool)
struct KeeperSubreaperTests {
    @Test("upgrades through the keeper: the manager sees READY, RELOADING, READY from the keeper's pid and no MAINPID; a stranger's message is dropped; SIGTERM ends the main process and the keeper",
          .timeLimit(.minutes(1)))
    func forwardsUpward() throws {
        let notify = try NotifySocket()
        var environment = SystemdNotifyTests.environment(notify)
        environment["HANDOFF_KEEPER"] = "always"
        let fixture = try FixtureProcess(environment: environment)
        let first = try fixture.waitFor("restored", generation: 1).pid
        let keeper = try #require(NamespacedProgram.children(of: getpid()).first { NamespacedProgram.children(of: $0).contains(first) })
        #expect(keeper != first)  // the fixture runs as the keeper's child

        let ready = try notify.waitFor { $0.lines.contains("READY=1") }
        #expect(ready.match.pid == keeper)  // the keeper speaks for the main process
        #expect(ready.match.lines == ["READY=1", "STATUS=generation 1: serving"])

        // A process that is not the main one finds the keeper's socket: what it says is dropped.
        let environ = try #require(try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(first)/environ")))
        let socket = try #require(environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            .first { $0.hasPrefix("NOTIFY_SOCKET=") }?.dropFirst("NOTIFY_SOCKET=".count))
        #expect(socket != notify.path)
        try SystemdNotifier(socket: String(socket)).notify(["STATUS=forged", "STOPPING=1"])

        #expect(kill(keeper, SIGHUP) == 0)
        let second = try fixture.waitFor("event predecessor-exited", generation: 2).pid
        let reloaded = try notify.waitFor { $0.lines.contains("READY=1") }
        #expect(reloaded.match.pid == keeper)
        #expect(reloaded.match.lines == ["READY=1", "STATUS=generation 2: serving"])
        #expect(reloaded.skipped.contains { $0.lines.first == "RELOADING=1" })
        #expect(!(reloaded.skipped + [reloaded.match]).contains { message in message.lines.contains { $0.hasPrefix("MAINPID=") } })
        #expect(!reloaded.skipped.contains { $0.lines.contains("STATUS=forged") })

        // The orphaned successor is the keeper's child (subreaper), and nothing else is left.
        try FixtureProcess.waitUntil("the successor reparented to the keeper") {
            NamespacedProgram.descendants(of: keeper) == [second]
        }
        #expect(kill(keeper, SIGTERM) == 0)
        let stopping = try notify.waitFor { $0.lines.contains("STOPPING=1") }
        #expect(stopping.match.pid == keeper)
        try fixture.waitUntilGone(keeper)
        #expect(!FixtureProcess.isAlive(second))
    }

    @Test("handoff-keeper as a subreaper ends the processes the main process left behind when it exits with its status",
          .timeLimit(.minutes(1)))
    func endsWhatIsLeft() throws {
        let keeper = Process()
        keeper.executableURL = FixtureProcess.binary("handoff-keeper")
        // The main process starts two sleeps in the background, prints their pids and exits 3:
        // the sleeps, orphaned, come to the keeper.
        keeper.arguments = ["/bin/sh", "-c", "sleep 60 >/dev/null & echo $!; sleep 60 >/dev/null & echo $!; exit 3"]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        keeper.environment = environment
        let output = Pipe()
        keeper.standardOutput = output
        try keeper.run()
        defer { if keeper.isRunning { kill(keeper.processIdentifier, SIGKILL) } }
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let left = printed.split(separator: "\n").compactMap { pid_t($0) }
        #expect(left.count == 2, "the main process printed \(printed.debugDescription)")
        try FixtureProcess.waitUntil("the keeper to exit") { !keeper.isRunning }
        #expect(keeper.terminationStatus == 3)
        for pid in left {
            try FixtureProcess.waitUntil("\(pid), left behind by the main process, to be ended") { !FixtureProcess.isAlive(pid) }
        }
    }
}
