import Foundation
import Testing

/// The demo server through real upgrades: its keep-alive connections move to the successor.
@Suite("handoff-demo across upgrades", .serialized)
struct DemoUpgradeTests {
    @Test("an idle keep-alive connection and a half-sent request are answered by the new process, never reset", .timeLimit(.minutes(1)))
    func connectionsSurvive() throws {
        let demo = try FixtureProcess(program: "handoff-demo", arguments: ["--listen", "127.0.0.1:0"])
        let listening = try demo.waitFor("listening=", generation: 1)
        let port = UInt16(FixtureProcess.field("listening", in: listening.text)!.split(separator: ":").last!)!
        let first = try demo.pid(ofGeneration: 1, marker: "listening=")

        let idle = try HTTPClient(port: port)
        let halfway = try HTTPClient(port: port)
        #expect(try idle.get("/").body == "pid=\(first) generation=1")
        #expect(try halfway.get("/count").body == "1")
        try halfway.send("GET / HTTP/1.1\r\nHo")  // the rest comes after the upgrade

        #expect(kill(first, SIGHUP) == 0)
        let second = try demo.waitFor("event=took-over", generation: 2).pid
        try demo.waitUntilGone(first)

        #expect(try idle.get("/").body == "pid=\(second) generation=2")
        try halfway.send("st: test\r\n\r\n")
        #expect(try halfway.response().body == "pid=\(second) generation=2")
        #expect(try halfway.get("/").status == 200)
        let handedOver = try demo.waitFor("state=adopted", generation: 2)
        #expect(handedOver.text.contains("connections=2"))

        // A graceful stop exits 0 and closes the connections it holds.
        #expect(kill(second, SIGTERM) == 0)
        try demo.waitFor("state=stopped", generation: 2)
        try demo.waitUntilGone(second)
        #expect(throws: HTTPClient.Failure.self) { try idle.get("/") }
    }
}
