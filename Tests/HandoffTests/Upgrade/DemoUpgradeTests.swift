import Foundation
import Testing

/// The demo server through real upgrades: its keep-alive connections move to the successor.
@Suite("handoff-demo across upgrades", .serialized)
struct DemoUpgradeTests {
    @Test("an idle keep-alive connection and a half-sent request are answered by the new process, never reset", .timeLimit(.minutes(1)))
    func connectionsSurvive() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-demo-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: store) }
        let demo = try FixtureProcess(program: "handoff-demo", arguments: ["--listen", "127.0.0.1:0", "--state-dir", store.path])
        let listening = try demo.waitFor("listening=", generation: 1)
        let port = UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!
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
    /// Replaces the file at `path` the way a deploy does: a new file, then `rename(2)` over it.
    private func deploy(_ program: String, to path: URL) throws {
        let staging = path.appendingPathExtension("new")
        try? FileManager.default.removeItem(at: staging)
        try FileManager.default.copyItem(at: FixtureProcess.binary(program), to: staging)
        #expect(rename(staging.path, path.path) == 0)
    }

    @Test("a new binary that dies after READY is rolled back: the old process takes its connections back and serves them", .timeLimit(.minutes(1)))
    func rollbackKeepsConnections() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-deploy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = directory.appendingPathComponent("app")
        let plan = directory.appendingPathComponent("plan")
        try "die-after-ready".write(to: plan, atomically: true, encoding: .utf8)
        try deploy("handoff-demo", to: app)

        let demo = try FixtureProcess(program: "handoff-demo", executable: app, arguments: ["--listen", "127.0.0.1:0", "--state-dir", directory.appendingPathComponent("store").path],
                                      environment: ["FIXTURE_PLAN": plan.path])
        let listening = try demo.waitFor("listening=", generation: 1)
        let port = UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!
        let first = listening.pid
        let idle = try HTTPClient(port: port)
        #expect(try idle.get("/count").body == "1")
        try idle.send("GET /count HTTP/1.1\r\n")  // half a request, held across the upgrade

        // Deploy a binary that says READY and dies: the upgrade must roll back.
        try deploy("handoff-fixture", to: app)
        #expect(kill(first, SIGHUP) == 0)
        let failed = try demo.waitFor("event=upgrade-failed", generation: 1)
        #expect(failed.text.contains("childExited"))
        try demo.waitFor("state=resumed connections=1", generation: 1)
        try idle.send("Host: test\r\n\r\n")
        #expect(try idle.response().body == "2")  // the same process, counter intact
        #expect(try HTTPClient(port: port).get("/").body == "pid=\(first) generation=1")

        // Deploy the good binary again: the next upgrade takes the same connection over.
        try deploy("handoff-demo", to: app)
        #expect(kill(first, SIGHUP) == 0)
        let second = try demo.waitFor("event=took-over", generation: 2).pid
        try demo.waitUntilGone(first)
        #expect(try idle.get("/").body == "pid=\(second) generation=2")
        #expect(kill(second, SIGTERM) == 0)
        try demo.waitUntilGone(second)
    }
}
