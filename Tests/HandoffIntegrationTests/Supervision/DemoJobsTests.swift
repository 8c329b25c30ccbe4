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

/// The demo's jobs pipeline (web request → transform → persist, workers under a supervisor)
/// through a real upgrade and a stop and start.
@Suite("handoff-demo's jobs pipeline", .serialized, .offCooperativePool)
struct DemoJobsTests {
    /// `{"accepted":…,…}` → its fields.
    static func counts(_ body: String) -> [String: Int] {
        var fields: [String: Int] = [:]
        for pair in body.trimmingCharacters(in: CharacterSet(charactersIn: "{}\n")).split(separator: ",") {
            let parts = pair.split(separator: ":")
            if parts.count == 2 { fields[parts[0].trimmingCharacters(in: CharacterSet(charactersIn: "\""))] = Int(parts[1]) }
        }
        return fields
    }

    @Test("every job accepted before, during and after an upgrade and a restart is persisted exactly once", .timeLimit(.minutes(1)))
    func exactlyOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-jobs-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("jobs.log")
        let arguments = ["--listen", "127.0.0.1:0", "--state-dir", directory.appendingPathComponent("state").path, "--jobs-log", log.path]
        let demo = try FixtureProcess(program: "handoff-demo", arguments: arguments)
        let listening = try demo.waitFor("listening=", generation: 1)
        let port = UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!

        let client = try HTTPClient(port: port)
        func post(_ count: Int) throws {
            for _ in 0..<count {
                try client.send("POST /jobs HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
                #expect(try client.response().status == 202)
            }
        }
        try post(300)
        #expect(kill(listening.pid, SIGHUP) == 0)
        try post(300)  // answered by one generation or the other, the connection moving across
        try demo.waitFor("event=took-over", generation: 2)
        try demo.waitUntilGone(listening.pid)
        try post(300)

        var jobs: [String: Int] = [:]
        let deadline = ContinuousClock.now + .seconds(20)
        repeat {
            jobs = Self.counts(try client.get("/jobs").body)
            if jobs["pending"] == 0 && jobs["done"] == 900 { break }
            usleep(2_000)  // polling with a deadline
        } while ContinuousClock.now < deadline
        #expect(jobs["accepted"] == 900 && jobs["done"] == 900 && jobs["pending"] == 0)
        // The first delivery of every 50th job fails: 18 failures, each restarting a worker —
        // but one whose failure the supervisor learns of after the drain began is not restarted.
        #expect((1...18).contains(jobs["restarts"] ?? 0))
        let ids = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
        #expect(ids.sorted() == Array(0..<900))

        // Stopped, then started again: the counts come back from the state directory.
        let second = try demo.pid(ofGeneration: 2, marker: "event=took-over")
        #expect(kill(second, SIGTERM) == 0)
        try demo.waitFor("state=stopped", generation: 2)
        try demo.waitUntilGone(second)
        let restarted = try FixtureProcess(program: "handoff-demo", arguments: arguments)
        let again = try restarted.waitFor("listening=", generation: 1)
        let fresh = try HTTPClient(port: UInt16(FixtureProcess.field("listening", in: again.text)!.split(separator: ":").last!)!)
        #expect(Self.counts(try fresh.get("/jobs").body)["accepted"] == 900)
        try fresh.send("POST /jobs HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        #expect(try fresh.response().body == #"{"id":900}"#)
    }
}
