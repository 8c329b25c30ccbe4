import Foundation
import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

@Suite("Admin endpoint", .serialized, .offCooperativePool)
struct AdminServerTests {
    /// An admin server on a free loopback port in front of `services`, with short timeouts.
    static func start(_ services: [any ManagedService], requestTimeout: Duration = .seconds(10)) async throws -> (ServiceRunner, UInt16, Task<Void, any Error>) {
        var configuration = AdminConfiguration(isEnabled: true, address: "127.0.0.1:0")
        configuration.requestTimeout = requestTimeout
        let admin = try AdminServer(configuration: configuration)
        let runner = ServiceRunner(services: [admin] + services, configuration: .quiet)
        let task = Task { try await runner.run() }
        await eventually { runner.isReady }
        return (runner, try #require(admin.boundAddress?.port), task)
    }

    @Test("/ready, /health and /debug/services answer from the runner; unknown paths get 404 and other methods 405")
    func routes() async throws {
        let journal = Journal()
        let (runner, port, task) = try await Self.start([ScriptedService(name: "worker", journal: journal)])
        let client = try HTTPClient(port: port)
        #expect(try client.get("/ready") == (200, "ready"))
        runner.health.report(.degraded("slow disk"), for: "worker")
        let health = try client.get("/health")
        #expect(health.status == 200)
        #expect(health.body.contains(#"{"name":"worker","status":"degraded","reason":"slow disk"}"#))
        runner.health.report(.unhealthy("disk gone"), for: "worker")
        #expect(try client.get("/health").status == 503)
        let services = try client.get("/debug/services")
        #expect(services.body.contains(#"{"name":"worker","state":"running","health":"unhealthy","reason":"disk gone"}"#))
        #expect(try client.get("/nope").status == 404)
        try client.send("POST /ready HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        #expect(try client.response().status == 405)
        runner.stop()
        try await task.value
    }

    @Test("/ready turns 503 as soon as an upgrade's drain starts, and 200 again after a rollback")
    func readyDuringDrain() async throws {
        let journal = Journal()
        let (runner, port, task) = try await Self.start([ScriptedService(name: "upgrader", journal: journal), ScriptedService(name: "worker", journal: journal)])
        let client = try HTTPClient(port: port)
        #expect(try client.get("/ready").status == 200)
        let participant = RunnerUpgradeParticipant(runner: runner, boundary: 1)
        _ = try await participant.drain()
        #expect(try client.get("/ready") == (503, "not ready: draining for an upgrade"))
        await participant.resume([])
        #expect(try client.get("/ready").status == 200)
        runner.stop()
        try await task.value
    }

    @Test("/metrics parses line by line as the Prometheus exposition format, escapes label values, and counts")
    func metrics() async throws {
        let journal = Journal()
        let (runner, port, task) = try await Self.start([ScriptedService(name: "worker", journal: journal)])
        let counter = runner.metrics.counter("app_requests_total", help: "Requests.\nSecond line \\ backslash.")
        counter.increment(by: 3, labels: ["route": "/a \"quoted\"\nline\\"])
        counter.increment(labels: ["route": "/b"])
        let client = try HTTPClient(port: port)
        let answer = try client.get("/metrics")
        #expect(answer.status == 200)
        let parsed = try ExpositionParser.parse(answer.body + "\n")
        #expect(parsed.value("app_requests_total", ["route": "/a \"quoted\"\nline\\"]) == 3)
        #expect(parsed.value("app_requests_total", ["route": "/b"]) == 1)
        #expect(parsed.types["app_requests_total"] == "counter")
        #expect(parsed.value("handoff_service_state", ["service": "worker", "state": "running"]) == 1)
        #expect(parsed.value("handoff_service_state", ["service": "worker", "state": "stopped"]) == 0)
        #expect(parsed.value("handoff_ready") == 1)
        #expect((parsed.value("process_open_fds") ?? 0) > 3)
        #expect((parsed.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        let start = try #require(parsed.value("process_start_time_seconds"))
        #expect(abs(start - Date().timeIntervalSince1970) < 3600)
        runner.stop()
        try await task.value
    }

    @Test("the exposition test parser refuses what is not the format")
    func parserRefuses() {
        #expect(throws: ExpositionParser.Failure.self) { try ExpositionParser.parse("x_total 1\n") }
        #expect(throws: ExpositionParser.Failure.self) { try ExpositionParser.parse("# TYPE x counter\nx 1\n") }
        #expect(throws: ExpositionParser.Failure.self) { try ExpositionParser.parse("# TYPE x gauge\nx{a=\"b} 1\n") }
        #expect(throws: ExpositionParser.Failure.self) { try ExpositionParser.parse("# TYPE x gauge\nx{a=\"\\q\"} 1\n") }
        #expect(throws: ExpositionParser.Failure.self) { try ExpositionParser.parse("# TYPE x gauge\nx one\n") }
    }
}
