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
/// 2. each envelope crosses a real control channel (a socket pair in this process) as the old
///    process sends it, in `STATE` frames, and is read and checked by the new process's code;
/// 3. the new side's registry decodes and migrates every envelope before it resumes any
///    instance (``HandoffAware/resume(from:)``): all or nothing, as before the `ACK`;
/// 4. the new side acknowledges (`ACK`); if anything failed, it refuses (`NACK`), the old
///    side's instances are told ``HandoffAware/handoffAbandoned()`` — they own their state
///    again, as after a rollback — and the error is thrown.
///
/// What it does not run: the processes, descriptor passing and the drain. Those are the
/// upgrader's own, and its tests cover them.
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

    /// The largest frame payload, as ``UpgraderConfiguration/maxFramePayload``: state is sent in
    /// `STATE` frames of at most this many bytes (8 MiB at most).
    public var maxFramePayload: Int
    /// How long one handover may take before it fails with ``HandoffError/Code/deadlineExceeded``.
    public var timeout: Duration

    /// Makes a harness.
    /// - Parameters:
    ///   - maxStateSize: The largest state one instance may give.
    ///   - maxFramePayload: The largest frame payload (at least 64 bytes; 64 MiB by default, as the upgrader's).
    ///   - timeout: How long one handover may take.
    public init(maxStateSize: Int = Envelope.defaultMaxPayloadLength, maxFramePayload: Int = 64 << 20, timeout: Duration = .seconds(60)) {
        self.maxStateSize = maxStateSize
        self.maxFramePayload = max(64, maxFramePayload)
        self.timeout = timeout
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
        let giving = HandoffRegistry(producer: Envelope.Producer(pid: 1, host: "handoff-testing", build: "old"), maxPayloadLength: maxStateSize)
        let taking = HandoffRegistry(producer: Envelope.Producer(pid: 2, host: "handoff-testing", build: "new"), maxPayloadLength: maxStateSize)
        for instance in old { try giving.register(instance) }
        for instance in new { try taking.register(instance) }

        let deadline = ContinuousClock.now + timeout
        let unclaimed: [Envelope]
        let received: [Envelope]
        do {
            let collected = try await giving.collect()
            let (oldEnd, newEnd) = try Self.channel(maxFramePayload: maxFramePayload)
            defer {
                oldEnd.shutdown()
                newEnd.shutdown()
            }
            received = try await transmit(collected, from: oldEnd, to: newEnd, until: deadline)
            do {
                unclaimed = try await taking.apply(received)
            } catch {
                // The NACK, read by the old side as an upgrade's old process reads it.
                try? await newEnd.send(Frame(.nack, payload: ReasonMessage.encode("\(error)")), until: deadline)
                _ = try? await oldEnd.receive(until: deadline)
                throw error
            }
            try await newEnd.send(Frame(.ack), until: deadline)
            guard let ack = try await oldEnd.receive(until: deadline), ack.frame.type == .ack else {
                throw HandoffError(.unexpectedFrame, "the old side did not read the ACK")
            }
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

    /// Two ends of a control channel in this process: the old side's and the new side's.
    private static func channel(maxFramePayload: Int) throws -> (ControlChannel, ControlChannel) {
        let (a, b) = try Syscall.socketPair()
        let oldEnd: ControlChannel
        do {
            oldEnd = try ControlChannel(fd: a, peerName: "new side", expectedPeer: nil, acceptsDescriptors: false, maxPayloadLength: maxFramePayload)
        } catch {
            Syscall.close(a)
            Syscall.close(b)
            throw error
        }
        do {
            let newEnd = try ControlChannel(fd: b, peerName: "old side", expectedPeer: nil, acceptsDescriptors: true, maxPayloadLength: maxFramePayload)
            return (oldEnd, newEnd)
        } catch {
            Syscall.close(b)
            throw error
        }
    }

    /// Sends each envelope as `STATE` frames, then `STATE_END`, as the old process does, while
    /// the new side reads them as the new process does: each run of `STATE` frames straight
    /// into its envelope, both checksums checked.
    private func transmit(_ envelopes: [Envelope], from oldEnd: ControlChannel, to newEnd: ControlChannel, until deadline: ContinuousClock.Instant) async throws -> [Envelope] {
        async let sending: Void = Self.send(envelopes, over: oldEnd, until: deadline)
        do {
            let received = try await receive(from: newEnd, until: deadline)
            try await sending
            return received
        } catch let error as HandoffError where error.code == Self.endedEarly.code && error.reason == Self.endedEarly.reason {
            try await sending  // the sender failed first: its error says why
            throw error
        } catch {
            oldEnd.shutdown()
            _ = try? await sending
            throw error
        }
    }

    private static func send(_ envelopes: [Envelope], over channel: ControlChannel, until deadline: ContinuousClock.Instant) async throws {
        do {
            for envelope in envelopes {
                let (prefix, suffix) = envelope.wireParts()
                try await channel.sendChunked(.state, [prefix, envelope.payload, suffix], lastChunkFlag: StateChunk.lastFlag, until: deadline)
            }
            try await channel.send(Frame(.stateEnd), until: deadline)
        } catch {
            channel.shutdown()
            throw error
        }
    }

    private func receive(from channel: ControlChannel, until deadline: ContinuousClock.Instant) async throws -> [Envelope] {
        let assembler = StateChunk.Assembler(maxPayloadLength: maxStateSize)
        var envelopes: [Envelope] = []
        while true {
            guard let item = try await channel.receiveHandover(assembler, until: deadline) else { throw Self.endedEarly }
            switch item {
            case .envelope(let envelope):
                envelopes.append(envelope)
            case .frame(let received) where received.frame.type == .stateEnd:
                return envelopes
            case .frame(let received):
                throw HandoffError(.unexpectedFrame, "\(received.frame.type) from the old side during the handover")
            }
        }
    }

    private static let endedEarly = HandoffError(.predecessorLost, "the old side closed the channel before STATE_END")
}
