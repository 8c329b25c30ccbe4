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

/// A state checkpoint is a snapshot: the jobs mailbox it copies goes on taking and delivering
/// jobs (it used to be sealed by the first checkpoint, refusing every POST /jobs).
@Suite("handoff-demo --fd-store --jobs-log", .offCooperativePool)
struct CheckpointJobsTests {
    @Test("jobs are accepted and done while state checkpoints run", .timeLimit(.minutes(1)))
    func jobsFlowThroughCheckpoints() throws {
        let notify = try NotifySocket()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-ckpt-jobs-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try FixtureProcess(
            program: "handoff-demo",
            arguments: ["--listen", "127.0.0.1:0", "--fd-store", "--jobs-log", directory.appendingPathComponent("jobs.log").path,
                        "--state-dir", directory.appendingPathComponent("state").path],
            environment: ["NOTIFY_SOCKET": notify.path])
        let listening = try demo.waitFor("listening=", generation: 1)
        let client = try HTTPClient(port: UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!)
        var received: [NotifySocket.Message] = []
        defer { for message in received { message.descriptors.forEach { close($0) } } }
        func checkpoint() throws {
            let found = try notify.waitFor { $0.lines.first == "FDSTORE=1" && $0.value("FDNAME")?.hasPrefix("handoff-state-") == true }
            received += found.skipped + [found.match]
        }
        func post(_ count: Int) throws {
            for _ in 0..<count {
                try client.send("POST /jobs HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
                let response = try client.response()
                #expect(response.status == 202, "\(response.body)")
            }
        }
        try checkpoint()  // the first one, right after READY=1
        try post(50)
        try checkpoint()  // the next one, 5 s later
        try post(50)
        var jobs: [String: Int] = [:]
        try FixtureProcess.waitUntil("100 jobs done") {
            jobs = DemoJobsTests.counts((try? client.get("/jobs").body) ?? "")
            return jobs["done"] == 100
        }
        #expect(jobs["accepted"] == 100 && jobs["pending"] == 0)
        #expect(kill(listening.pid, SIGTERM) == 0)
        try demo.waitUntilGone(listening.pid)
    }
}
