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

/// The demo with `--store etcd://…`: what one instance gives up at a stop, another instance —
/// on another port, with a runtime directory of its own, as on another node — takes over.
@Suite("handoff-demo with an etcd store", .offCooperativePool)
struct EtcdDemoTests {
    /// Starts the demo on a free port with the etcd store at `url`.
    static func startDemo(_ url: String) throws -> (FixtureProcess, UInt16) {
        let demo = try FixtureProcess(program: "handoff-demo", arguments: ["--listen", "127.0.0.1:0", "--store", url])
        let listening = try demo.waitFor("listening=", generation: 1)
        return (demo, UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!)
    }

    @Test("an instance stopped with SIGTERM offers its state to etcd; another instance started later claims it and the counter goes on", .timeLimit(.minutes(1)))
    func counterMovesBetweenInstances() async throws {
        let server = try await EtcdTestServer.shared()
        let url = server.url + "/demo-\(UUID().uuidString.prefix(8))"
        let (first, firstPort) = try Self.startDemo(url)
        try first.waitFor("state=nothing-to-restore", generation: 1)
        let client = try HTTPClient(port: firstPort)
        for expected in 1...3 { #expect(try client.get("/count").body == "\(expected)") }
        #expect(kill(try first.pid(ofGeneration: 1, marker: "listening="), SIGTERM) == 0)
        try first.waitFor("state=offered count=3", generation: 1)
        try first.waitFor("state=stopped", generation: 1)
        let offered = try await EtcdHTTP.keys(server.endpoint, prefix: String(url.dropFirst(server.url.count)) + "/")
        // The demo's state and its metrics counters (carried across restarts too).
        #expect(offered.map { String($0.split(separator: "/offers/").last ?? "") }.sorted() == ["handoff-demo.state/", "handoff.metrics/"], "\(offered)")

        let (second, secondPort) = try Self.startDemo(url)
        #expect(secondPort != firstPort)
        try second.waitFor("state=restored count=3", generation: 1)
        #expect(try HTTPClient(port: secondPort).get("/count").body == "4")
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: String(url.dropFirst(server.url.count)) + "/").isEmpty)
        #expect(!first.allLines.contains { $0.text.contains("offered-to-fallback") })
    }
}
