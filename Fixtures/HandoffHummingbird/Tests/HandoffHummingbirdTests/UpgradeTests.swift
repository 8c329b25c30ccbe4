import Foundation
import Synchronization
import Testing

/// handoff-hummingbird through real upgrades: its keep-alive connections move to the successor.
@Suite("Hummingbird across upgrades", .serialized)
struct UpgradeTests {
    @Test("an idle keep-alive connection and a half-sent request are answered by the successor, never reset", .timeLimit(.minutes(2)))
    func connectionsSurvive() async throws {
        let server = try ServerProcess()
        let port = try server.port()
        let first = try server.waitFor("listening=").pid

        let idle = try RawClient(port: port)
        let halfway = try RawClient(port: port)
        #expect(try idle.get("/").body == "pid=\(first) generation=1")
        #expect(try halfway.get("/count").body == "1")
        try halfway.send("GET / HTTP/1.1\r\nHo")  // the rest comes after the upgrade

        #expect(kill(first, SIGHUP) == 0)
        let second = try server.waitFor("event=took-over").pid
        try server.waitUntilGone(first)

        #expect(try idle.get("/").body == "pid=\(second) generation=2")
        try halfway.send("st: test\r\n\r\n")
        #expect(try halfway.response().body == "pid=\(second) generation=2")
        #expect(try halfway.get("/count").body == "2")
        // A stop is not a failure: the state is offered to the store for the next start.
        #expect(kill(second, SIGTERM) == 0)
        try server.waitUntilGone(second)
        let offered = try FileManager.default.contentsOfDirectory(atPath: server.directory.appendingPathComponent("state").path)
        #expect(!offered.isEmpty)
    }

    @Test("a successor that dies after READY leaves the old process serving every connection it had", .timeLimit(.minutes(2)))
    func rollbackKeepsConnections() async throws {
        let server = try ServerProcess()
        let port = try server.port()
        let first = try server.waitFor("listening=").pid
        let clients = try (0..<5).map { _ in try RawClient(port: port) }
        for (index, client) in clients.enumerated() { #expect(try client.get("/count").body == "\(index + 1)") }
        try clients[0].send("GET /count HTTP/1.1\r\n")  // half a request, held across the upgrade

        #expect(FileManager.default.createFile(atPath: server.faultFile.path, contents: nil))
        #expect(kill(first, SIGHUP) == 0)
        try server.waitFor("fault=die-after-ready")
        let failed = try server.waitFor("event=upgrade-failed")
        #expect(failed.pid == first)
        try clients[0].send("Host: test\r\n\r\n")
        #expect(try clients[0].response().body == "6")
        for client in clients { #expect(try client.get("/").body == "pid=\(first) generation=1") }
        #expect(try RawClient(port: port).get("/").body == "pid=\(first) generation=1")

        // Without the fault the next upgrade takes the same connections over.
        try FileManager.default.removeItem(at: server.faultFile)
        let before = server.lineCount
        #expect(kill(first, SIGHUP) == 0)
        let second = try server.waitFor("event=took-over", after: before).pid
        try server.waitUntilGone(first)
        for client in clients { #expect(try client.get("/").body == "pid=\(second) generation=2") }
        #expect(try clients[1].get("/count").body == "7")
        #expect(kill(second, SIGTERM) == 0)
        try server.waitUntilGone(second)
    }

    @Test("clients that send exactly N requests to /count during upgrades read N+1 next: none lost, none counted twice", .timeLimit(.minutes(3)))
    func counterIsExactAcrossUpgrades() async throws {
        let server = try ServerProcess()
        let port = try server.port()
        let clients = 4, perClient = 300
        let failures = Mutex<[String]>([])
        let finished = Mutex(0)
        for _ in 0..<clients {
            Thread.detachNewThread {
                defer { finished.withLock { $0 += 1 } }
                do {
                    let client = try RawClient(port: port)
                    for _ in 0..<perClient {
                        let response = try client.get("/count")
                        if response.status != 200 { failures.withLock { $0.append("status \(response.status)") } }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        // Three upgrades while the clients run, each once the previous one took over.
        var pid = try server.waitFor("listening=").pid
        for _ in 0..<3 {
            let before = server.lineCount
            #expect(kill(pid, SIGHUP) == 0)
            let next = try server.waitFor("event=took-over", after: before).pid
            try server.waitUntilGone(pid)
            pid = next
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while finished.withLock({ $0 }) < clients && ContinuousClock.now < deadline { usleep(2_000) }  // polling with a deadline
        #expect(finished.withLock { $0 } == clients)
        #expect(failures.withLock { $0 } == [])
        #expect(try RawClient(port: port).get("/count").body == "\(clients * perClient + 1)")
        #expect(kill(pid, SIGTERM) == 0)
        try server.waitUntilGone(pid)
    }
}
