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

/// `handoffctl` against real processes and files: the exit status and what it prints are the
/// interface operators and scripts rely on.
@Suite("handoffctl", .serialized, .offCooperativePool)
struct HandoffCtlTests {
    /// A directory for a control socket that does not exist yet (the server makes it 0700).
    static func socketPath() throws -> (path: String, directory: URL) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-ctl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        return (base.appendingPathComponent("control/control.sock").path, base)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("upgrade exits 1 with the reason when the new binary exits before READY, then 0 with the new pid; status follows", .timeLimit(.minutes(1)))
    func upgrade() throws {
        let (socket, base) = try Self.socketPath()
        defer { try? FileManager.default.removeItem(at: base) }
        let fixture = try FixtureProcess(environment: ["FIXTURE_CONTROL_SOCKET": socket], plan: "exit-before-ready")
        let first = try fixture.waitFor("restored", generation: 1).pid

        let failed = try Ctl.run(["upgrade", "--socket", socket])
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.errors.contains("upgrade failed: childExited"), "\(failed)")
        #expect(failed.errors.contains("status 3"), "the reason names the new process's exit: \(failed)")
        #expect(FixtureProcess.isAlive(first))

        let status = try Ctl.run(["status", "--socket", socket, "--json"])
        #expect(status.status == 0, "\(status)")
        let before = try Self.json(status.output)
        #expect(before["pid"] as? Int == Int(first))
        #expect(before["generation"] as? Int == 1)
        #expect(before["state"] as? String == "serving")
        let names = (before["listeners"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names.contains("main") && names.contains("handoff-control"))

        try fixture.setPlan("ready")
        let upgraded = try Ctl.run(["upgrade", "--socket", socket, "--json"])
        #expect(upgraded.status == 0, "\(upgraded)")
        let second = try fixture.waitFor("event took-over", generation: 2).pid
        #expect(try Self.json(upgraded.output)["pid"] as? Int == Int(second))
        try fixture.waitUntilGone(first)

        let after = try Ctl.run(["status", "--socket", socket])
        #expect(after.status == 0, "\(after)")
        #expect(after.output.contains("pid          \(second)"))
        #expect(after.output.contains("generation   2"))
        #expect(after.output.contains("predecessor  \(first)"))
    }

    @Test("the control socket refuses a client of another uid: the directory first, SO_PEERCRED behind it", .timeLimit(.minutes(1)))
    func otherUser() throws {
        let (socket, base) = try Self.socketPath()
        defer { try? FileManager.default.removeItem(at: base) }
        let fixture = try FixtureProcess(environment: ["FIXTURE_CONTROL_SOCKET": socket])
        try fixture.waitFor("restored", generation: 1)
        let directory = (socket as NSString).deletingLastPathComponent
        let attributes = try FileManager.default.attributesOfItem(atPath: directory)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        #expect((try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int) == 0o600)

        // As created: nobody cannot even reach the socket.
        let blocked = try Ctl.run(["status", "--socket", socket], asUser: Ctl.nobody)
        #expect(blocked.status == 3, "\(blocked)")
        #expect(blocked.errors.contains("permissionDenied"), "\(blocked)")

        // Opened up by mistake: the server still refuses by the peer's uid.
        #expect(chmod(base.path, 0o755) == 0)
        #expect(chmod(directory, 0o755) == 0)
        #expect(chmod(socket, 0o666) == 0)
        let refused = try Ctl.run(["upgrade", "--socket", socket], asUser: Ctl.nobody)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.errors.contains("permissionDenied") && refused.errors.contains("uid 65534"), "\(refused)")
        #expect(fixture.allLines.allSatisfy { !$0.text.hasPrefix("event upgrade-started") }, "nobody's request must not start an upgrade")

        let root = try Ctl.run(["status", "--socket", socket])
        #expect(root.status == 0, "\(root)")
    }

    @Test("inspect: the current, older and JSON samples check out; the corrupt one is a checksum mismatch", arguments: [
        ("tally-v3.hoff", "ok", 3), ("tally-v1.hoff", "ok", 1), ("tally-v3-json.hoff", "ok", 3), ("tally-corrupt.hoff", "checksumMismatch", 3),
    ])
    func inspect(name: String, verdict: String, version: Int) throws {
        let file = SampleEnvelopes.directory.appendingPathComponent(name).path
        let result = try Ctl.run(["inspect", file, "--json"])
        #expect(result.status == (verdict == "ok" ? 0 : 1), "\(result)")
        let report = try Self.json(result.output)
        #expect(report["verdict"] as? String == verdict)
        #expect(report["label"] as? String == "tally")
        #expect(report["version"] as? Int == version)
        #expect(report["codec"] as? String == (name.contains("json") ? "json" : "binary"))
        #expect((report["producer"] as? [String: Any])?["host"] as? String == "fixture-host")
        let text = try Ctl.run(["inspect", file])
        #expect(text.output.contains("verdict   \(verdict == "ok" ? "ok" : "damaged: checksumMismatch")"), "\(text)")
    }

    @Test("every envelope in Fixtures is inspected; a truncated one and a non-envelope are refused by name")
    func inspectEverything() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: SampleEnvelopes.directory.path).filter { $0.hasSuffix(".hoff") }.sorted()
        #expect(files.count == 4)
        let all = try Ctl.run(["inspect"] + files.map { SampleEnvelopes.directory.appendingPathComponent($0).path })
        #expect(all.status == 1, "one of them is corrupt: \(all)")
        #expect(all.output.components(separatedBy: "verdict   ok").count - 1 == 3)

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-inspect-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let whole = try Data(contentsOf: SampleEnvelopes.directory.appendingPathComponent("tally-v3.hoff"))
        try whole.prefix(whole.count - 10).write(to: scratch.appendingPathComponent("cut.hoff"))
        try Data("not an envelope".utf8).write(to: scratch.appendingPathComponent("text.hoff"))
        let cut = try Self.json(try Ctl.run(["inspect", "--json", scratch.appendingPathComponent("cut.hoff").path]).output)
        #expect(cut["verdict"] as? String == "truncatedEnvelope")
        let text = try Ctl.run(["inspect", "--json", scratch.appendingPathComponent("text.hoff").path])
        #expect(text.status == 1)
        #expect(try Self.json(text.output)["verdict"] as? String == "badMagic")
        let missing = try Ctl.run(["inspect", scratch.appendingPathComponent("absent.hoff").path])
        #expect(missing.status == 3)
    }

    @Test("offers lists what waits in a directory store or an etcd cluster without taking it; a claimed etcd offer shows as claimed")
    func offers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-offers-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try DirectoryStore(directory: directory.path)
        try await store.offer(try SampleEnvelopes.envelope(Shapes.V1(count: 7), version: 1), ttl: nil)

        let listed = try Ctl.run(["offers", "--store", "dir:\(directory.path)", "--json"])
        #expect(listed.status == 0, "\(listed)")
        let offers = try #require(try Self.json(listed.output)["offers"] as? [[String: Any]])
        #expect(offers.count == 1)
        #expect(offers.first?["label"] as? String == "tally")
        #expect(offers.first?["state"] as? String == "offered")
        #expect(try await store.claim(label: "tally", key: "", readerVersion: 1) != nil, "listing took nothing")

        let server = try await EtcdTestServer.shared()
        let url = server.url + "/ctl-\(UUID().uuidString.prefix(8))"
        let cluster = try EtcdStore(configuration: EtcdConfiguration(parsing: url))
        try await cluster.offer(try SampleEnvelopes.envelope(Shapes.V1(count: 7), version: 1), ttl: nil)
        let inEtcd = try Ctl.run(["offers", "--store", url, "--json"])
        #expect(inEtcd.status == 0, "\(inEtcd)")
        let etcdOffers = try #require(try Self.json(inEtcd.output)["offers"] as? [[String: Any]])
        #expect(etcdOffers.map { $0["label"] as? String } == ["tally"])
        #expect(etcdOffers.first?["state"] as? String == "offered")
        let claim = try #require(try await cluster.claim(label: "tally", key: "", readerVersion: 1), "listing took nothing")
        let whileClaimed = try Ctl.run(["offers", "--store", url])
        #expect(whileClaimed.output.hasPrefix("claimed"), "\(whileClaimed)")
        try await cluster.commit(claim)
        #expect(try Ctl.run(["offers", "--store", url]).output.contains("no offers"))

        let unreachable = try Ctl.run(["offers", "--store", "etcd://127.0.0.1:1"])
        #expect(unreachable.status == 3, "\(unreachable)")
        let bad = try Ctl.run(["offers", "--store", "s3://bucket"])
        #expect(bad.status == 2, "\(bad)")
    }

    @Test("--help works everywhere; a wrong command line exits 2 and says what is wrong")
    func usage() throws {
        for command in ["upgrade", "status", "inspect", "offers"] {
            let help = try Ctl.run([command, "--help"])
            #expect(help.status == 0)
            #expect(help.output.hasPrefix("Usage: handoffctl \(command)"))
            #expect(help.output.contains("Exit status"))
        }
        #expect(try Ctl.run(["--help"]).status == 0)
        let unknown = try Ctl.run(["frobnicate"])
        #expect(unknown.status == 2 && unknown.errors.contains("unknown command frobnicate"))
        let missing = try Ctl.run(["status"])
        #expect(missing.status == 2 && missing.errors.contains("--socket"))
        let stray = try Ctl.run(["inspect", "x", "--store", "dir:/tmp"])
        #expect(stray.status == 2 && stray.errors.contains("does not take --store"))
    }
}
