import HandoffSystem

/// The successor's side of the control channel: introduce itself, take the descriptors, say
/// `READY`, take the handover, acknowledge it, and watch the predecessor exit.
final class PredecessorLink: Sendable {
    let channel: ControlChannel
    let predecessorPID: Int32
    let configuration: UpgraderConfiguration

    private init(channel: ControlChannel, predecessorPID: Int32, configuration: UpgraderConfiguration) {
        self.channel = channel
        self.predecessorPID = predecessorPID
        self.configuration = configuration
    }

    /// What ``connect(fd:configuration:)`` inherited.
    struct Inheritance {
        /// The link to the predecessor; `nil` if it died before `FDS_END`.
        var link: PredecessorLink?
        /// The descriptors that arrived whole and valid.
        var entries: [Descriptors.Entry]
        /// Why the predecessor was lost, if it died before `FDS_END`.
        var lost: HandoffError?
    }

    /// Opens the channel on `fd`, sends `HELLO` and receives the inherited descriptors, each
    /// validated against its record.
    ///
    /// If the predecessor dies before `FDS_END` (it is gone for certain: this process was
    /// re-parented), this process is the only one left: it keeps what arrived whole and starts
    /// as a root would. On any other failure — a malformed frame, a deadline, a live
    /// predecessor — every received descriptor is closed and this throws: the predecessor
    /// serves on.
    static func connect(fd: CInt, configuration: UpgraderConfiguration) async throws -> Inheritance {
        do {
            guard try Sockets.validate(fd, as: .connection, name: "HANDOFF_CONTROL_FD")?.family == .unix else {
                throw HandoffError(.descriptorMismatch, "HANDOFF_CONTROL_FD=\(fd) is not a Unix socket")
            }
        } catch {
            Syscall.close(fd)
            throw error
        }
        let parent = Syscall.parentProcessID
        let channel = try ControlChannel(
            fd: fd, peerName: "predecessor", expectedPeer: parent, acceptsDescriptors: true,
            maxPayloadLength: configuration.maxFramePayload)
        let link = PredecessorLink(channel: channel, predecessorPID: parent, configuration: configuration)
        let deadline = ContinuousClock.now + configuration.inheritTimeout
        var entries: [Descriptors.Entry] = []
        do {
            let hello = HelloMessage(pid: Syscall.processID, buildID: configuration.buildID)
            try await channel.send(Frame(.hello, payload: hello.encoded()), until: deadline)
            link.step(.afterHello)
            // An array, not a Set: a Set of a type first used here costs the process a scan of
            // every conformance record (for `Hashable`) on the way to READY.
            let kinds: [DescriptorKind] = [.listener, .datagram, .connection, .file]
            // A frame read ahead by the run of FDS frames.
            var ahead: ControlChannel.Received?
            while true {
                let next: ControlChannel.Received?
                if let frame = ahead { next = frame; ahead = nil } else { next = try await channel.receive(until: deadline) }
                guard let received = next else {
                    throw HandoffError(.predecessorLost, "predecessor closed the channel before FDS_END")
                }
                switch received.frame.type {
                case .fds:
                    entries += try link.validate(received, allowed: kinds)
                    link.step(.midFDS)
                    // The other FDS frames in one go on the read queue, each validated there.
                    let run = await channel.receiveRun(until: deadline) { [link] frame in
                        frame.frame.type == .fds ? try link.validate(frame, allowed: kinds) : nil
                    }
                    entries += run.items.joined()
                    ahead = try run.end.get()
                    if ahead == nil { throw HandoffError(.predecessorLost, "predecessor closed the channel before FDS_END") }
                case .fdsEnd:
                    let leftover = await channel.takeUnclaimedDescriptors()
                    if !leftover.isEmpty {
                        leftover.forEach(Syscall.close)
                        throw HandoffError(.descriptorCountMismatch, "\(leftover.count) descriptors arrived that no FDS frame announced")
                    }
                    link.step(.afterFDSEnd)
                    return Inheritance(link: link, entries: entries, lost: nil)
                case .abort:
                    throw HandoffError(.predecessorLost, "predecessor aborted: \(try ReasonMessage.decode(received.frame.payload, what: "ABORT"))")
                default:
                    throw HandoffError(.unexpectedFrame, "\(received.frame.type) from the predecessor before FDS_END")
                }
            }
        } catch {
            channel.shutdown()
            if await link.confirmPredecessorGone(within: .seconds(1)) {
                let reason = (error as? HandoffError)?.reason ?? "\(error)"
                return Inheritance(link: nil, entries: entries, lost: HandoffError(.predecessorLost, "predecessor pid \(parent) died before FDS_END (\(reason)); starting without it"))
            }
            entries.forEach { Syscall.close($0.fd) }
            throw error
        }
    }

    /// Whether the predecessor has exited: this process, its child, was re-parented.
    var predecessorGone: Bool { Syscall.parentProcessID != predecessorPID }

    /// Waits up to `limit` for the predecessor to be gone (its end of the channel closes a
    /// moment before the kernel re-parents this process); returns whether it is.
    func confirmPredecessorGone(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !predecessorGone {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(2))  // polling Syscall.parentProcessID with a deadline
        }
        return true
    }

    /// Calls the configuration's step hook (fault injection in tests).
    func step(_ step: UpgradeStep) {
        configuration.stepHook?(step, .new, channel.fd)
    }

    /// Tells the predecessor this process serves on the inherited listeners.
    func sendReady() async throws {
        try await channel.send(Frame(.ready), until: .now + configuration.upgradeTimeout)
    }

    /// What the predecessor hands over after it drained: connections and state envelopes,
    /// until `STATE_END`.
    ///
    /// Throws if the predecessor goes away first; `received` then holds the connections that
    /// arrived whole, which the caller adopts rather than reset. The state is returned only
    /// when it is complete, so nothing partial is ever applied.
    func receiveHandover(received: inout [HandoffConnection]) async throws -> [Envelope] {
        let state = StateChunk.Assembler(maxPayloadLength: configuration.maxStateSize)
        var envelopes: [Envelope] = []
        while true {
            guard let item = try await channel.receiveHandover(state, until: nil) else {
                throw HandoffError(.predecessorLost, "predecessor exited before it finished handing over")
            }
            switch item {
            case .envelope(let envelope):
                envelopes.append(envelope)
                if envelopes.count == 1 { step(.midState) }
            case .frame(let frame) where frame.frame.type == .fds:
                let entries = try validate(frame, allowed: [.connection])
                received += entries.map { HandoffConnection(descriptor: $0.fd, unreadBytes: $0.record.extra) }
            case .frame(let frame) where frame.frame.type == .stateEnd:
                return envelopes
            case .frame(let frame) where frame.frame.type == .abort:
                throw HandoffError(.predecessorLost, "predecessor aborted: \(try ReasonMessage.decode(frame.frame.payload, what: "ABORT"))")
            case .frame(let frame):
                throw HandoffError(.unexpectedFrame, "\(frame.frame.type) from the predecessor during the handover")
            }
        }
    }

    /// Acknowledges the handover: from here this process is the one serving.
    func acknowledge() async throws {
        try await channel.send(Frame(.ack), until: .now + configuration.upgradeTimeout)
    }

    /// Refuses the handover with a reason; the predecessor rolls back.
    func refuse(_ reason: String) async {
        try? await channel.send(Frame(.nack, payload: ReasonMessage.encode(reason)), until: .now + .seconds(5))
    }

    /// Gives up on the upgrade with a reason; the predecessor rolls back.
    func abort(_ reason: String) async {
        try? await channel.send(Frame(.abort, payload: ReasonMessage.encode(reason)), until: .now + .seconds(5))
        channel.shutdown()
    }

    /// Returns once the predecessor has committed to the handover (`COMMIT`) or is gone.
    ///
    /// The predecessor kills this process before it closes the channel on a rollback, so an
    /// end of stream means it exited. Anything else on the channel — a malformed frame, a frame
    /// out of place — says nothing certain, so then this waits for the predecessor to be gone:
    /// serving while it might still roll back would make two owners of one state.
    func awaitCommit() async {
        while true {
            do {
                guard let received = try await channel.receive(until: nil) else { break }
                if received.frame.type == .commit { return }
            } catch {
                break
            }
        }
        while !predecessorGone {
            try? await Task.sleep(for: .milliseconds(5))  // polling Syscall.parentProcessID: no event says "re-parented"
        }
    }

    /// Returns when the predecessor has closed its end (it exited), with the channel closed:
    /// nothing uses it after this.
    func waitForExit() async {
        while (try? await channel.receive(until: nil)) != nil {}
        channel.shutdown()
        channel.close()
    }

    func validate(_ received: ControlChannel.Received, allowed: [DescriptorKind]) throws -> [Descriptors.Entry] {
        do {
            let records = try DescriptorRecord.decode(received.frame.payload, maxExtra: configuration.maxFramePayload)
            guard records.count == received.descriptors.count else {
                throw HandoffError(.descriptorCountMismatch, "an FDS frame names \(records.count) descriptors; \(received.descriptors.count) arrived")
            }
            return try zip(records, received.descriptors).map { record, fd in
                guard allowed.contains(record.kind) else {
                    throw HandoffError(.unexpectedFrame, "a \(record.kind) descriptor \"\(record.name)\" arrived where only \(allowed.map(\.description).sorted()) may")
                }
                let bound = try Sockets.validate(fd, as: record.kind, name: record.name)?.address
                return Descriptors.Entry(record: record, fd: fd, bound: bound)
            }
        } catch {
            received.descriptors.forEach(Syscall.close)
            throw error
        }
    }
}
