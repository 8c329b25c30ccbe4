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

@Suite("handoff-demo's admin endpoint", .serialized, .offCooperativePool)
struct DemoAdminTests {
    @Test("handoff-demo --admin serves /ready and /metrics for its state, admin, upgrader and HTTP services", .timeLimit(.minutes(1)))
    func demoAdmin() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-demo-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: store) }
        let demo = try FixtureProcess(program: "handoff-demo", arguments: ["--listen", "127.0.0.1:0", "--state-dir", store.path, "--admin", "127.0.0.1:0"])
        let admin = try demo.waitFor("admin=", generation: 1)
        let port = UInt16(FixtureProcess.field("admin", in: admin.text)!.split(separator: ":").last!)!
        try demo.waitFor("state=nothing-to-restore", generation: 1)
        let client = try HTTPClient(port: port)
        #expect(try client.get("/ready").status == 200)
        let metrics = try ExpositionParser.parse(try client.get("/metrics").body + "\n")
        #expect(metrics.value("handoff_generation") == 1)
        for service in ["admin", "upgrader", "http"] {
            #expect(metrics.value("handoff_service_state", ["service": service, "state": "running"]) == 1, "\(service)")
        }
        let pid = try demo.pid(ofGeneration: 1, marker: "admin=")
        #expect(kill(pid, SIGTERM) == 0)
        try demo.waitFor("state=offered", generation: 1)
        try demo.waitFor("state=stopped", generation: 1)
        try demo.waitUntilGone(pid)
    }
}
