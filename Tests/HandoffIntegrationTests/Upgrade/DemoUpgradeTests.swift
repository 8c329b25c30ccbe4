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

/// The demo server through real upgrades: its keep-alive connections move to the successor.
@Suite("handoff-demo across upgrades", .serialized, .offCooperativePool)
struct DemoUpgradeTests {
    /// Starts the demo on a port of the kernel's choosing with a state directory of its own.
    static func startDemo() throws -> (FixtureProcess, UInt16, URL) {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-demo-\(UUID().uuidString.prefix(8))")
        let demo = try FixtureProcess(program: "handoff-demo", arguments: ["--listen", "127.0.0.1:0", "--state-dir", store.path])
        let listening = try demo.waitFor("listening=", generation: 1)
        let port = UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!
        return (demo, port, store)
    }

    @Test("an idle keep-alive connection and a half-sent request are answered by the new process, never reset", .timeLimit(.minutes(1)))
    func connectionsSurvive() throws {
        let (demo, port, store) = try Self.startDemo()
        defer { try? FileManager.default.removeItem(at: store) }
        let first = try demo.pid(ofGeneration: 1, marker: "listening=")

        let idle = try HTTPClient(port: port)
        let halfway = try HTTPClient(port: port)
        #expect(try idle.get("/").body == "pid=\(first) generation=1")
        #expect(try halfway.get("/count").body == "1")
        try halfway.send("GET / HTTP/1.1\r\nHo")  // the rest comes after the upgrade

        #expect(kill(first, SIGHUP) == 0)
        let second = try demo.waitFor("event=took-over", generation: 2).pid
        try demo.waitUntilGone(first)

        #expect(try idle.get("/").body == "pid=\(second) generation=2")
        try halfway.send("st: test\r\n\r\n")
        #expect(try halfway.response().body == "pid=\(second) generation=2")
        #expect(try halfway.get("/").status == 200)
        let handedOver = try demo.waitFor("state=adopted", generation: 2)
        #expect(handedOver.text.contains("connections=2"))

        // A graceful stop offers the state, exits 0 and closes the connections it holds.
        #expect(kill(second, SIGTERM) == 0)
        try demo.waitFor("state=stopped", generation: 2)
        #expect(FileManager.default.fileExists(atPath: store.path))
        try demo.waitUntilGone(second)
        #expect(throws: HTTPClient.Failure.self) { try idle.get("/") }
    }
}

extension DemoUpgradeTests {
    /// Starts `executable`, retrying for a while if it is momentarily busy (ETXTBSY): a process
    /// spawned by another test can hold a descriptor to it until that process execs.
    private func start(_ executable: URL, arguments: [String], plan: String) throws -> FixtureProcess {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                return try FixtureProcess(program: "handoff-demo", executable: executable, arguments: arguments, plan: plan)
            } catch let error as NSError where ContinuousClock.now < deadline
                && (error.userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(ETXTBSY) {
                usleep(10_000)
            }
        }
    }

    @Test("a new binary that dies after READY is rolled back: the old process takes its connections back and serves them", .timeLimit(.minutes(1)))
    func rollbackKeepsConnections() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-deploy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = directory.appendingPathComponent("app")
        try FixtureProcess.deploy("handoff-demo", to: app)

        // The plan is read by the fixture binary deployed below, as the demo's successor.
        let demo = try start(app, arguments: ["--listen", "127.0.0.1:0", "--state-dir", directory.appendingPathComponent("store").path],
                             plan: "die-after-ready")
        let listening = try demo.waitFor("listening=", generation: 1)
        let port = UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!
        let first = listening.pid
        let idle = try HTTPClient(port: port)
        #expect(try idle.get("/count").body == "1")
        try idle.send("GET /count HTTP/1.1\r\n")  // half a request, held across the upgrade

        // Deploy a binary that says READY and dies: the upgrade must roll back.
        try FixtureProcess.deploy("handoff-fixture", to: app)
        #expect(kill(first, SIGHUP) == 0)
        let failed = try demo.waitFor("event=upgrade-failed", generation: 1)
        #expect(failed.text.contains("childExited"))
        try demo.waitFor("state=resumed connections=1", generation: 1)
        try idle.send("Host: test\r\n\r\n")
        #expect(try idle.response().body == "2")  // the same process, counter intact
        #expect(try HTTPClient(port: port).get("/").body == "pid=\(first) generation=1")

        // Deploy the good binary again: the next upgrade takes the same connection over.
        try FixtureProcess.deploy("handoff-demo", to: app)
        #expect(kill(first, SIGHUP) == 0)
        let second = try demo.waitFor("event=took-over", generation: 2).pid
        try demo.waitUntilGone(first)
        #expect(try idle.get("/").body == "pid=\(second) generation=2")
        #expect(kill(second, SIGTERM) == 0)
        try demo.waitUntilGone(second)
    }
}

extension DemoUpgradeTests {
    @Test("clients that send exactly N requests to /count during upgrades read N+1 next: none lost, none counted twice", .timeLimit(.minutes(1)))
    func counterIsExactAcrossUpgrades() throws {
        let (demo, port, store) = try Self.startDemo()
        defer { try? FileManager.default.removeItem(at: store) }
        try demo.waitFor("state=", generation: 1)

        let clients = 4, perClient = 400
        let failures = Mutex<[String]>([])
        let done = DispatchGroup()
        for _ in 0..<clients {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                do {
                    let client = try HTTPClient(port: port)
                    for _ in 0..<perClient {
                        let answer = try client.get("/count")
                        if answer.status != 200 { failures.withLock { $0.append("status \(answer.status)") } }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        for generation in 2...6 {
            #expect(kill(try demo.pid(ofGeneration: generation - 1, marker: "listening="), SIGHUP) == 0)
            try demo.waitFor("event=predecessor-exited", generation: generation)
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(failures.withLock { $0 } == [])
        #expect(try HTTPClient(port: port).get("/count").body == "\(clients * perClient + 1)")
    }
}
