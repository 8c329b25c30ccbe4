import HandoffSystem

// The successor's reading of the handover: frames as `receive(until:)` returns them, except
// that each run of STATE frames is read as the envelope it carries, its payload straight from
// the socket into the envelope's own array: no frame buffer, no copy in between, and one pass
// over the bytes for both the frames' and the envelope's checksums.
extension ControlChannel {
    /// What ``receiveHandover(_:until:)`` returns: a frame other than `STATE`, or the envelope a
    /// run of `STATE` frames carried.
    package enum HandoverItem {
        case frame(Received)
        case envelope(Envelope)
    }

    /// The next frame of a handover, each run of `STATE` frames read as the envelope it carries.
    ///
    /// A `STATE` frame's payload goes from the socket straight into the envelope's payload,
    /// checksummed as it arrives; only the envelope's header (with the few bytes read along with
    /// it) and its trailer pass through a small buffer.
    /// No bytes of a later frame are read with it, so descriptors, which never ride on `STATE`
    /// frames, stay with the `FDS` frame they belong to.
    /// - Returns: `nil` at a clean end of stream, also between the frames of an envelope (its
    ///   bytes are dropped).
    /// - Throws: As ``receive(until:)``; for `STATE` frames also what ``StateChunk/Assembler``
    ///   throws, ``HandoffError/Code/truncatedEnvelope`` for `STATE_END` inside an envelope,
    ///   ``HandoffError/Code/unexpectedFrame`` for another frame there, and
    ///   ``HandoffError/Code/descriptorCountMismatch`` for descriptors that came with one.
    package func receiveHandover(_ assembler: StateChunk.Assembler, until deadline: ContinuousClock.Instant?) async throws -> HandoverItem? {
        try await withTaskCancellationHandler {
            try await onReadQueue(reserved: false) { Result { try self.readHandoverItem(assembler, until: deadline) } }.get()
        } onCancel: {
            interrupt()
        }
    }

    // MARK: Blocking work, on the read queue

    private func readHandoverItem(_ assembler: StateChunk.Assembler, until deadline: ContinuousClock.Instant?) throws -> HandoverItem? {
        while true {
            let header = try decoder.peekHeader()
            if let header {
                if header.type == .state {
                    var run = StateRun()
                    do {
                        return try assembler.assemble { destination, crc in
                            try self.readState(into: destination, run: &run, crc: &crc, until: deadline)
                        }.map(HandoverItem.envelope)
                    } catch let error as HandoffError {
                        // Part of a frame may have been read: what follows is out of step.
                        decoder.fail(error)
                        throw error
                    }
                }
                if let frame = try decoder.next() {
                    return .frame(Received(frame: frame, descriptors: try claimDescriptors(for: frame)))
                }
            }
            if endOfStream {
                try checkEndOfStream()
                return nil
            }
            try wait(for: .readable, until: deadline)
            // Read no further than this frame (or its header, until that says which frame it
            // is): the payload of a STATE frame after it goes straight to its envelope.
            let wanted = header.map { Frame.headerLength + $0.length + Frame.trailerLength } ?? Frame.headerLength
            try receiveOnce(upTo: wanted - decoder.bufferedCount)
        }
    }

    /// Where the run of `STATE` frames of one envelope stands.
    private struct StateRun {
        /// A frame's header was taken and its trailer is not yet checked.
        var inFrame = false
        /// The bytes of the frame's payload not yet read.
        var remaining = 0
        /// The frame's checksum so far.
        var crc: UInt32 = 0
        /// The frame is flagged ``StateChunk/lastFlag``.
        var last = false
        /// The envelope's last frame was read and checked: nothing more is read for it.
        var ended = false
    }

    /// Reads the payload bytes of the envelope's `STATE` frames into `destination` until it is
    /// full or the envelope's last frame has ended, checking each frame's trailer and continuing
    /// `crc` over the bytes; `nil` at end of stream between frames. The one pass over each
    /// piece feeds both checksums, combined per frame.
    private func readState(into destination: UnsafeMutableRawBufferPointer, run: inout StateRun, crc: inout UInt32, until deadline: ContinuousClock.Instant?) throws -> Int? {
        var filled = 0
        // This frame's bytes in this destination: their own checksum, folded into both.
        var pieceCRC: UInt32 = 0, pieceLength = 0
        func fold() {
            run.crc = CRC32C.combine(run.crc, pieceCRC, secondLength: pieceLength)
            crc = CRC32C.combine(crc, pieceCRC, secondLength: pieceLength)
            pieceCRC = 0
            pieceLength = 0
        }
        while filled < destination.count && !run.ended {
            if !run.inFrame {
                guard try fillDecoder(to: Frame.headerLength, readingAtMost: Frame.headerLength, until: deadline) else {
                    try decoder.finish()  // part of a header is a truncated frame
                    return nil
                }
                guard let header = try decoder.peekHeader() else { continue }
                guard header.type == .state else {
                    if header.type == .stateEnd {
                        throw HandoffError(.truncatedEnvelope, "STATE_END arrived in the middle of an envelope")
                    }
                    throw HandoffError(.unexpectedFrame, "\(header.type) from \(peerName) in the middle of a state envelope")
                }
                run = StateRun(inFrame: true, remaining: header.length, crc: decoder.skipHeader(), last: header.flags & StateChunk.lastFlag != 0)
            } else if run.remaining > 0 {
                let end = filled + min(destination.count - filled, run.remaining)
                let target = UnsafeMutableRawBufferPointer(rebasing: destination[filled..<end])
                let count = decoder.bufferedCount > 0 ? decoder.take(into: target) : try receivePayload(into: target, until: deadline)
                pieceCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: target[..<count]), continuing: pieceCRC)
                pieceLength += count
                filled += count
                run.remaining -= count
            }
            if run.inFrame && run.remaining == 0 {
                fold()
                try checkTrailer(&run, until: deadline)
            }
        }
        fold()
        return filled
    }

    private func checkTrailer(_ run: inout StateRun, until deadline: ContinuousClock.Instant?) throws {
        // With the trailer, the next header: its payload too may be read straight.
        guard try fillDecoder(to: Frame.trailerLength, readingAtMost: Frame.trailerLength + Frame.headerLength, until: deadline) else {
            throw HandoffError(.truncatedFrame, "stream ended \(decoder.bufferedCount) bytes into the trailer of a STATE frame")
        }
        var stored: UInt32 = 0
        _ = withUnsafeMutableBytes(of: &stored) { decoder.take(into: $0) }
        stored = UInt32(bigEndian: stored)
        guard stored == run.crc else {
            throw HandoffError(.checksumMismatch, "STATE frame checksum is \(hex(stored)), contents give \(hex(run.crc))")
        }
        run.inFrame = false
        run.ended = run.last
    }

    /// Makes sure `count` bytes are buffered in the decoder, with at most `limit` buffered.
    /// - Returns: `false` if the stream ended first.
    private func fillDecoder(to count: Int, readingAtMost limit: Int, until deadline: ContinuousClock.Instant?) throws -> Bool {
        while decoder.bufferedCount < count {
            if endOfStream { return false }
            try receiveOnce(upTo: limit - decoder.bufferedCount)
            if decoder.bufferedCount < count && !endOfStream { try wait(for: .readable, until: deadline) }
        }
        return true
    }

    /// Reads part of a `STATE` frame's payload straight into `destination`, waiting for it.
    /// - Returns: How many bytes arrived, at least one.
    private func receivePayload(into destination: UnsafeMutableRawBufferPointer, until deadline: ContinuousClock.Instant?) throws -> Int {
        while true {
            switch try receiveMessage(into: destination, descriptorsAllowed: false) {
            case nil:
                try wait(for: .readable, until: deadline)
            case 0:
                endOfStream = true
                throw HandoffError(.truncatedFrame, "stream ended inside a STATE frame")
            case let count?:
                return count
            }
        }
    }
}
