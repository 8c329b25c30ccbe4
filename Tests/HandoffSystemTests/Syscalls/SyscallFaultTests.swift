import Glibc
import Testing
@testable import HandoffSystem
@testable import HandoffTestSupport

/// The seam itself: which injected failures it retries and which reach the caller. (What they do
/// to the stores and descriptors above it: Tests/HandoffTests/Platform/SyscallFaultTests.swift.)
@Suite("System calls that fail: EINTR, ENOSPC, EMFILE, EAGAIN injected at the seam", .offCooperativePool)
struct SyscallFaultTests {
    @Test("EAGAIN is not retried as EINTR is: the caller sees it, typed")
    func wouldBlockReachesTheCaller() throws {
        let faults = SyscallFaults([.init("getpid", .wouldBlock)])
        let error = #expect(throws: HandoffError.self) {
            try faults.inject { try Syscall.check("getpid") { getpid() } }
        }
        #expect(error?.errno == .wouldBlock)
        // Outside the scope nothing is injected.
        #expect(try Syscall.check("getpid") { getpid() } == getpid())
    }
}
