import Dispatch
import Synchronization
import HandoffSystem

/// How envelopes ride in `STATE` frames: each envelope's bytes are cut into chunks no larger
/// than a frame's payload cap; the chunk that ends an envelope carries ``lastFlag``.
package enum StateChunk {
    /// Set on the `STATE` frame that holds the last chunk of an envelope.
    package static let lastFlag: UInt16 = 1

    /// Reassembles one envelope from the bytes of its `STATE` frames, refusing one that
    /// outgrows the cap, and checks it as ``Envelope/init(decoding:maxPayloadLength:)`` does.
    ///
    /// The payload is read straight into the array that becomes ``Envelope/payload``: once the
    /// header gives its length, nothing is buffered twice or moved.
    package struct Assembler: Sendable {
        /// Reads the envelope's bytes into `destination`, continuing `crc` over them: fills it
        /// unless the envelope's last frame ends first, and returns how many bytes it read, or
        /// `nil` at end of stream.
        package typealias Read = (_ destination: UnsafeMutableRawBufferPointer, _ crc: inout UInt32) throws -> Int?

        let maxEnvelopeLength: Int

        package init(maxPayloadLength: Int) {
            // A header and trailer around the largest payload.
            maxEnvelopeLength = maxPayloadLength + (1 << 20)
        }

        /// Reads and checks one envelope.
        /// - Returns: The envelope, or `nil` if the stream ended before it did.
        /// - Throws: ``HandoffError`` with ``HandoffError/Code/envelopeTooLarge``,
        ///   ``HandoffError/Code/truncatedEnvelope`` (its last frame ended early),
        ///   ``HandoffError/Code/malformedPayload`` (bytes after its checksum), the codes of
        ///   ``EnvelopeHeader/decode(_:maxPayloadLength:)``, or what `read` throws.
        package func assemble(_ read: Read) throws -> Envelope? {
            // The header, in growing steps: its length shows only once its strings are read.
            var head: [UInt8] = []
            var ignored: UInt32 = 0
            var step = 64
            let (header, headerLength): (EnvelopeHeader, Int)
            while true {
                let start = head.count
                head += repeatElement(0, count: step)
                guard let count = try head.withUnsafeMutableBytes({ try read(UnsafeMutableRawBufferPointer(rebasing: $0[start...]), &ignored) }) else {
                    return nil
                }
                head.removeLast(step - count)
                do {
                    (header, headerLength) = try EnvelopeHeader.decode(head[...], maxPayloadLength: maxEnvelopeLength)
                    break
                } catch let error as HandoffError where error.code == .truncatedEnvelope && count == step {
                    step = min(step * 4, 1 << 18)
                }
            }
            let length = header.payloadLength
            let total = headerLength + length + 4
            guard total <= maxEnvelopeLength else {
                throw HandoffError(.envelopeTooLarge, "state envelope \(header.label)/\(header.key) is \(total) bytes; the cap is \(maxEnvelopeLength)")
            }
            func truncated(at count: Int) -> HandoffError {
                HandoffError(.truncatedEnvelope, "envelope \(header.label)/\(header.key) is \(count) bytes; its header promises \(total)")
            }

            // The payload: what came with the header, then straight from the frames.
            let early = min(head.count - headerLength, length)
            var crc = CRC32C.checksum(head[..<(headerLength + early)])
            var ended = false
            let payload = try [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
                let destination = UnsafeMutableRawBufferPointer(buffer)
                let prefault = Prefault(destination)
                defer { prefault?.finish() }
                head.withUnsafeBytes { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[headerLength..<(headerLength + early)])) }
                guard let count = try read(UnsafeMutableRawBufferPointer(rebasing: destination[early...]), &crc) else {
                    ended = true
                    return
                }
                guard early + count == length else { throw truncated(at: headerLength + early + count) }
                initialized = length
            }
            if ended { return nil }

            // The checksum, and nothing after it.
            var trailer = Array(head[(headerLength + early)...])
            if trailer.count > 4 {
                throw HandoffError(.malformedPayload, "envelope \(header.label)/\(header.key) has \(trailer.count - 4) bytes after its checksum")
            }
            let have = trailer.count
            trailer += repeatElement(0, count: 4 - have)
            guard let count = try trailer.withUnsafeMutableBytes({ try read(UnsafeMutableRawBufferPointer(rebasing: $0[have...]), &ignored) }) else {
                return nil
            }
            guard have + count == 4 else { throw truncated(at: total - 4 + have + count) }
            var probe: UInt8 = 0
            guard let extra = try withUnsafeMutableBytes(of: &probe, { try read($0, &ignored) }) else { return nil }
            if extra > 0 {
                throw HandoffError(.malformedPayload, "envelope \(header.label)/\(header.key) has bytes after its checksum")
            }
            let stored = trailer.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self)) }
            guard stored == crc else {
                throw HandoffError(.checksumMismatch, "envelope \(header.label)/\(header.key) checksum is \(hex(stored)), contents give \(hex(crc))")
            }
            return Envelope(header: header, payload: payload)
        }
    }
}

/// Faults in a large buffer's pages on another thread, ahead of the bytes arriving in it: on a
/// fresh buffer the page faults, taken one by one in the copy, cost more than the copy itself.
/// `MADV_POPULATE_WRITE` (Linux 5.14) maps pages without writing to them, so it runs safely
/// while the buffer fills; where it is refused, the copy takes the faults as before.
private final class Prefault: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    // Its own queue, so the work never waits for a thread of the width-limited global pool.
    private let queue = DispatchQueue(label: "handoff.state.prefault")

    /// Starts on `buffer`, or returns `nil` if it is too small to be worth a thread.
    init?(_ buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count >= 8 << 20, let base = buffer.baseAddress else { return nil }
        let page = UInt(Syscall.pageSize)
        let start = (UInt(bitPattern: base) + page - 1) & ~(page - 1)
        let end = (UInt(bitPattern: base) + UInt(buffer.count)) & ~(page - 1)
        queue.async { [self] in
            var address = start
            while address < end && !stopped.load(ordering: .relaxed) {
                let length = min(4 << 20, end - address)
                guard Syscall.prefault(UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: address), count: Int(length))) else { break }
                address += length
            }
            done.signal()
        }
    }

    /// Stops the work and waits for it to stop: the buffer may be freed after.
    func finish() {
        stopped.store(true, ordering: .relaxed)
        done.wait()
    }
}
