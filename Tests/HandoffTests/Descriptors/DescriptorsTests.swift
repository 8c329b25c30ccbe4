import Foundation
import Glibc
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

@Suite("The descriptor registry", .offCooperativePool)
struct DescriptorsTests {
    @Test("a name is held once; a second registration is refused")
    func duplicate() throws {
        let descriptors = Descriptors()
        defer { descriptors.closeAll() }
        let address = try SocketEndpoint(parsing: "127.0.0.1:0")
        _ = try descriptors.listener(address)
        #expect {
            try descriptors.listener(address)
        } throws: { error in
            (error as? HandoffError)?.code == .duplicateName
        }
    }

    @Test("an inherited descriptor that is not what its name promises is refused")
    func mismatch() throws {
        let descriptors = Descriptors()
        defer { descriptors.closeAll() }
        let file = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let record = DescriptorRecord(name: "listener:127.0.0.1:0", kind: .listener, address: "127.0.0.1:0", extra: [])
        descriptors.addInherited([Descriptors.Entry(record: record, fd: file, bound: nil)])
        #expect {
            try descriptors.listener(try SocketEndpoint(parsing: "127.0.0.1:0"))
        } throws: { error in
            (error as? HandoffError)?.code == .descriptorMismatch
        }
    }

    @Test("a stale Unix socket path is replaced; a live one is refused")
    func staleUnixPath() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock").path
        let first = Descriptors()
        _ = try first.listener(.unix(path: path))
        let second = Descriptors()
        #expect {
            try second.listener(.unix(path: path))
        } throws: { error in
            (error as? HandoffError)?.errno == .addressInUse
        }
        first.closeAll()  // removes the path: nobody took it over
        #expect(!FileManager.default.fileExists(atPath: path))

        // Leave a dead socket file behind and bind over it.
        let dead = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try SocketEndpoint.unix(path: path).withSockAddr { address, length in _ = bind(dead, address, length) }
        close(dead)
        #expect(FileManager.default.fileExists(atPath: path))
        _ = try second.listener(.unix(path: path))
        second.closeAll()
    }

    @Test("a replaced process closes its descriptors without removing a Unix socket's path")
    func replacedKeepsPath() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-\(getpid())-r.sock").path
        let descriptors = Descriptors()
        _ = try descriptors.listener(.unix(path: path))
        descriptors.markReplaced()
        descriptors.closeAll()
        #expect(FileManager.default.fileExists(atPath: path))
        unlink(path)
    }

    @Test("inherited descriptors nobody claimed are closed when the process is ready; claimed ones stay open")
    func unclaimedClosed() throws {
        let descriptors = Descriptors()
        defer { descriptors.closeAll() }
        let claimed = open("/dev/null", O_RDONLY | O_CLOEXEC)
        // The unclaimed one is a pipe's read end: its closing shows at the write end, whatever
        // other tests do with descriptor numbers meanwhile.
        var pipeEnds: [Int32] = [-1, -1]
        #expect(pipe(&pipeEnds) == 0)
        let unclaimed = pipeEnds[0]
        defer { close(pipeEnds[1]) }
        descriptors.addInherited([
            Descriptors.Entry(record: DescriptorRecord(name: "file:/dev/null", kind: .file, address: "/dev/null", extra: []), fd: claimed, bound: nil),
            Descriptors.Entry(record: DescriptorRecord(name: "old", kind: .file, address: "/dev/null", extra: []), fd: unclaimed, bound: nil),
        ])
        #expect(try descriptors.file("/dev/null", flags: O_RDONLY) == claimed)
        #expect(descriptors.closeUnclaimed() == ["old"])
        var writer = pollfd(fd: pipeEnds[1], events: Int16(POLLOUT), revents: 0)
        #expect(poll(&writer, 1, 0) == 1 && writer.revents & Int16(POLLERR) != 0, "the read end is still open")
        #expect(fcntl(claimed, F_GETFD) != -1)
        #expect(descriptors.names == ["file:/dev/null"])
    }
}
