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

/// A rolling deploy on an etcd store: three old instances replaced one by one by three new ones,
/// each new one started before an old one stops, requests counted on all of them throughout.
@Suite("handoff-demo: a rolling deploy keeps every count", .offCooperativePool)
struct DemoRollingDeployTests {
    @Test("3 old → 3 new, one at a time: the sum of the counters at the end equals the counted requests", .timeLimit(.minutes(2)))
    func rollingDeploy() async throws {
        let server = try await EtcdTestServer.shared()
        let url = server.url + "/rolling-\(UUID().uuidString.prefix(8))"
        var everyone: [FixtureProcess] = []
        var running: [(demo: FixtureProcess, client: HTTPClient)] = []
        func start() throws {
            let (demo, port) = try DemoMergeTests.startDemo(url)
            try demo.waitFor("state=", generation: 1)
            everyone.append(demo)
            running.append((demo, try HTTPClient(port: port)))
        }
        var counted = 0
        func burst() throws {
            for instance in running {
                for _ in 0..<10 {
                    let response = try instance.client.get("/count")
                    #expect(response.status == 200)
                    if response.status == 200 { counted += 1 }
                }
            }
        }
        func merges() -> Int {
            everyone.reduce(0) { $0 + $1.allLines.filter { $0.text.contains("event=state-merged name=handoff-demo.state/") }.count }
        }
        for _ in 0..<3 { try start() }
        try burst()
        for stopped in 1...3 {
            try start()  // the new one first
            try burst()
            let old = running.removeFirst()
            let pid = try old.demo.pid(ofGeneration: 1, marker: "listening=")
            #expect(kill(pid, SIGTERM) == 0)
            try old.demo.waitFor("state=offered", generation: 1)
            try old.demo.waitUntilGone(pid)
            try burst()
            try FixtureProcess.waitUntil("\(stopped) offers merged") { merges() >= stopped }
        }
        #expect(merges() == 3)
        // Each GET /count adds one: the three reads are counted too.
        let sum = try running.reduce(0) { $0 + (Int(try $1.client.get("/count").body) ?? -1_000_000) }
        #expect(sum == counted + 3, "sum \(sum), counted \(counted)")
        #expect(!everyone.contains { $0.allLines.contains { $0.text.contains("merge-failed") } })
        for instance in running {
            let pid = try instance.demo.pid(ofGeneration: 1, marker: "listening=")
            kill(pid, SIGTERM)
            try instance.demo.waitUntilGone(pid)
        }
    }
}
