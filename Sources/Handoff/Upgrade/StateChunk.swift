/// How envelopes ride in `STATE` frames: each envelope's bytes are cut into chunks no larger
/// than a frame's payload cap; the chunk that ends an envelope carries ``lastFlag``.
enum StateChunk {
    /// Set on the `STATE` frame that holds the last chunk of an envelope.
    static let lastFlag: UInt16 = 1

    /// Reassembles envelopes from `STATE` frames, refusing one that outgrows the cap.
    struct Assembler {
        let maxEnvelopeLength: Int
        private var pending: [UInt8] = []
        private(set) var envelopes: [Envelope] = []

        init(maxPayloadLength: Int) {
            // A header and trailer around the largest payload.
            maxEnvelopeLength = maxPayloadLength + (1 << 20)
        }

        mutating func add(_ frame: Frame) throws {
            if pending.count + frame.payload.count > maxEnvelopeLength {
                throw HandoffError(.envelopeTooLarge, "state envelope grows past \(maxEnvelopeLength) bytes")
            }
            if pending.isEmpty, let (header, headerLength) = try? EnvelopeHeader.decode(frame.payload[...], maxPayloadLength: maxEnvelopeLength) {
                // Size the buffer once from the header, rather than growing it chunk by chunk.
                pending.reserveCapacity(min(headerLength + header.payloadLength + 4, maxEnvelopeLength))
            }
            pending += frame.payload
            guard frame.flags & StateChunk.lastFlag != 0 else { return }
            let bytes = pending
            pending = []
            envelopes.append(try Envelope(taking: bytes, maxPayloadLength: maxEnvelopeLength))
        }

        /// Throws if an envelope was started and not finished.
        func finish() throws {
            if !pending.isEmpty {
                throw HandoffError(.truncatedEnvelope, "STATE_END arrived \(pending.count) bytes into an envelope")
            }
        }
    }
}
