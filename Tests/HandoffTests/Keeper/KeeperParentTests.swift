import Testing
@testable import Handoff
@testable import HandoffTestSupport

/// The keeper tells its own processes by the parent in `/proc/<pid>/stat`: when it accepts a
/// `MAINPID=`, and when it ends what is left as a subreaper.
@Suite("the parent pid in /proc/<pid>/stat", .offCooperativePool)
struct KeeperParentTests {
    private func parent(_ text: String) -> Int32? {
        Array(text.utf8).withUnsafeBytes { KeeperLoop.parentPID(inStat: $0) }
    }

    @Test("read after the last ')': a command name may hold parentheses, spaces and digits")
    func afterTheCommandName() {
        #expect(parent("1234 (handoff-demo) S 1 1234 1 0 -1 4194560 0\n") == 1)
        #expect(parent("77 (a) S 9 (b)) R 42 77 77 0\n") == 42)
        #expect(parent("5 (12 34) Z 3120 5 5\n") == 3120)
    }

    @Test("a text without a parent pid has none")
    func noParent() {
        #expect(parent("") == nil)
        #expect(parent("1234 handoff-demo S 1") == nil)
        #expect(parent("1234 (handoff-demo) S") == nil)
        #expect(parent("1234 (handoff-demo) S x") == nil)
    }
}
