import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// The keeper reads sd_notify datagrams in place; what it acts on and what it passes upward.
@Suite("keeper notification messages", .offCooperativePool)
struct KeeperMessageTests {
    private func parse(_ text: String) -> KeeperMessage {
        Array(text.utf8).withUnsafeBytes { KeeperMessage($0) }
    }

    private func upstream(_ text: String) -> String {
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { output.deallocate() }
        let count = Array(text.utf8).withUnsafeBytes { KeeperMessage.upstreamLines(of: $0, into: output) }
        return String(decoding: output[0..<count], as: UTF8.self)
    }

    @Test("MAINPID=, READY=1 and STOPPING=1 are read wherever they stand in the message")
    func assignments() {
        #expect(parse("MAINPID=4242") == KeeperMessage(ready: false, stopping: false, mainPID: 4242))
        #expect(parse("STATUS=generation 2: serving\nREADY=1") == KeeperMessage(ready: true, stopping: false, mainPID: nil))
        #expect(parse("STOPPING=1\nSTATUS=stopping") == KeeperMessage(ready: false, stopping: true, mainPID: nil))
    }

    @Test("a MAINPID that is not a positive number, or READY with another value, is not acted on")
    func malformed() {
        #expect(parse("MAINPID=0").mainPID == nil)
        #expect(parse("MAINPID=-3").mainPID == nil)
        #expect(parse("MAINPID=12ab").mainPID == nil)
        #expect(parse("MAINPID=").mainPID == nil)
        #expect(parse("MAINPID=99999999999").mainPID == nil)
        #expect(parse("READY=10").ready == false)
        #expect(parse("XREADY=1").ready == false)
    }

    @Test("what goes upward leaves out MAINPID and the descriptor store, and never overruns the buffer")
    func upstreamFilter() {
        #expect(upstream("MAINPID=7") == "")
        #expect(upstream("RELOADING=1\nMONOTONIC_USEC=5\nSTATUS=x") == "RELOADING=1\nMONOTONIC_USEC=5\nSTATUS=x")
        #expect(upstream("FDSTORE=1\nFDNAME=listener\nREADY=1") == "READY=1")
        #expect(upstream("READY=1\n" + String(repeating: "S", count: 100)) == "READY=1")
    }

    @Test("HANDOFF_KEEPER names a mode, or is refused with a reason")
    func modes() throws {
        #expect(try KeeperMode(parsing: "off") == .off)
        #expect(try KeeperMode(parsing: "ALWAYS") == .always)
        #expect(try KeeperMode(parsing: "") == .automatic)
        #expect(throws: HandoffError.self) { try KeeperMode(parsing: "sometimes") }
    }
}
