import Testing
@testable import HandoffSystem

/// The named wrappers of the seam: each retries `EINTR`, names its call, and reports the
/// `errno` of a failure typed — proven by making the real call fail in-process.
@Suite("The syscall seam's wrappers retry EINTR and report a typed errno")
struct SyscallSeamTests {
    @Test("poll is retried through EINTR and still reports the readable end")
    func pollRetriesInterrupts() throws {
        let (left, right) = try Syscall.socketPair()
        defer { Syscall.close(left); Syscall.close(right) }
        let sent = try [UInt8(7)].withUnsafeBytes { try Syscall.sendMessage(left, $0, descriptors: []) }
        #expect(sent == 1)
        let faults = SyscallFaults([.init("poll", .interrupted, times: 2)])
        var fds = [PollDescriptor(right, .readable)]
        let ready = try faults.inject { try Syscall.poll(&fds, timeoutMilliseconds: 1000, "poll(seam test)") }
        #expect(ready == 1)
        #expect(fds[0].returned.contains(.readable))
        #expect(faults.unused.isEmpty)
    }

    @Test("recvmsg with descriptors: EINTR is retried, EMFILE is thrown typed and named, and the message then arrives with its descriptor")
    func receiveMessageReportsTypedErrno() throws {
        let (left, right) = try Syscall.socketPair()
        defer { Syscall.close(left); Syscall.close(right) }
        let (passedA, passedB) = try Syscall.socketPair()
        defer { Syscall.close(passedA); Syscall.close(passedB) }
        let sent = try [UInt8(1), 2, 3].withUnsafeBytes { try Syscall.sendMessage(left, $0, descriptors: [passedA]) }
        #expect(sent == 3)

        var buffer = [UInt8](repeating: 0, count: 16)
        var slots = [CInt](repeating: -1, count: Syscall.maxDescriptorsPerMessage)
        let refusing = SyscallFaults([.init("recvmsg", .tooManyOpenFiles)])
        let error = #expect(throws: HandoffError.self) {
            try refusing.inject {
                try buffer.withUnsafeMutableBytes { try Syscall.receiveMessage(right, into: $0, descriptors: &slots, "recvmsg(seam test)") }
            }
        }
        #expect(error?.code == .systemCall)
        #expect(error?.errno == .tooManyOpenFiles)
        #expect(error?.reason.hasPrefix("recvmsg(seam test)") == true)

        let interrupting = SyscallFaults([.init("recvmsg", .interrupted, times: 3)])
        let received = try interrupting.inject {
            try buffer.withUnsafeMutableBytes { try Syscall.receiveMessage(right, into: $0, descriptors: &slots) }
        }
        let message = try #require(received)
        #expect(interrupting.unused.isEmpty)
        #expect(message.count == 3)
        #expect(Array(buffer.prefix(3)) == [1, 2, 3])
        #expect(message.descriptorCount == 1)
        #expect(!message.truncated)
        let arrived = slots[0]
        defer { Syscall.close(arrived) }
        #expect(try Syscall.status(arrived).kind == .socket)
    }

    @Test("a send that would block answers nil, not an error; a broken pipe is thrown typed")
    func sendDistinguishesWouldBlockFromFailure() throws {
        let (left, right) = try Syscall.socketPair()
        defer { Syscall.close(left); Syscall.close(right) }
        let byte: [UInt8] = [42]
        let blocked = SyscallFaults([.init("sendmsg", .wouldBlock)])
        let none = try blocked.inject { try byte.withUnsafeBytes { try Syscall.sendMessage(left, $0, descriptors: []) } }
        #expect(none == nil)
        #expect(blocked.unused.isEmpty)
        let broken = SyscallFaults([.init("sendmsg", .brokenPipe)])
        let error = #expect(throws: HandoffError.self) {
            try broken.inject { try byte.withUnsafeBytes { try Syscall.sendMessage(left, $0, descriptors: []) } }
        }
        #expect(error?.errno == .brokenPipe)
        #expect(error?.reason.hasPrefix("sendmsg") == true)
    }

    @Test("a file written through the seam survives interrupted writes; a full disk at fsync is named with its path")
    func filesReportTypedErrno() throws {
        let directory = try Syscall.makeTemporaryDirectory("/tmp/handoff-seam-XXXXXX")
        defer { Syscall.removeDirectoryQuietly(directory) }
        let path = directory + "/file"
        defer { Syscall.removeQuietly(path) }
        let fd = try Syscall.open(path, [.writeOnly, .create, .exclusive])
        defer { Syscall.close(fd) }
        let interrupted = SyscallFaults([.init("write", .interrupted, times: 2)])
        try interrupted.inject { try Syscall.writeAll(fd, Array("hello".utf8), "write(\(path))") }
        #expect(interrupted.unused.isEmpty)
        #expect(try Syscall.status(fd).size == 5)

        let full = SyscallFaults([.init("fsync", .noSpace)])
        let error = #expect(throws: HandoffError.self) {
            try full.inject { try Syscall.fsync(fd, "fsync(\(path))") }
        }
        #expect(error?.errno == .noSpace)
        #expect(error?.reason.contains(path) == true)
        #expect(try Syscall.unlinkIfPresent(path))
        #expect(try !Syscall.unlinkIfPresent(path))
    }
}
