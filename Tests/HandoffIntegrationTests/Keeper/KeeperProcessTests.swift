import Foundation
import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// The demo as PID 1 of its own PID namespace (a container without an init): the keeper stays
/// PID 1, follows each generation, forwards signals, reaps, and exits with the main status.
@Suite("the keeper as PID 1 of a PID namespace", .serialized, .offCooperativePool)
struct KeeperProcessTests {
    static func startDemo(environment: [String: String] = [:]) throws -> (NamespacedProgram, UInt16, URL) {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-keeper-store-\(UUID().uuidString.prefix(8))")
        let demo = try NamespacedProgram(arguments: ["--listen", "127.0.0.1:0", "--state-dir", store.path], environment: environment)
        return (demo, try demo.port(), store)
    }

    @Test("5 upgrades of the demo as PID 1 under keep-alive load: no failed request, the counter exact, one server and no zombie after each",
          .timeLimit(.minutes(2)))
    func upgradesUnderLoad() throws {
        let (demo, port, store) = try Self.startDemo()
        defer { try? FileManager.default.removeItem(at: store) }
        try demo.waitFor("state=", generation: 1)
        let keeper = try demo.pidOne()
        var server = try demo.waitForOneServer()
        #expect(server != keeper)  // the keeper runs the server as its child

        let clients = 4
        let stop = Atomic<Bool>(false)
        let answered = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        let done = DispatchGroup()
        for _ in 0..<clients {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                do {
                    let client = try HTTPClient(port: port)
                    while !stop.load(ordering: .acquiring) {
                        let response = try client.get("/count")
                        guard response.status == 200 else { throw Client.Failure(description: "status \(response.status)") }
                        answered.add(1, ordering: .relaxed)
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        for generation in 2...6 {
            let before = answered.load(ordering: .relaxed)
            #expect(kill(keeper, SIGHUP) == 0)
            let tookOver = try demo.waitFor("event=took-over", generation: generation)
            let next = try demo.waitForOneServer()
            #expect(ProcessTable.namespacePID(of: next) == NamespacedProgram.pid(in: tookOver))
            #expect(next != server)
            server = next
            // Load went on through the upgrade.
            try FixtureProcess.waitUntil("requests answered by generation \(generation)") {
                answered.load(ordering: .relaxed) > before + 10 || !failures.withLock { $0.isEmpty }
            }
        }
        stop.store(true, ordering: .releasing)
        done.wait()
        #expect(failures.withLock { $0 } == [])
        let total = answered.load(ordering: .relaxed)
        #expect(try HTTPClient(port: port).get("/count").body == "\(total + 1)")
        #expect(try HTTPClient(port: port).get("/").body.hasSuffix("generation=6"))
        #expect(NamespacedProgram.state(of: keeper) != nil)  // PID 1 still there
    }

    @Test("SIGTERM to PID 1 stops the current main process gracefully: state offered, PID 1 exits 0", .timeLimit(.minutes(1)))
    func sigtermStopsGracefully() throws {
        let (demo, port, store) = try Self.startDemo()
        defer { try? FileManager.default.removeItem(at: store) }
        try demo.waitFor("state=", generation: 1)
        let keeper = try demo.pidOne()
        #expect(try HTTPClient(port: port).get("/count").body == "1")
        // After an upgrade, so the signal must reach the successor, not the first child.
        #expect(kill(keeper, SIGHUP) == 0)
        try demo.waitFor("event=took-over", generation: 2)
        try demo.waitForOneServer()
        #expect(try HTTPClient(port: port).get("/count").body == "2")

        #expect(kill(keeper, SIGTERM) == 0)
        try demo.waitFor("state=offered", generation: 2)
        try demo.waitFor("state=stopped", generation: 2)
        #expect(try demo.waitForExit() == 0)
        let offered = (try? FileManager.default.contentsOfDirectory(atPath: store.path)) ?? []
        #expect(!offered.isEmpty, "the state was offered to the store")
    }

    @Test("SIGKILL of the main process: PID 1 exits with 137", .timeLimit(.minutes(1)))
    func killedMainEndsKeeper() throws {
        let (demo, _, store) = try Self.startDemo()
        defer { try? FileManager.default.removeItem(at: store) }
        try demo.waitFor("state=", generation: 1)
        let keeper = try demo.pidOne()
        #expect(kill(keeper, SIGHUP) == 0)
        let tookOver = try demo.waitFor("event=took-over", generation: 2)
        let main = try demo.waitForOneServer()
        // The main process is the one that took over, not its predecessor on the way out.
        #expect(ProcessTable.namespacePID(of: main) == NamespacedProgram.pid(in: tookOver))
        #expect(kill(main, SIGKILL) == 0)
        #expect(try demo.waitForExit() == 137)
    }

    @Test("a successor that dies after READY is rolled back; the keeper follows the old main process and the next upgrade works",
          .timeLimit(.minutes(1)))
    func rollbackKeepsFollowingTheOldMain() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-keeper-deploy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = directory.appendingPathComponent("app")
        let plan = directory.appendingPathComponent("plan")
        try "die-after-ready".write(to: plan, atomically: true, encoding: .utf8)
        try FixtureProcess.deploy("handoff-demo", to: app)
        let demo = try NamespacedProgram(executable: app, arguments: ["--listen", "127.0.0.1:0", "--state-dir", directory.appendingPathComponent("store").path],
                                         environment: ["FIXTURE_PLAN": plan.path])
        let port = try demo.port()
        let keeper = try demo.pidOne()
        let first = try demo.waitForOneServer()
        let idle = try HTTPClient(port: port)
        #expect(try idle.get("/count").body == "1")

        // A binary that says READY and dies: the upgrade rolls back.
        try FixtureProcess.deploy("handoff-fixture", to: app)
        #expect(kill(keeper, SIGHUP) == 0)
        let failed = try demo.waitFor("event=upgrade-failed", generation: 1)
        #expect(failed.contains("childExited"))
        #expect(try demo.waitForOneServer() == first)
        #expect(try idle.get("/count").body == "2")

        // The keeper still forwards to the first process: the next upgrade works.
        try FixtureProcess.deploy("handoff-demo", to: app)
        #expect(kill(keeper, SIGHUP) == 0)
        try demo.waitFor("event=took-over", generation: 2)
        let second = try demo.waitForOneServer()
        #expect(second != first)
        #expect(try idle.get("/count").body == "3")
        #expect(kill(keeper, SIGTERM) == 0)
        #expect(try demo.waitForExit() == 0)
    }

    @Test("PID 1 with the keeper turned off refuses an upgrade before spawning, naming the fix, and serves on", .timeLimit(.minutes(1)))
    func unkeptPIDOneRefuses() throws {
        let (demo, port, store) = try Self.startDemo(environment: ["HANDOFF_KEEPER": "off"])
        defer { try? FileManager.default.removeItem(at: store) }
        try demo.waitFor("state=", generation: 1)
        let pidOne = try demo.pidOne()
        #expect(NamespacedProgram.children(of: pidOne).isEmpty)  // no keeper: the demo itself is PID 1
        #expect(kill(pidOne, SIGHUP) == 0)
        let refused = try demo.waitFor("event=upgrade-refused", generation: 1)
        #expect(refused.contains("PID 1") && refused.contains("HANDOFF_KEEPER"))
        #expect(!demo.allLines.contains { $0.contains("event=spawned") })
        #expect(try HTTPClient(port: port).get("/count").body == "1")
        #expect(kill(pidOne, SIGTERM) == 0)
        #expect(try demo.waitForExit() == 0)
    }

    @Test("handoff-keeper as the entrypoint in front of the demo: upgrades keep one server, the demo does not keep a second time, SIGTERM exits 0",
          .timeLimit(.minutes(1)))
    func separateEntrypoint() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-keeper-store-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: store) }
        let demo = try NamespacedProgram(executable: FixtureProcess.binary("handoff-keeper"),
                                         arguments: [FixtureProcess.binary("handoff-demo").path, "--listen", "127.0.0.1:0", "--state-dir", store.path])
        let port = try demo.port()
        let keeper = try demo.pidOne()
        let first = try demo.waitForOneServer()  // one process below PID 1: no keeper inside the keeper
        #expect(try HTTPClient(port: port).get("/count").body == "1")
        #expect(kill(keeper, SIGHUP) == 0)
        try demo.waitFor("event=took-over", generation: 2)
        #expect(try demo.waitForOneServer() != first)
        #expect(try HTTPClient(port: port).get("/count").body == "2")
        #expect(kill(keeper, SIGTERM) == 0)
        #expect(try demo.waitForExit() == 0)
    }
}
