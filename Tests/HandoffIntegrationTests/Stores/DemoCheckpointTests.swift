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

/// The demo with `--checkpoint-interval`: an instance killed with SIGKILL loses nothing it had
/// checkpointed; a running instance merges its last checkpoint after the lease TTL, once.
@Suite("handoff-demo: a killed instance's checkpoint is merged", .offCooperativePool)
struct DemoCheckpointTests {
    struct DemoShape: Codable { var count: Int; var values: [String: String] }

    /// The count in a checkpoint of the demo's state under `prefix`, if there is one.
    static func checkpointedCount(_ endpoint: String, prefix: String) async throws -> Int? {
        let start = prefix + "/checkpoints/handoff-demo.state/"
        let end = String(start.dropLast()) + "0"
        let answer = try await EtcdHTTP.post(endpoint, "/v3/kv/range", #"{"key":"\#(EtcdHTTP.base64(start))","range_end":"\#(EtcdHTTP.base64(end))"}"#)
        struct Range: Decodable { struct KV: Decodable { var key: String; var value: String? }; var kvs: [KV]? }
        let range = try JSONDecoder().decode(Range.self, from: Data(answer.body.utf8))
        guard let value = range.kvs?.first(where: { !String(decoding: Data(base64Encoded: $0.key)!, as: UTF8.self).hasSuffix("/claim") })?.value,
              let bytes = Data(base64Encoded: value) else { return nil }
        let envelope = try Envelope(decoding: Array(bytes))
        return try StateCodec.decode(DemoShape.self, from: envelope.payload, codec: envelope.header.codec).count
    }

    @Test("etcd: A checkpoints, is SIGKILLed; while it lived nobody could claim it; B merges its last checkpoint once, after the lease TTL", .timeLimit(.minutes(1)))
    func killedHolder() async throws {
        let server = try await EtcdTestServer.shared()
        let prefix = "/ckpt-\(UUID().uuidString.prefix(8))"
        let url = server.url + prefix
        let a = try FixtureProcess(program: "handoff-demo", arguments: ["--listen", "127.0.0.1:0", "--store", url, "--checkpoint-interval", "0.2"])
        let listening = try a.waitFor("listening=", generation: 1)
        let clientA = try HTTPClient(port: UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!)
        let (b, portB) = try DemoMergeTests.startDemo(url)
        try b.waitFor("state=", generation: 1)
        let clientB = try HTTPClient(port: portB)
        for expected in 1...3 { #expect(try clientA.get("/count").body == "\(expected)") }
        #expect(try clientB.get("/count").body == "1")
        let deadline = ContinuousClock.now + .seconds(10)
        while try await Self.checkpointedCount(server.endpoint, prefix: prefix) != 3 {
            guard ContinuousClock.now < deadline else { Issue.record("no checkpoint of count 3"); return }
            try await Task.sleep(for: .milliseconds(20))  // polling with a deadline
        }
        // While A lives, its checkpoint is not claimable.
        var configuration = EtcdConfiguration(endpoints: [server.endpoint])
        configuration.keyPrefix = prefix
        #expect(try await EtcdStore(configuration: configuration).claimCheckpoint(label: "handoff-demo.state", key: "", readerVersion: 1) == nil)
        #expect(kill(listening.pid, SIGKILL) == 0)
        try b.waitFor("event=state-merged name=handoff-demo.state/ producer=\(listening.pid)", generation: 1, timeout: .seconds(30))
        #expect(try clientB.get("/count").body == "5")
        #expect(b.allLines.filter { $0.text.contains("event=state-merged") }.count == 1)
        kill(try b.pid(ofGeneration: 1, marker: "listening="), SIGTERM)
    }

    @Test("directory store shared on one host: A checkpoints and is SIGKILLed; B merges its last checkpoint once A is gone", .timeLimit(.minutes(1)))
    func killedHolderDirectory() throws {
        let directory = try TemporaryStoreDirectory()
        let store = "dir:" + directory.path
        let a = try FixtureProcess(program: "handoff-demo", arguments: ["--listen", "127.0.0.1:0", "--store", store, "--checkpoint-interval", "0.2"])
        let listening = try a.waitFor("listening=", generation: 1)
        let clientA = try HTTPClient(port: UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!)
        let (b, portB) = try DemoMergeTests.startDemo(store)
        try b.waitFor("state=", generation: 1)
        let clientB = try HTTPClient(port: portB)
        for expected in 1...3 { #expect(try clientA.get("/count").body == "\(expected)") }
        #expect(try clientB.get("/count").body == "1")
        // A's checkpoint of count 3: its file, named after A, holding that count.
        let name = DirectoryStoreLayout.stem(label: "handoff-demo.state", key: "") + "+ckpt+\(listening.pid)+"
        try FixtureProcess.waitUntil("a checkpoint of count 3") {
            guard let file = directory.names().first(where: { $0.hasPrefix(name) }),
                  let bytes = FileManager.default.contents(atPath: directory.path + "/" + file),
                  let envelope = try? Envelope(decoding: Array(bytes)),
                  let state = try? StateCodec.decode(DemoShape.self, from: envelope.payload, codec: envelope.header.codec) else { return false }
            return state.count == 3
        }
        #expect(!b.allLines.contains { $0.text.contains("event=state-merged") }, "not claimable while A lives")
        #expect(kill(listening.pid, SIGKILL) == 0)
        try b.waitFor("event=state-merged name=handoff-demo.state/ producer=\(listening.pid)", generation: 1, timeout: .seconds(20))
        #expect(try clientB.get("/count").body == "5")
        #expect(b.allLines.filter { $0.text.contains("event=state-merged") }.count == 1)
        #expect(!directory.names().contains { $0.hasPrefix(name) })
        kill(try b.pid(ofGeneration: 1, marker: "listening="), SIGTERM)
    }
}
