import Dispatch
import Synchronization
import HandoffSystem

/// One end of the control channel: frames over a Unix stream socket, descriptors riding along
/// as `SCM_RIGHTS`, every message's sender checked against `SCM_CREDENTIALS`.
///
/// The socket is non-blocking. A send, and a receive whose frame has already arrived, run on the
/// calling thread; only what has to wait does, in `poll(2)` on one of two dispatch queues (one per
/// direction), never on the cooperative pool. Every hop to a queue and back wakes two threads,
/// which costs more than the frame (tens of microseconds each where an idle vCPU halts), and an
/// upgrade is a dozen such frames. Cancelling a waiting task interrupts the poll through an
/// `eventfd`; a cancelled or closed channel stays unusable. The handover's bulk state has a read
/// path of its own (ControlChannel+Handover.swift), straight into its envelopes.
///
/// `SO_PEERCRED` on a socket pair names the process that created the pair, not the one at the
/// other end, so the peer is checked per message with `SO_PASSCRED` instead: the kernel stamps
/// every message with its real sender.
package final class ControlChannel: @unchecked Sendable {
    /// A frame and the descriptors that arrived with it (for `FDS` frames, in record order).
    package struct Received: Sendable {
        package var frame: Frame
        package var descriptors: [CInt]
    }

    package let fd: CInt
    private let wake: CInt
    /// The process every message must come from; `nil` to accept any sender.
    let expectedPeer: Int32?
    /// Whether the peer may send descriptors; if not, any that arrive are closed and refused.
    let acceptsDescriptors: Bool
    let peerName: String
    private let maxPayloadLength: Int

    // The read side's state: used by a job on `readQueue`, or inline by a caller holding
    // `readJobs`'s lock while none is queued. `decoder` and `endOfStream` are shared with the
    // handover's reading of STATE frames (ControlChannel+Handover.swift).
    var decoder: FrameDecoder
    private var pendingDescriptors: [CInt] = []
    var endOfStream = false
    private var readBuffer: [UInt8]

    let readQueue = DispatchQueue(label: "handoff.control.read")
    let writeQueue = DispatchQueue(label: "handoff.control.write")
    /// How many jobs are queued on each direction's queue (from when they are queued until they
    /// end). A caller works inline only when none is, holding the lock meanwhile, so frames keep
    /// their order and each side's state has one user at a time.
    private let readJobs = Mutex(0)
    private let writeJobs = Mutex(0)

    /// Wraps a connected Unix stream socket; the channel owns and closes it.
    package init(fd: CInt, peerName: String, expectedPeer: Int32?, acceptsDescriptors: Bool, maxPayloadLength: Int) throws(HandoffError) {
        try Syscall.setNonBlocking(fd)
        try Syscall.setCloseOnExec(fd)
        // Large buffers: bulk state crosses with fewer wake-ups of the two processes. The kernel
        // caps them at net.core.{w,r}mem_max; a refusal only costs speed.
        try? Syscall.setSocketOption(fd, .sendBuffer, 4 << 20)
        try? Syscall.setSocketOption(fd, .receiveBuffer, 4 << 20)
        if expectedPeer != nil {
            try Syscall.enableCredentials(fd)
        }
        self.wake = try Syscall.eventDescriptor()
        self.fd = fd
        self.peerName = peerName
        self.expectedPeer = expectedPeer
        self.acceptsDescriptors = acceptsDescriptors
        self.decoder = FrameDecoder(maxPayloadLength: maxPayloadLength)
        self.maxPayloadLength = maxPayloadLength
        // Not zeroed: recvmsg(2) writes what is read, and a megabyte that is never written is
        // never touched (zeroing it cost both processes of an upgrade 256 page faults).
        self.readBuffer = [UInt8](unsafeUninitializedCapacity: 1 << 20) { _, count in count = 1 << 20 }
    }

    deinit {
        close()
        for descriptor in pendingDescriptors { Syscall.close(descriptor) }
    }

    /// Whether ``close()`` ran.
    private let closed = Mutex(false)

    /// Closes the socket and the wake-up descriptor now, rather than whenever the last reference
    /// (a finished dispatch block, perhaps) goes. Only once no operation is under way or will
    /// be started again: the descriptor numbers are free for reuse from here.
    func close() {
        guard !closed.withLock({ closed in defer { closed = true }; return closed }) else { return }
        Syscall.close(fd)
        Syscall.close(wake)
    }

    /// Stops every wait on the channel, now and later, and shuts the socket down so the peer
    /// sees end of stream.
    package func shutdown() {
        guard !closed.withLock({ $0 }) else { return }
        interrupt()
        Syscall.shutdown(fd)
    }

    func interrupt() {
        guard !closed.withLock({ $0 }) else { return }
        Syscall.signalEvent(wake)
    }

    /// The next frame, or `nil` at a clean end of stream.
    /// - Throws: a frame error, ``HandoffError/Code/truncatedFrame`` at a cut-off end,
    ///   ``HandoffError/Code/deadlineExceeded``, ``HandoffError/Code/peerMismatch``,
    ///   ``HandoffError/Code/descriptorCountMismatch``, or `CancellationError`.
    package func receive(until deadline: ContinuousClock.Instant?) async throws -> Received? {
        if let arrived = try readNow({ try readFrameNow() }) { return arrived }
        return try await withTaskCancellationHandler {
            try await onReadQueue(reserved: true) { Result { try self.readFrame(until: deadline) } }.get()
        } onCancel: {
            interrupt()
        }
    }

    /// Sends a frame, with `descriptors` attached to its first byte.
    package func send(_ frame: Frame, descriptors: [CInt] = [], until deadline: ContinuousClock.Instant?) async throws {
        try await send([Piece(bytes: frame.encoded()[...], descriptors: descriptors)], until: deadline)
    }

    /// Bytes to send, with the descriptors that ride on the first of them.
    struct Piece: Sendable {
        var bytes: ArraySlice<UInt8>
        var descriptors: [CInt]
    }

    /// Sends `pieces` in order: on the calling thread as far as the socket takes them, the rest
    /// from the write queue once it is writable.
    func send(_ pieces: [Piece], until deadline: ContinuousClock.Instant?) async throws {
        let left = try writeNow(pieces)
        guard !left.isEmpty else { return }
        try await withTaskCancellationHandler {
            try await onWriteQueue(reserved: true) {
                Result { for piece in left { try self.write(piece.bytes, descriptors: piece.descriptors, until: deadline) } }
            }.get()
        } onCancel: {
            interrupt()
        }
    }

    // MARK: Inline or queued

    /// Runs `attempt` on the calling thread if no read job is queued and the task is not
    /// cancelled, and returns its result; `attempt` returns `nil` where it would have to wait.
    /// Returns `nil` having reserved the read queue for the caller's job instead, which must
    /// follow through ``onReadQueue(reserved:_:)``.
    func readNow<T: Sendable>(_ attempt: () throws -> T?) throws -> T? {
        try readJobs.withLock { queued throws -> T? in
            if queued == 0, !Task.isCancelled, let result = try attempt() { return result }
            queued += 1
            return nil
        }
    }

    /// Runs `job` on the read queue, counted as queued from now (or from the reservation ``readNow(_:)``
    /// made, if `reserved`) until it ends.
    func onReadQueue<T: Sendable>(reserved: Bool, _ job: @escaping @Sendable () -> T) async -> T {
        if !reserved { readJobs.withLock { $0 += 1 } }
        return await withCheckedContinuation { continuation in
            readQueue.async {
                let result = job()
                self.readJobs.withLock { $0 -= 1 }
                continuation.resume(returning: result)
            }
        }
    }

    /// Sends what the socket takes of `pieces` now, if no write job is queued and the task is not
    /// cancelled. Returns what is left, having reserved the write queue for the caller's job
    /// (through ``onWriteQueue(reserved:_:)``) if anything is.
    func writeNow(_ pieces: [Piece]) throws -> [Piece] {
        try writeJobs.withLock { queued throws -> [Piece] in
            guard queued == 0, !Task.isCancelled else {
                queued += 1
                return pieces
            }
            for index in pieces.indices {
                var piece = pieces[index]
                var offset = 0
                if try !sendAvailable(piece.bytes, descriptors: &piece.descriptors, offset: &offset) {
                    piece.bytes = piece.bytes.dropFirst(offset)
                    queued += 1
                    return [piece] + pieces[(index + 1)...]
                }
            }
            return []
        }
    }

    /// Runs `job` on the write queue, counted as queued from now (or from the reservation
    /// ``writeNow(_:)`` made, if `reserved`) until it ends.
    func onWriteQueue<T: Sendable>(reserved: Bool, _ job: @escaping @Sendable () -> T) async -> T {
        if !reserved { writeJobs.withLock { $0 += 1 } }
        return await withCheckedContinuation { continuation in
            writeQueue.async {
                let result = job()
                self.writeJobs.withLock { $0 -= 1 }
                continuation.resume(returning: result)
            }
        }
    }

    /// Sends the concatenation of `parts` as a run of `type` frames of at most
    /// ``chunkLength`` bytes each, the last one flagged with `lastChunkFlag`. The bytes are
    /// written straight from `parts`, never copied into frames or joined.
    package func sendChunked(_ type: FrameType, _ parts: [[UInt8]], lastChunkFlag: UInt16, until deadline: ContinuousClock.Instant?) async throws {
        // Bulk state: on the write queue, where its waits for a full socket belong.
        try await withTaskCancellationHandler {
            try await onWriteQueue(reserved: false) {
                Result {
                    let total = parts.reduce(0) { $0 + $1.count }
                    var sent = 0
                    var part = 0, offset = 0
                    repeat {
                        let length = min(self.chunkLength, total - sent)
                        // The pieces of `parts` that make up this chunk.
                        var pieces: [ArraySlice<UInt8>] = []
                        var needed = length
                        while needed > 0 {
                            let take = min(needed, parts[part].count - offset)
                            pieces.append(parts[part][offset..<(offset + take)])
                            needed -= take
                            offset += take
                            if offset == parts[part].count { part += 1; offset = 0 }
                        }
                        sent += length
                        try self.writeFrame(type, flags: sent == total ? lastChunkFlag : 0, pieces: pieces, until: deadline)
                    } while sent < total
                }
            }.get()
        } onCancel: {
            interrupt()
        }
    }

    /// How much of a frame's payload is checksummed at a time before it is sent: little enough
    /// to be read from the cache by the send that follows.
    private static let sendStretch = 256 << 10

    /// The largest payload ``sendChunked(_:_:lastChunkFlag:until:)`` puts in one frame.
    var chunkLength: Int { min(maxPayloadLength, 8 << 20) }

    private func writeFrame(_ type: FrameType, flags: UInt16, pieces: [ArraySlice<UInt8>], until deadline: ContinuousClock.Instant?) throws {
        var header = ByteWriter(capacity: Frame.headerLength)
        header.raw(Frame.magic)
        header.u8(Frame.protocolVersion)
        header.u8(type.rawValue)
        header.u16(flags)
        header.u32(UInt32(pieces.reduce(0) { $0 + $1.count }))
        var crc = CRC32C.checksum(header.bytes)
        try write(header.bytes[...], descriptors: [], until: deadline)
        for piece in pieces {
            var start = piece.startIndex
            while start < piece.endIndex {
                let end = min(start + Self.sendStretch, piece.endIndex)
                crc = piece[start..<end].withUnsafeBytes { CRC32C.checksum($0, continuing: crc) }
                try write(piece[start..<end], descriptors: [], until: deadline)
                start = end
            }
        }
        var trailer = ByteWriter(capacity: 4)
        trailer.u32(crc)
        try write(trailer.bytes[...], descriptors: [], until: deadline)
    }

    /// Descriptors received that no frame has claimed; closed by the caller's error path.
    func takeUnclaimedDescriptors() async -> [CInt] {
        await onReadQueue(reserved: false) {
            let left = self.pendingDescriptors
            self.pendingDescriptors = []
            return left
        }
    }

    // MARK: The work, inline or on the queues

    /// The next frame, waiting for it; `nil` at a clean end of stream.
    func readFrame(until deadline: ContinuousClock.Instant?) throws -> Received? {
        while true {
            if let arrived = try readFrameNow() { return arrived }
            try wait(for: .readable, until: deadline)
        }
    }

    /// The next frame if all of it has arrived (`.some(nil)` at a clean end of stream), or `nil`:
    /// what was there is read, and nothing is waited for.
    func readFrameNow() throws -> Received?? {
        while true {
            if let frame = try decoder.next() {
                return .some(Received(frame: frame, descriptors: try claimDescriptors(for: frame)))
            }
            if endOfStream {
                try checkEndOfStream()
                return .some(nil)
            }
            guard try receiveOnce() else { return nil }
        }
    }

    /// At end of stream: throws if a frame was cut off or descriptors went unclaimed.
    func checkEndOfStream() throws {
        try decoder.finish()
        if !pendingDescriptors.isEmpty {
            throw HandoffError(.descriptorCountMismatch, "\(peerName) sent \(pendingDescriptors.count) descriptors no frame accounts for")
        }
    }

    /// Reads what is there into `readBuffer`, at most `limit` bytes, for the decoder.
    /// - Returns: Whether anything was read or the stream ended; `false` if nothing was ready.
    @discardableResult
    func receiveOnce(upTo limit: Int = .max) throws -> Bool {
        precondition(limit > 0, "a read of nothing would look like end of stream")
        let count = try readBuffer.withUnsafeMutableBytes { buffer in
            try receiveMessage(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(limit, buffer.count)]), descriptorsAllowed: true)
        }
        guard let count else { return false }
        if count == 0 {
            endOfStream = true
            return true
        }
        readBuffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        return true
    }

    /// One recvmsg(2) into `buffer`, with every check of what came along. Descriptors are
    /// queued for the `FDS` frames to claim, or, unless `descriptorsAllowed`, closed and refused.
    /// - Returns: The bytes read, 0 at end of stream, `nil` if none were ready.
    func receiveMessage(into buffer: UnsafeMutableRawBufferPointer, descriptorsAllowed: Bool) throws -> Int? {
        var descriptors = [CInt](repeating: -1, count: Syscall.maxDescriptorsPerMessage)
        guard let info = try Syscall.receiveMessage(fd, into: buffer, descriptors: &descriptors, "recvmsg(\(peerName))") else { return nil }
        let count = info.count
        let arrived = Array(descriptors.prefix(info.descriptorCount))
        if info.truncated {
            arrived.forEach(Syscall.close)
            throw HandoffError(.descriptorCountMismatch, "the kernel truncated descriptors from \(peerName) (MSG_CTRUNC)")
        }
        if !arrived.isEmpty {
            guard acceptsDescriptors else {
                arrived.forEach(Syscall.close)
                throw HandoffError(.descriptorCountMismatch, "\(peerName) sent \(arrived.count) descriptors; none were expected")
            }
            guard descriptorsAllowed else {
                arrived.forEach(Syscall.close)
                throw HandoffError(.descriptorCountMismatch, "\(peerName) sent \(arrived.count) descriptors with a STATE frame")
            }
            pendingDescriptors += arrived
            // One FDS frame's worth may arrive ahead of the frame that claims it; more is abuse.
            if pendingDescriptors.count > 2 * Syscall.maxDescriptorsPerMessage {
                throw HandoffError(.descriptorCountMismatch, "\(peerName) sent \(pendingDescriptors.count) descriptors ahead of their frames")
            }
        }
        if count == 0 { return 0 }
        if let expectedPeer {
            guard let sender = info.senderPID else {
                throw HandoffError(.peerMismatch, "a message on the control channel carried no credentials")
            }
            guard sender == expectedPeer else {
                throw HandoffError(.peerMismatch, "a message on the control channel came from pid \(sender), not \(peerName) (pid \(expectedPeer))")
            }
        }
        return count
    }

    func claimDescriptors(for frame: Frame) throws -> [CInt] {
        guard frame.type == .fds else { return [] }
        guard frame.payload.count >= 2 else { return [] }  // the payload decoder reports it
        let wanted = Int(frame.payload[0]) << 8 | Int(frame.payload[1])
        guard wanted <= pendingDescriptors.count else {
            throw HandoffError(.descriptorCountMismatch, "an FDS frame from \(peerName) announces \(wanted) descriptors; \(pendingDescriptors.count) arrived")
        }
        let claimed = Array(pendingDescriptors.prefix(wanted))
        pendingDescriptors.removeFirst(wanted)
        return claimed
    }

    /// Sends `bytes`, with `descriptors` on the first of them, waiting while the socket is full.
    func write(_ bytes: ArraySlice<UInt8>, descriptors: [CInt], until deadline: ContinuousClock.Instant?) throws {
        var offset = 0
        var attached = descriptors
        while try !sendAvailable(bytes, descriptors: &attached, offset: &offset) {
            try wait(for: .writable, until: deadline)
        }
    }

    /// Sends `bytes` from `offset` on as far as the socket takes them, `descriptors` riding on the
    /// first byte sent (then emptied), and advances `offset`.
    /// - Returns: Whether all of them went.
    func sendAvailable(_ bytes: ArraySlice<UInt8>, descriptors: inout [CInt], offset: inout Int) throws -> Bool {
        while offset < bytes.count {
            let attached = descriptors
            let sent = try bytes.withUnsafeBytes { buffer in
                try Syscall.sendMessage(fd, UnsafeRawBufferPointer(rebasing: buffer[offset...]), descriptors: attached, "sendmsg(\(peerName))")
            }
            guard let sent else { return false }
            descriptors = []
            offset += sent
        }
        return true
    }

    func wait(for events: PollEvents, until deadline: ContinuousClock.Instant?) throws {
        while true {
            var fds = [PollDescriptor(fd, events), PollDescriptor(wake, .readable)]
            var timeout: Int32 = -1
            if let deadline {
                let left = deadline - .now
                if left <= .zero {
                    throw HandoffError(.deadlineExceeded, "\(peerName) did not answer before the deadline")
                }
                let (seconds, attoseconds) = left.components
                timeout = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            }
            try Syscall.poll(&fds, timeoutMilliseconds: timeout, "poll(\(peerName))")
            if !fds[1].returned.isEmpty { throw CancellationError() }
            if !fds[0].returned.isEmpty { return }
        }
    }
}
