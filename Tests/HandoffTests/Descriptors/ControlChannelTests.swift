import CHandoff
import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// The control channel over a real socket pair, in one process.
@Suite("Descriptors over a control channel", .offCooperativePool(background: true))
struct ControlChannelTests {
    private func pair(expectPeer peer: pid_t? = getpid(), acceptsDescriptors: Bool = true) throws -> (sender: ControlChannel, receiver: ControlChannel) {
        var fds: [CInt] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        let receiver = try ControlChannel(fd: fds[0], peerName: "test peer", expectedPeer: peer, acceptsDescriptors: acceptsDescriptors, maxPayloadLength: 1 << 20)
        let sender = try ControlChannel(fd: fds[1], peerName: "test receiver", expectedPeer: nil, acceptsDescriptors: false, maxPayloadLength: 1 << 20)
        return (sender, receiver)
    }

    @Test("600 descriptors travel in batches of at most 252, in order, close-on-exec")
    func batches() async throws {
        let (sender, receiver) = try pair()
        var files: [CInt] = []
        defer { files.forEach { close($0) } }
        for _ in 0..<600 { files.append(open("/dev/null", O_RDONLY | O_CLOEXEC)) }
        let records = files.indices.map { DescriptorRecord(name: "f\($0)", kind: .file, address: "", extra: []) }
        var start = 0
        while start < files.count {
            let end = min(start + 252, files.count)
            try await sender.send(Frame(.fds, payload: DescriptorRecord.encode(records[start..<end])), descriptors: Array(files[start..<end]), until: .now + .seconds(5))
            start = end
        }
        try await sender.send(Frame(.fdsEnd), until: .now + .seconds(5))

        var received: [(DescriptorRecord, CInt)] = []
        while let next = try await receiver.receive(until: .now + .seconds(5)), next.frame.type == .fds {
            let batch = try DescriptorRecord.decode(next.frame.payload, maxExtra: 0)
            #expect(batch.count == next.descriptors.count)
            #expect(batch.count <= 252)
            received += zip(batch, next.descriptors)
        }
        #expect(received.map(\.0.name) == records.map(\.name))
        for (_, fd) in received {
            #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
            var mine = stat(), theirs = stat()
            fstat(fd, &theirs)
            fstat(files[0], &mine)
            #expect(mine.st_ino == theirs.st_ino)
            close(fd)
        }
    }

    @Test("a message from a process other than the expected peer is refused")
    func impostor() async throws {
        let (sender, receiver) = try pair(expectPeer: getpid() + 1)
        try await sender.send(Frame(.hello), until: .now + .seconds(5))
        await #expect {
            try await receiver.receive(until: .now + .seconds(5))
        } throws: { error in
            (error as? HandoffError)?.code == .peerMismatch
        }
    }

    @Test("descriptors sent to a side that takes none are closed and refused")
    func unexpectedDescriptors() async throws {
        let (sender, receiver) = try pair(acceptsDescriptors: false)
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        try await sender.send(Frame(.ready), descriptors: [fd], until: .now + .seconds(5))
        await #expect {
            try await receiver.receive(until: .now + .seconds(5))
        } throws: { error in
            (error as? HandoffError)?.code == .descriptorCountMismatch
        }
    }

    @Test("an FDS frame that announces more descriptors than arrived is refused")
    func missingDescriptors() async throws {
        let (sender, receiver) = try pair()
        let records = [DescriptorRecord(name: "a", kind: .file, address: "", extra: []), DescriptorRecord(name: "b", kind: .file, address: "", extra: [])]
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        try await sender.send(Frame(.fds, payload: DescriptorRecord.encode(records)), descriptors: [fd], until: .now + .seconds(5))
        await #expect {
            try await receiver.receive(until: .now + .seconds(5))
        } throws: { error in
            (error as? HandoffError)?.code == .descriptorCountMismatch
        }
    }

    @Test("a peer that says nothing runs into the deadline")
    func deadline() async throws {
        let (sender, receiver) = try pair()
        await #expect {
            try await receiver.receive(until: .now + .milliseconds(50))
        } throws: { error in
            (error as? HandoffError)?.code == .deadlineExceeded
        }
        withExtendedLifetime(sender) {}  // a silent peer, not a closed one
    }

    @Test("a frame cut off by the peer's exit is reported as truncated")
    func truncated() async throws {
        let (sender, receiver) = try pair()
        let bytes = Frame(.ready, payload: [1, 2, 3]).encoded()
        _ = bytes.prefix(7).withContiguousStorageIfAvailable { send(sender.fd, $0.baseAddress, 7, 0) }
        sender.shutdown()
        await #expect {
            try await receiver.receive(until: .now + .seconds(5))
        } throws: { error in
            (error as? HandoffError)?.code == .truncatedFrame
        }
    }
}
