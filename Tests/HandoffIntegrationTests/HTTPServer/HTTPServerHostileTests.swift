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

/// The HTTP engine the admin endpoint and the demo share, against clients that exhaust the
/// server's descriptors or send a byte a second, in real processes.
@Suite("HTTP server engine under hostile clients", .serialized, .offCooperativePool)
struct HTTPServerHostileTests {
    /// `program` under `sh -c 'ulimit -n LIMIT; exec …'`.
    static func limited(_ program: String, descriptors: Int, arguments: [String] = [], environment: [String: String] = [:]) throws -> FixtureProcess {
        let binary = FixtureProcess.binary(program).path
        let command = (["ulimit -n \(descriptors); exec '\(binary)'"] + arguments.map { "'\($0)'" }).joined(separator: " ")
        return try FixtureProcess(program: program, executable: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", command], environment: environment)
    }

    /// Holds more connections than the server has descriptors, checks it does not spin, closes
    /// them, and waits for `/ready` (or `GET /`) on a fresh connection.
    func exhaust(port: UInt16, pid: Int32, path: String) throws {
        let flood = try HostileClients.connect(60, to: port)
        let share = try HostileClients.cpuShare(of: pid, over: .seconds(2))
        #expect(share < 0.05, "the server used \(Int(share * 100))% of a core while out of descriptors")
        for fd in flood { close(fd) }
        let closed = ContinuousClock.now
        var status = 0
        try FixtureProcess.waitUntil("\(path) answers after the flood", timeout: .seconds(5)) {
            status = (try? HTTPClient(port: port).get(path).status) ?? 0
            return status == 200
        }
        #expect(ContinuousClock.now - closed < .seconds(1), "\(path) answered only \(ContinuousClock.now - closed) after the connections closed")
    }

    @Test("out of descriptors, the admin endpoint does not spin and serves /ready again within 1 s", .timeLimit(.minutes(1)))
    func adminOutOfDescriptors() throws {
        let process = try Self.limited("handoff-runner-fixture", descriptors: 40)
        try process.waitFor("service worker running", generation: 1)
        let admin = try process.waitFor("admin port=", generation: 1)
        let port = UInt16(FixtureProcess.field("port", in: admin.text)!)!
        let pid = try process.pid(ofGeneration: 1, marker: "admin port=")
        try exhaust(port: port, pid: pid, path: "/ready")
        #expect(kill(pid, SIGTERM) == 0)
        try process.waitFor("exit status=0", generation: 1)
    }

    @Test("out of descriptors, the demo's server and admin endpoint do not spin and answer within 1 s", .timeLimit(.minutes(1)))
    func demoOutOfDescriptors() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-demo-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: store) }
        let demo = try Self.limited("handoff-demo", descriptors: 40, arguments: ["--listen", "127.0.0.1:0", "--state-dir", store.path, "--admin", "127.0.0.1:0"])
        let listening = try demo.waitFor("listening=", generation: 1)
        let port = UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!
        let admin = try demo.waitFor("admin=", generation: 1)
        let adminPort = UInt16(FixtureProcess.field("admin", in: admin.text)!.split(separator: ":").last!)!
        try demo.waitFor("state=nothing-to-restore", generation: 1)
        let pid = try demo.pid(ofGeneration: 1, marker: "listening=")
        try exhaust(port: port, pid: pid, path: "/")
        try exhaust(port: adminPort, pid: pid, path: "/ready")
        #expect(kill(pid, SIGTERM) == 0)
        try demo.waitFor("state=stopped", generation: 1)
    }

    @Test("1,000 slow clients on each server: / and /ready answer in < 100 ms, the slow ones are closed by the header timeout", .timeLimit(.minutes(2)))
    func slowClients() throws {
        let slowCount = 1000
        try HostileClients.requireDescriptors(2 * slowCount + 200)
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-demo-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: store) }
        let demo = try FixtureProcess(program: "handoff-demo", arguments: [
            "--listen", "127.0.0.1:0", "--state-dir", store.path, "--admin", "127.0.0.1:0", "--header-timeout-ms", "1500",
        ])
        let listening = try demo.waitFor("listening=", generation: 1)
        let port = UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!
        let admin = try demo.waitFor("admin=", generation: 1)
        let adminPort = UInt16(FixtureProcess.field("admin", in: admin.text)!.split(separator: ":").last!)!
        try demo.waitFor("state=nothing-to-restore", generation: 1)

        let slow = try HostileClients.connect(slowCount, to: port) + HostileClients.connect(slowCount, to: adminPort)
        defer { for fd in slow { close(fd) } }
        let home = try HTTPClient(port: port)
        let ready = try HTTPClient(port: adminPort)
        let header = Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8)
        var sent = 0
        var nextByte = ContinuousClock.now
        let end = ContinuousClock.now + .seconds(3)
        var latencies: [Double] = []
        var probes = 0
        while ContinuousClock.now < end {
            if ContinuousClock.now >= nextByte {
                // One header byte a second on every slow connection (a closed one just fails).
                for fd in slow { _ = header.withUnsafeBytes { send(fd, $0.baseAddress! + sent, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) } }
                sent += 1
                nextByte += .seconds(1)
            }
            let root = try HostileClients.timed(home, "/")
            let probe = try HostileClients.timed(ready, "/ready")
            #expect(root.status == 200 && probe.status == 200)
            latencies += [root.milliseconds, probe.milliseconds]
            probes += 1
        }
        #expect(probes > 10)
        latencies.sort()
        let summary = "median \(latencies[latencies.count / 2]) ms, 99th \(latencies[latencies.count * 99 / 100]) ms, slowest \(latencies.last!) ms over \(latencies.count) answers"
        #expect(latencies.last! < 100, "\(summary)")
        let closed = slow.filter { HostileClients.closedByServer($0) }.count
        #expect(closed == slow.count, "only \(closed) of \(slow.count) slow clients were closed by the header timeout")
        let pid = try demo.pid(ofGeneration: 1, marker: "listening=")
        #expect(kill(pid, SIGTERM) == 0)
        try demo.waitFor("state=stopped", generation: 1)
    }
}
