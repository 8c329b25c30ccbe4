import CHandoff
import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// The handover's reading of `STATE` frames over a real socket pair, in one process: each run
/// of frames arrives as the envelope it carries, or as a typed error.
/// Serialized and light on descriptors, to keep the suite's load on dispatch small.
@Suite("State envelopes over a control channel", .serialized, .offCooperativePool(background: true))
struct StateTransferTests {
    private func pair(maxFramePayload: Int = 1 << 20) throws -> (sender: ControlChannel, receiver: ControlChannel) {
        var fds: [CInt] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        let receiver = try ControlChannel(fd: fds[0], peerName: "test peer", expectedPeer: getpid(), acceptsDescriptors: true, maxPayloadLength: maxFramePayload)
        let sender = try ControlChannel(fd: fds[1], peerName: "test receiver", expectedPeer: nil, acceptsDescriptors: false, maxPayloadLength: maxFramePayload)
        return (sender, receiver)
    }

    private static func envelope(_ count: Int, label: String = "blob") -> Envelope {
        // Random bytes from the kernel, in a few large reads rather than a call per word.
        var payload = [UInt8](repeating: 0, count: count)
        let random = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        defer { close(random) }
        payload.withUnsafeMutableBytes { bytes in
            var filled = 0
            while filled < count {
                let got = read(random, bytes.baseAddress! + filled, count - filled)
                guard got > 0 else { break }
                filled += got
            }
        }
        let header = EnvelopeHeader(
            label: label, key: "k", stateVersion: 1, oldestReaderVersion: 1, codec: .binary,
            createdAtNanoseconds: 1_700_000_000_000_000_000, producer: Envelope.Producer(pid: 42, host: "h", build: "b"))
        return Envelope(header: header, payload: payload)
    }

    private static let assembler = StateChunk.Assembler(maxPayloadLength: 64 << 20)

    /// Sends `envelope` as ``SuccessorSession`` does: in chunked `STATE` frames.
    private func send(_ envelope: Envelope, on channel: ControlChannel) async throws {
        let (prefix, suffix) = envelope.wireParts()
        try await channel.sendChunked(.state, [prefix, envelope.payload, suffix], lastChunkFlag: StateChunk.lastFlag, until: .now + .seconds(20))
    }

    /// `bytes` cut into `STATE` frames of at most `chunk` bytes, the last one flagged.
    private static func stateFrames(_ bytes: [UInt8], chunk: Int) -> [[UInt8]] {
        stride(from: 0, to: bytes.count, by: chunk).map { start in
            let end = min(start + chunk, bytes.count)
            return Frame(.state, flags: end == bytes.count ? StateChunk.lastFlag : 0, payload: Array(bytes[start..<end])).encoded()
        }
    }

    /// Writes raw bytes to the non-blocking socket, waiting for room.
    private static func sendRaw(_ bytes: [UInt8], on channel: ControlChannel) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(channel.fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                #expect(errno == EAGAIN)
                var writable = pollfd(fd: channel.fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&writable, 1, 5000)
                continue
            }
            offset += sent
        }
    }

    private func expectFailure(_ code: HandoffError.Code, saying words: String = "", from receiver: ControlChannel) async {
        await #expect {
            try await receiver.receiveHandover(Self.assembler, until: .now + .seconds(30))
        } throws: { error in
            guard let error = error as? HandoffError else { return false }
            return error.code == code && (words.isEmpty || error.reason.contains(words))
        }
    }

    @Test("a 20 MiB envelope in STATE frames arrives intact, after the FDS frame before it", .timeLimit(.minutes(1)), arguments: [1 << 20, 8 << 20])
    func bulk(framePayload: Int) async throws {
        let (sender, receiver) = try pair(maxFramePayload: framePayload)
        let envelope = Self.envelope(20 << 20)
        let file = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(file) }
        async let sent: Void = {
            let record = DescriptorRecord(name: "connection-0", kind: .connection, address: "", extra: [1, 2, 3])
            try await sender.send(Frame(.fds, payload: DescriptorRecord.encode([record])), descriptors: [file], until: .now + .seconds(20))
            try await send(envelope, on: sender)
            try await sender.send(Frame(.stateEnd), until: .now + .seconds(20))
        }()
        guard case .frame(let fds)? = try await receiver.receiveHandover(Self.assembler, until: .now + .seconds(20)) else {
            Issue.record("the FDS frame did not come first")
            return
        }
        #expect(fds.frame.type == .fds)
        #expect(fds.descriptors.count == 1)
        fds.descriptors.forEach { close($0) }
        guard case .envelope(let received)? = try await receiver.receiveHandover(Self.assembler, until: .now + .seconds(20)) else {
            Issue.record("no envelope after the FDS frame")
            return
        }
        #expect(received.header == envelope.header)
        #expect(received.payload == envelope.payload)
        guard case .frame(let end)? = try await receiver.receiveHandover(Self.assembler, until: .now + .seconds(20)) else {
            Issue.record("no STATE_END after the envelope")
            return
        }
        #expect(end.frame.type == .stateEnd)
        try await sent
    }

    @Test("envelopes of every small size arrive whole in 16-byte frames, headers split across many", .timeLimit(.minutes(1)))
    func tinyFrames() async throws {
        let (sender, receiver) = try pair(maxFramePayload: 16)
        let envelopes = [0, 1, 3, 4, 5, 17, 1000].map { Self.envelope($0, label: "size-\($0)") }
        async let sent: Void = {
            for envelope in envelopes { try await send(envelope, on: sender) }
            try await sender.send(Frame(.stateEnd), until: .now + .seconds(20))
        }()
        for envelope in envelopes {
            guard case .envelope(let received)? = try await receiver.receiveHandover(Self.assembler, until: .now + .seconds(20)) else {
                Issue.record("\(envelope.header.label) did not arrive as an envelope")
                return
            }
            #expect(received == envelope)
        }
        guard case .frame(let end)? = try await receiver.receiveHandover(Self.assembler, until: .now + .seconds(20)) else {
            Issue.record("no STATE_END after the envelopes")
            return
        }
        #expect(end.frame.type == .stateEnd)
        try await sent
    }

    @Test("a flipped byte in a STATE frame's payload is a checksum mismatch, caught by the frame or the envelope", arguments: [false, true])
    func flippedByte(reframed: Bool) async throws {
        let (sender, receiver) = try pair()
        var bytes = Self.envelope(300_000).encoded()
        let flipped = 200_000
        var wire: [UInt8]
        if reframed {
            // Flipped before framing: every frame checks out, the envelope does not.
            bytes[flipped] ^= 0x01
            wire = Self.stateFrames(bytes, chunk: 128 << 10).flatMap { $0 }
        } else {
            // Flipped on the wire: the frame's checksum no longer matches its payload.
            wire = Self.stateFrames(bytes, chunk: 128 << 10).flatMap { $0 }
            let frame = flipped / (128 << 10)
            let offset = flipped + (frame + 1) * Frame.headerLength + frame * Frame.trailerLength
            wire[offset] ^= 0x01
        }
        Self.sendRaw(wire, on: sender)
        await expectFailure(.checksumMismatch, saying: reframed ? "envelope blob/k checksum" : "STATE frame checksum", from: receiver)
        // After the fault, the stream is refused, not resynchronised.
        await expectFailure(.checksumMismatch, from: receiver)
    }

    @Test("descriptors that ride on a STATE frame are closed and refused")
    func descriptorsOnState() async throws {
        let (sender, receiver) = try pair()
        let frame = Frame(.state, flags: StateChunk.lastFlag, payload: Self.envelope(1000).encoded()).encoded()
        // The descriptor is a pipe's read end: its closing shows at the write end.
        var pipeEnds: [Int32] = [-1, -1]
        #expect(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[1]) }
        Self.sendRaw(Array(frame[..<Frame.headerLength]), on: sender)
        let sent = frame.withUnsafeBytes { bytes in
            [pipeEnds[0]].withUnsafeBufferPointer {
                chandoff_send_with_fds(sender.fd, bytes.baseAddress! + Frame.headerLength, bytes.count - Frame.headerLength, $0.baseAddress, 1)
            }
        }
        #expect(sent == frame.count - Frame.headerLength)
        close(pipeEnds[0])
        await expectFailure(.descriptorCountMismatch, from: receiver)
        var writer = pollfd(fd: pipeEnds[1], events: Int16(POLLOUT), revents: 0)
        #expect(poll(&writer, 1, 0) == 1 && writer.revents & Int16(POLLERR) != 0, "the received read end is still open")
    }

    @Test("STATE_END inside an envelope is a truncated envelope")
    func stateEndInside() async throws {
        let (sender, receiver) = try pair()
        let frames = Self.stateFrames(Self.envelope(10_000).encoded(), chunk: 4096)
        Self.sendRaw(frames[0] + frames[1] + Frame(.stateEnd).encoded(), on: sender)
        await expectFailure(.truncatedEnvelope, from: receiver)
    }

    @Test("an envelope whose last frame ends before its header's length is a truncated envelope")
    func lastFrameTooSoon() async throws {
        let (sender, receiver) = try pair()
        let bytes = Self.envelope(10_000).encoded()
        Self.sendRaw(Frame(.state, flags: StateChunk.lastFlag, payload: Array(bytes.dropLast(10))).encoded(), on: sender)
        await expectFailure(.truncatedEnvelope, from: receiver)
    }

    @Test("bytes after an envelope's checksum, in its last frame or after it, are refused", arguments: [false, true])
    func bytesAfter(inLastFrame: Bool) async throws {
        let (sender, receiver) = try pair()
        let bytes = Self.envelope(10_000).encoded()
        let wire = inLastFrame
            ? Frame(.state, flags: StateChunk.lastFlag, payload: bytes + [0]).encoded()
            : Frame(.state, payload: bytes).encoded() + Frame(.state, flags: StateChunk.lastFlag, payload: [0]).encoded()
        Self.sendRaw(wire, on: sender)
        await expectFailure(.malformedPayload, from: receiver)
    }

    @Test("an envelope over the cap is refused from its header, before its payload is read")
    func overCap() async throws {
        let (sender, receiver) = try pair()
        let small = StateChunk.Assembler(maxPayloadLength: 1000)
        async let sent: Void = { try? await send(Self.envelope(2 << 20), on: sender) }()
        await #expect {
            try await receiver.receiveHandover(small, until: .now + .seconds(10))
        } throws: { error in
            (error as? HandoffError)?.code == .envelopeTooLarge
        }
        receiver.shutdown()
        await sent
    }

    @Test("a peer gone between the frames of an envelope ends the handover; one gone inside a frame truncates it", arguments: [false, true])
    func peerGone(insideFrame: Bool) async throws {
        let (sender, receiver) = try pair()
        let frames = Self.stateFrames(Self.envelope(10_000).encoded(), chunk: 4096)
        Self.sendRaw(insideFrame ? frames[0] + frames[1].prefix(100) : frames[0] + frames[1], on: sender)
        sender.shutdown()
        if insideFrame {
            await expectFailure(.truncatedFrame, from: receiver)
        } else {
            #expect(try await receiver.receiveHandover(Self.assembler, until: .now + .seconds(10)) == nil)
        }
    }
}
