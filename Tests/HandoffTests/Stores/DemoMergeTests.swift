import Foundation
import Testing
@testable import Handoff

/// Two demo instances on one store serve at once; when one stops, the other takes its state
/// over while it runs and its counter goes on from the sum.
@Suite("handoff-demo: a running instance merges a stopped one's state", .offCooperativePool)
struct DemoMergeTests {
    static func startDemo(_ store: String) throws -> (FixtureProcess, UInt16) {
        let demo = try FixtureProcess(program: "handoff-demo", arguments: ["--listen", "127.0.0.1:0", "--store", store])
        let listening = try demo.waitFor("listening=", generation: 1)
        return (demo, UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!)
    }

    /// A counts 3, B counts 2; SIGTERM A; B merges A's 3 once: its next count is 6.
    static func stopOneMergeIntoOther(store: String) throws {
        let (a, portA) = try startDemo(store)
        let (b, portB) = try startDemo(store)
        try a.waitFor("state=", generation: 1)
        try b.waitFor("state=", generation: 1)
        let clientA = try HTTPClient(port: portA), clientB = try HTTPClient(port: portB)
        for expected in 1...3 { #expect(try clientA.get("/count").body == "\(expected)") }
        for expected in 1...2 { #expect(try clientB.get("/count").body == "\(expected)") }
        #expect(kill(try a.pid(ofGeneration: 1, marker: "listening="), SIGTERM) == 0)
        try a.waitFor("state=offered count=3", generation: 1)
        let merged = try b.waitFor("event=state-merged name=handoff-demo.state/", generation: 1)
        #expect(merged.text.contains("producer=\(try a.pid(ofGeneration: 1, marker: "listening="))"))
        #expect(try clientB.get("/count").body == "6")
        #expect(b.allLines.filter { $0.text.contains("event=state-merged name=handoff-demo.state/") }.count == 1)
        #expect(!b.allLines.contains { $0.text.contains("merge-failed") })
    }

    @Test("etcd: A and B running; SIGTERM A; B's count is its own plus A's, merged once", .timeLimit(.minutes(1)))
    func etcd() async throws {
        let server = try await EtcdTestServer.shared()
        let url = server.url + "/merge-\(UUID().uuidString.prefix(8))"
        try Self.stopOneMergeIntoOther(store: url)
    }

    @Test("directory store shared by two processes on one host: the same", .timeLimit(.minutes(1)))
    func directory() throws {
        let directory = try TemporaryStoreDirectory()
        try Self.stopOneMergeIntoOther(store: "dir:" + directory.path)
    }
}
