#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// The notifications the state machine decides, event by event, without a process.
@Suite("systemd notification decisions")
struct SystemdNotifyMachineTests {
    static let start = ContinuousClock.now

    static func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test("a drain that lasts gets EXTEND_TIMEOUT_USEC each interval, and none once it handed over")
    func drainExtension() {
        var machine = SystemdNotifyMachine(generation: 1, awaitsPredecessor: false, extensionInterval: .seconds(1))
        _ = machine.processReady()
        _ = machine.observe(.started, now: Self.at(0), monotonicMicroseconds: 1)
        #expect(machine.observe(.draining, now: Self.at(0), monotonicMicroseconds: 2).isEmpty)
        #expect(machine.tick(now: Self.at(500)).isEmpty)
        #expect(machine.tick(now: Self.at(1000)) == [.notify(["EXTEND_TIMEOUT_USEC=3000000", "STATUS=generation 1: upgrading; draining"])])
        #expect(machine.tick(now: Self.at(1500)).isEmpty)
        #expect(machine.tick(now: Self.at(2000)).count == 1)
        _ = machine.observe(.handingOver(connections: 0, stateBytes: 0), now: Self.at(2100), monotonicMicroseconds: 3)
        #expect(machine.tick(now: Self.at(4000)).isEmpty)
    }

    @Test("a successor says READY=1 only once its predecessor is gone, and stores its listeners then")
    func successorWaits() {
        var machine = SystemdNotifyMachine(generation: 2, awaitsPredecessor: true, extensionInterval: .seconds(5))
        #expect(machine.processReady().isEmpty)
        #expect(!machine.isMain, "no WATCHDOG=1 while the predecessor is the main pid")
        #expect(machine.observe(.tookOver(generation: 2, predecessor: 10), now: Self.at(0), monotonicMicroseconds: 1).isEmpty)
        #expect(machine.observe(.predecessorExited, now: Self.at(1), monotonicMicroseconds: 2)
            == [.notify(["READY=1", "STATUS=generation 2: serving"]), .storeListeners])
        #expect(machine.isServing)
    }

    @Test("a successor whose predecessor was lost names itself MAINPID with its READY=1")
    func lostPredecessor() {
        var machine = SystemdNotifyMachine(generation: 3, awaitsPredecessor: true, extensionInterval: .seconds(5))
        _ = machine.processReady()
        let actions = machine.observe(.predecessorLost(HandoffError(.predecessorLost, "gone")), now: Self.at(0), monotonicMicroseconds: 1)
        #expect(actions.first == .notify(["MAINPID=\(getpid())", "READY=1", "STATUS=generation 3: serving"]))
    }

    @Test("after MAINPID= the old process says nothing more: no READY, STOPPING, EXTEND or refusal")
    func silentAfterHandover() {
        var machine = SystemdNotifyMachine(generation: 1, awaitsPredecessor: false, extensionInterval: .seconds(1))
        _ = machine.processReady()
        _ = machine.observe(.started, now: Self.at(0), monotonicMicroseconds: 1)
        _ = machine.observe(.draining, now: Self.at(0), monotonicMicroseconds: 1)
        #expect(machine.observe(.replaced(by: 42), now: Self.at(1), monotonicMicroseconds: 2) == [.notify(["MAINPID=42"])])
        #expect(machine.stopping().isEmpty)
        #expect(machine.tick(now: Self.at(10_000)).isEmpty)
        #expect(machine.observe(.failed(HandoffError(.childExited, "late")), now: Self.at(2), monotonicMicroseconds: 3).isEmpty)
        #expect(!machine.isServing)
    }

    @Test("STOPPING=1 is sent once, and a refused upgrade only updates STATUS")
    func stoppingOnce() {
        var machine = SystemdNotifyMachine(generation: 1, awaitsPredecessor: false, extensionInterval: .seconds(1))
        _ = machine.processReady()
        let refused = machine.observe(.refused(HandoffError(.upgradeInProgress, "busy")), now: Self.at(0), monotonicMicroseconds: 1)
        #expect(refused == [.notify(["STATUS=generation 1: serving; an upgrade was refused: upgradeInProgress: busy"])])
        #expect(machine.stopping() == [.notify(["STOPPING=1", "STATUS=generation 1: stopping"])])
        #expect(machine.stopping().isEmpty)
    }

    @Test("the watchdog is ours when WATCHDOG_PID is unset, this pid or the predecessor's; not another's")
    func watchdogOwner() {
        #expect(SystemdReporter.watchdogInterval(microseconds: "200000", owner: nil, predecessor: nil) == .milliseconds(100))
        #expect(SystemdReporter.watchdogInterval(microseconds: "200000", owner: "\(getpid())", predecessor: nil) == .milliseconds(100))
        #expect(SystemdReporter.watchdogInterval(microseconds: "200000", owner: "77", predecessor: 77) == .milliseconds(100))
        #expect(SystemdReporter.watchdogInterval(microseconds: "200000", owner: "77", predecessor: 78) == nil)
        #expect(SystemdReporter.watchdogInterval(microseconds: "", owner: nil, predecessor: nil) == nil)
        #expect(SystemdReporter.watchdogInterval(microseconds: "0", owner: nil, predecessor: nil) == nil)
    }

    @Test("descriptor names survive systemd's alphabet: ':' and '%' are encoded, plain names read as written")
    func names() throws {
        let name = "listener:127.0.0.1:8080"
        let encoded = try FileDescriptorName.encode(name)
        #expect(!encoded.contains(":"))
        #expect(FileDescriptorName.decode(encoded) == name)
        #expect(FileDescriptorName.decode("http") == "http")
        #expect(FileDescriptorName.decode("100%") == "100%")
        #expect(throws: HandoffError.self) { try FileDescriptorName.encode(String(repeating: ":", count: 100)) }
        #expect(SocketActivation.unique(["a", "b", "a"]) == ["a#0", "b", "a#1"])
    }
}
