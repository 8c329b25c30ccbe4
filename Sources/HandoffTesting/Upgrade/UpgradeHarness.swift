import Handoff
import HandoffSystem

/// Hands state from one set of ``HandoffAware`` instances to another inside one process, the
/// way an upgrade hands it from the old process to the new one: without spawning anything.
///
/// ```swift
/// @Test func counterSurvivesAnUpgrade() async throws {
///     let old = Counter(count: 41), new = Counter(count: 0)
///     let handover = try await UpgradeHarness().handOver(from: [old], to: [new])
///     #expect(handover.restored == ["counter/"])
///     #expect(await new.count == 41)
/// }
/// ```
///
/// It runs the code of an upgrade's `STATE`/`ACK` path, in the same order:
/// 1. the old side's ``HandoffRegistry`` collects every instance's state into envelopes
///    (``HandoffAware/handoffState()``), as the old process does after it drained;
/// 2. each envelope goes as its wire bytes through the reassembly and checks the new process
///    runs on its `STATE` frames;
/// 3. the new side's registry decodes and migrates every envelope before it resumes any
///    instance (``HandoffAware/resume(from:)``): all or nothing, as before the `ACK`;
/// 4. if anything fails, the new side refuses it (the `NACK`) and the old side's instances are
///    told ``HandoffAware/handoffAbandoned()`` — they own their state again, as after a
///    rollback — and the error is thrown.
///
/// What it does not run: the socket, its frames and descriptors, and the processes. Those are
/// the upgrader's own, and its tests cover them.
public struct UpgradeHarness: Sendable {
    /// What a handover carried.
    public struct Handover: Sendable, Hashable {
        /// The `label/key` of every envelope applied on the new side, in the order collected.
        public var restored: [String]
        /// The headers of envelopes no instance on the new side registered for; an upgrade
        /// offers them to the store rather than drop them.
        public var unclaimed: [EnvelopeHeader]
        /// The payload bytes carried, all envelopes together.
        public var stateBytes: Int
    }

    /// The largest state one instance may give, as ``UpgraderConfiguration/maxStateSize``.
    public var maxStateSize: Int

    /// Makes a harness.
    /// - Parameter maxStateSize: The largest state one instance may give.
    public init(maxStateSize: Int = Envelope.defaultMaxPayloadLength) {
        self.maxStateSize = maxStateSize
    }

    /// Hands the state of `old` over to `new`.
    /// - Parameters:
    ///   - old: The instances of the old process; each gives up its state.
    ///   - new: The instances of the new process; each takes over the state of its label and key.
    /// - Returns: What was applied, and what no new instance took.
    /// - Throws: ``HandoffError``: ``HandoffError/Code/duplicateRegistration`` if one side
    ///   registers a label and key twice; what collecting throws (the old side then owns its
    ///   state again); ``HandoffError/Code/newerVersion``, ``HandoffError/Code/migrationFailed``,
    ///   ``HandoffError/Code/envelopeTooLarge`` or a decoding error if the state is refused:
    ///   then no new instance was resumed, since, as in an upgrade, every envelope is decoded
    ///   before the first resume; ``HandoffError/Code/migrationFailed`` also if a new instance's
    ///   `resume(from:)` throws (those before it have resumed, as in an upgrade). The old
    ///   instances are told ``HandoffAware/handoffAbandoned()`` whenever this throws after
    ///   collecting.
    @discardableResult
    public func handOver(from old: [any HandoffAware], to new: [any HandoffAware]) async throws -> Handover {
        let giving = HandoffRegistry(producer: EnvelopeProducer(pid: 1, host: "handoff-testing", build: "old"), maxPayloadLength: maxStateSize)
        let taking = HandoffRegistry(producer: EnvelopeProducer(pid: 2, host: "handoff-testing", build: "new"), maxPayloadLength: maxStateSize)
        for instance in old { try giving.register(instance) }
        for instance in new { try taking.register(instance) }

        let unclaimed: [Envelope]
        let received: [Envelope]
        do {
            let collected = try await giving.collect()
            received = try collected.map(carry)
            unclaimed = try await taking.apply(received)
        } catch {
            await giving.abandon()
            throw error
        }
        let left = Set(unclaimed.map { $0.header.label + "\u{0}" + $0.header.key })
        return Handover(
            restored: received.map(\.header).filter { !left.contains($0.label + "\u{0}" + $0.key) }.map { "\($0.label)/\($0.key)" },
            unclaimed: unclaimed.map(\.header),
            stateBytes: received.reduce(0) { $0 + $1.payload.count })
    }

    /// The envelope as the new process receives it: its wire bytes, reassembled and checked by
    /// the code that reads `STATE` frames.
    private func carry(_ envelope: Envelope) throws -> Envelope {
        let (prefix, suffix) = envelope.wireParts()
        let bytes = prefix + envelope.payload + suffix
        var offset = 0
        let assembled = try StateChunk.Assembler(maxPayloadLength: maxStateSize).assemble { destination, crc in
            let count = min(destination.count, bytes.count - offset)
            bytes.withUnsafeBytes { source in
                let piece = UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)])
                destination.copyMemory(from: piece)
                crc = CRC32C.checksum(piece, continuing: crc)
            }
            offset += count
            return count
        }
        guard let assembled else {
            throw HandoffError(.truncatedEnvelope, "the envelope for \(envelope.header.label)/\(envelope.header.key) ended early")
        }
        return assembled
    }
}
