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

/// A fault at every named step of the upgrade protocol, in the old process and in the new one:
/// killed, stopped, or writing a malformed frame. Whatever happens, exactly one process serves
/// on, its count is the one it should be (nothing applied twice, nothing lost that was not held
/// by a killed process alone), no descriptor leaks, and the next upgrade succeeds.
///
/// `HANDOFF_FAULT_REPETITIONS=N` repeats every case N times (`Scripts/fault-sweep.sh` runs 20).
@Suite("A fault at every protocol step", .offCooperativePool)
struct FaultSweepTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var side: UpgradeSide
        var step: UpgradeStep
        var action: FixtureFaultAction

        var plan: String { "fault \(side.rawValue):\(step.rawValue):\(action.rawValue)" }
        var testDescription: String { plan }

        static let all: [Case] = UpgradeSide.allCases.flatMap { side in
            UpgradeStep.allCases.flatMap { step in FixtureFaultAction.allCases.map { Case(side: side, step: step, action: $0) } }
        }

        /// Whether the old process held the only complete copy of the state when it died: killed
        /// before `STATE_END` went out. Its successor then starts from the (empty) store.
        var losesHeldState: Bool { side == .old && action == .kill && step != .beforeAck }
    }

    static let repetitions = ProcessInfo.processInfo.environment["HANDOFF_FAULT_REPETITIONS"].flatMap(Int.init) ?? 1
    /// At most this many cases at once: each runs a few processes with 300 descriptors, and
    /// 42 of them at once (each off the cooperative pool, on its own thread) would swamp two
    /// cores — worse under a sanitizer — and turn the upgrade deadlines into the thing tested.
    static let slots = DispatchSemaphore(value: 3)

    @Test("the surviving process serves on, with its state and descriptors, and upgrades again",
          .timeLimit(.minutes(5)), arguments: Case.all)
    func survives(_ fault: Case) throws {
        Self.slots.wait()
        defer { Self.slots.signal() }
        for _ in 0..<Self.repetitions { try run(fault) }
    }

    private func run(_ fault: Case) throws {
        // A fixed port: a new process whose predecessor died before passing the listener binds
        // it afresh. 300 extra descriptors make two FDS batches, so "mid-FDS" is a real middle.
        let port = try Client.freePort()
        let fixture = try FixtureProcess(
            environment: ["FIXTURE_UPGRADE_TIMEOUT_MS": "3000", "FIXTURE_INHERIT_TIMEOUT_MS": "3000",
                          "FIXTURE_EXTRA_FDS": "300", "FIXTURE_LISTEN": "127.0.0.1:\(port)"],
            plan: "exit-before-ready")
        try fixture.waitFor("restored", generation: 1)
        #expect(try Client.count(port: port).count == 1)
        #expect(try Client.count(port: port).count == 2)
        let parent = try fixture.pid(ofGeneration: 1)
        // One failed upgrade first, so that what the runtime opens once (a timer descriptor)
        // is open before the count.
        try fixture.signal(SIGHUP, generation: 1)
        try fixture.waitFor("event upgrade-failed", generation: 1)
        let descriptorsBefore = try Self.openDescriptors(parent)

        try fixture.setPlan(fault.plan)
        let mark = fixture.lineCount
        try fixture.signal(SIGHUP, generation: 1)
        let spawned = try fixture.waitFor("event spawned", after: mark, generation: 1)
        let child = Int32(FixtureProcess.field("pid", in: spawned.text)!)!

        if fault.action == .hang {
            let stopped = fault.side == .old ? parent : child
            // The step may not be reached: on a loaded machine the upgrade deadline can pass first.
            try FixtureProcess.waitUntil("pid \(stopped) stopped at \(fault.step), or the upgrade over") {
                Self.isStopped(stopped) || fixture.allLines.dropFirst(mark).contains {
                    $0.text.hasPrefix("event upgrade-failed") || $0.text.hasPrefix("event took-over")
                }
            }
            if fault.side == .old, Self.isStopped(parent) {
                // Hold the old process stopped until the new one has either given up on it or
                // said READY (after which it waits, by design, for a COMMIT or the old one's end).
                try FixtureProcess.waitUntil("the new process reacting to a stopped predecessor") {
                    !FixtureProcess.isAlive(child) || fixture.allLines.dropFirst(mark).contains { $0.pid == child && $0.text == "ready" }
                }
                #expect(kill(parent, SIGCONT) == 0)
            }
        }

        // Exactly one of the two serves on.
        try FixtureProcess.waitUntil("exactly one of old \(parent) and new \(child) alive") {
            FixtureProcess.isAlive(parent) != FixtureProcess.isAlive(child)
        }
        let survivor = FixtureProcess.isAlive(parent) ? parent : child
        let story = { fixture.allLines.dropFirst(mark).map { "  pid=\($0.pid) gen=\($0.generation) \($0.text)" }.joined(separator: "\n") }
        if fault.side == .new && fault.action != .garbage || fault.side == .old && fault.action == .garbage && fault.step != .beforeAck {
            #expect(survivor == parent, "\(fault.plan): the old process should have rolled back\n\(story())")
        }
        let generation = survivor == parent ? 1 : 2
        if survivor == parent {
            try fixture.waitFor("event upgrade-failed", after: mark, generation: 1)
        } else {
            try fixture.waitForLine(after: mark) { $0.pid == child && $0.text.hasPrefix("restored") }
        }
        let expected = survivor == child && fault.losesHeldState ? 1 : 3
        let answer = try Client.count(port: port)
        #expect(answer.who == "pid=\(survivor) generation=\(generation)", "\(fault.plan)")
        #expect(answer.count == expected, "\(fault.plan): survivor pid \(survivor) answered count \(answer.count)")
        // No descriptor leaks: the old process has what it had before; a new process that took
        // over has what a successor of a clean upgrade has, once its predecessor is gone.
        if survivor == child { try Self.settle(child, in: fixture, after: mark) }
        let descriptorsAfter = try Self.openDescriptors(survivor)
        if survivor == parent { Self.expectSame(descriptorsAfter, descriptorsBefore, fault.plan, "pid \(parent) before the upgrade") }

        // And the next upgrade, with the fault cleared, succeeds.
        try fixture.setPlan("ready")
        let next = fixture.lineCount
        #expect(kill(survivor, SIGHUP) == 0)
        let successor = try fixture.waitFor("event took-over", after: next, generation: generation + 1).pid
        try fixture.waitUntilGone(survivor)
        let last = try Client.count(port: port)
        #expect(last.who == "pid=\(successor) generation=\(generation + 1)")
        #expect(last.count == expected + 1, "\(fault.plan): after the next upgrade")
        if survivor == child {
            try Self.settle(successor, in: fixture, after: next)
            Self.expectSame(descriptorsAfter, try Self.openDescriptors(successor), fault.plan, "pid \(successor), a successor of a clean upgrade")
        }
    }

    /// Waits until a new process is done with its predecessor: it saw it exit after the
    /// handover, or lost it (and closed the channel to it either way). Nothing for the old one.
    static func settle(_ pid: Int32, in fixture: FixtureProcess, after mark: Int) throws {
        guard FixtureProcess.isAlive(pid) else { return }
        try fixture.waitForLine(after: mark) {
            $0.pid == pid && ($0.text.hasPrefix("event predecessor-exited") || $0.text.hasPrefix("event predecessor-lost"))
        }
        // A lost predecessor is reported before the store is read: wait for that too, or the
        // store's files may still be open while the descriptors are listed.
        try fixture.waitForLine(after: mark) { $0.pid == pid && $0.text.hasPrefix("restored") }
    }

    /// The same number of descriptors of each kind; timer descriptors, which the runtime opens
    /// once per clock on first use, are left out.
    static func expectSame(_ actual: Set<String>, _ reference: Set<String>, _ plan: String, _ what: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        func kinds(_ descriptors: Set<String>) -> [String: Int] {
            descriptors.reduce(into: [:]) { counts, entry in
                let kind = String(entry.split(separator: "→", maxSplits: 1).last ?? "")
                if kind != "anon_inode:[timerfd]" { counts[kind, default: 0] += 1 }
            }
        }
        let (mine, theirs) = (kinds(actual), kinds(reference))
        #expect(mine == theirs, "\(plan): open descriptors differ from \(what): \(mine.filter { theirs[$0.key] != $0.value }) against \(theirs.filter { mine[$0.key] != $0.value })",
                sourceLocation: sourceLocation)
    }

    /// What the descriptors in /proc/`pid`/fd are, each as "fd→target" with socket and other
    /// anonymous inode numbers left out (a rebuilt eventfd is the same kind of thing).
    /// Listed until two listings in a row agree, so a descriptor being closed right then (it
    /// shows as "?") is not counted.
    static func openDescriptors(_ pid: Int32) throws -> Set<String> {
        var previous = try listDescriptors(pid)
        for _ in 0..<100 {
            let current = try listDescriptors(pid)
            if current == previous && !current.contains(where: { $0.hasSuffix("→?") }) { return current }
            previous = current
            usleep(1_000)  // polling with a bound: until the listing is stable
        }
        return previous
    }

    private static func listDescriptors(_ pid: Int32) throws -> Set<String> {
        let directory = "/proc/\(pid)/fd"
        return Set(try FileManager.default.contentsOfDirectory(atPath: directory).map { fd in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(fd)")) ?? "?"
            let kind = target.hasPrefix("socket:") ? "socket" : target.hasPrefix("pipe:") ? "pipe"
                : target.hasPrefix("/tmp/handoff-test-") ? "test file" : target
            return "\(fd)→" + kind
        })
    }

    /// Whether `pid` is stopped (state T in /proc/`pid`/stat).
    static func isStopped(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] == "T"
    }
}

/// What the fixture does at the faulty step (the fixture's `FixtureFault.Action`).
enum FixtureFaultAction: String, Sendable, CaseIterable {
    case kill, hang, garbage
}
