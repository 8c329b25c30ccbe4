import HandoffSystem

/// One upgrade attempt, as the old process runs it: spawn, `HELLO`, descriptors, `READY`,
/// drain, handover, `ACK`. Any failure kills the new process and hands the drained connections
/// back to the participant, so the old process serves on.
struct SuccessorSession {
    let configuration: UpgraderConfiguration
    let executablePath: String
    let arguments: [String]
    let generation: Int
    let descriptors: Descriptors
    let participant: (any UpgradeParticipant)?
    let registry: HandoffRegistry
    let emit: @Sendable (UpgradeEvent) -> Void

    /// Runs the attempt; returns the new process's pid once it acknowledged the handover, and
    /// the channel to it, which the caller keeps open until this process exits: the successor
    /// takes end of stream on it to mean its predecessor is gone.
    func perform() async throws -> (pid: Int32, channel: ControlChannel) {
        let deadline = ContinuousClock.now + configuration.upgradeTimeout
        var pair: [CInt] = [-1, -1]
        (pair[0], pair[1]) = try Syscall.socketPair()
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                path: executablePath, arguments: arguments,
                environment: childEnvironment(), controlFD: pair[1])
        } catch {
            Syscall.close(pair[0])
            Syscall.close(pair[1])
            throw HandoffError(.spawnFailed, error.reason, errno: error.errno)
        }
        Syscall.close(pair[1])
        emit(.spawned(pid: child.pid))

        let channel: ControlChannel
        do {
            channel = try ControlChannel(
                fd: pair[0], peerName: "new process", expectedPeer: child.pid, acceptsDescriptors: false,
                maxPayloadLength: configuration.maxFramePayload)
        } catch {
            Syscall.close(pair[0])
            _ = await child.killAndReap()
            throw error
        }
        // The descriptors are listed and encoded while the new process starts, on the other core,
        // rather than after its HELLO (about 3 ms for 10,000 of them).
        let descriptorFrames = Self.frames(descriptors.handoverSnapshot())
        var drained: [HandoffConnection]? = nil
        var collecting = false
        do {
            try await introduce(channel, child: child, descriptors: descriptorFrames, deadline: deadline)
            step(.beforeReady, channel)
            try await expect(.ready, from: channel, child: child, deadline: deadline, stage: "READY")
            emit(.successorReady(pid: child.pid))
            step(.afterReady, channel)

            emit(.draining)
            let drain = await self.drain(until: deadline)
            drained = drain.connections
            if let failure = drain.failure { throw failure }
            collecting = true
            let state = try await registry.collect()
            try await hand(over: drain.connections, state: state, channel: channel, deadline: deadline)
            step(.beforeAck, channel)
            try await expect(.ack, from: channel, child: child, deadline: deadline, stage: "ACK")
            // The commit point: the child serves only once it reads this (or sees this process
            // gone), so it never serves while this one might still roll back.
            try await channel.send(Frame(.commit), until: .now + .seconds(5))
            return (child.pid, channel)
        } catch {
            // Kill first, close after: a child that sees the channel end may take it for this
            // process's exit, so it must already be dead by then.
            child.kill()
            channel.shutdown()
            let status = await child.reap()
            if collecting { await registry.abandon() }
            if let drained { await participant?.resume(drained) }
            throw explain(error, child: child, status: status)
        }
    }

    /// Drains through the participant, cancelling it at the deadline. Connections it returns
    /// even after failing or being cancelled are kept, so the rollback can hand them back.
    private func drain(until deadline: ContinuousClock.Instant) async -> (connections: [HandoffConnection], failure: HandoffError?) {
        guard let participant else { return ([], nil) }
        enum Step: Sendable { case drained([HandoffConnection]), failed(String), deadline }
        return await withTaskGroup(of: Step.self) { group in
            group.addTask {
                do { return .drained(try await participant.drain()) } catch { return .failed("\(error)") }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return .deadline
            }
            var connections: [HandoffConnection] = []
            var failure: HandoffError?
            var drainDone = false
            for await step in group {
                switch step {
                case .drained(let returned):
                    connections = returned
                    drainDone = true
                case .failed(let reason):
                    failure = failure ?? HandoffError(.drainFailed, "the participant failed to drain: \(reason)")
                    drainDone = true
                case .deadline:
                    if !drainDone {
                        failure = HandoffError(.deadlineExceeded, "the participant did not finish draining within the \(configuration.upgradeTimeout) upgrade deadline")
                    }
                }
                group.cancelAll()
            }
            return (connections, failure)
        }
    }

    private func introduce(_ channel: ControlChannel, child: ChildProcess, descriptors: [(frame: Frame, descriptors: [CInt])], deadline: ContinuousClock.Instant) async throws {
        guard let first = try await channel.receive(until: deadline) else {
            throw HandoffError(.childExited, "new process closed the control channel before HELLO")
        }
        guard first.frame.type == .hello else {
            throw HandoffError(.unexpectedFrame, "new process sent \(first.frame.type) before HELLO")
        }
        let hello = try HelloMessage(decoding: first.frame.payload)
        guard hello.pid == child.pid else {
            throw HandoffError(.peerMismatch, "HELLO names pid \(hello.pid); the spawned process is \(child.pid)")
        }
        step(.afterHello, channel)
        try await send(descriptors, channel: channel, deadline: deadline) { step(.midFDS, channel) }
        try await channel.send(Frame(.fdsEnd), until: deadline)
        step(.afterFDSEnd, channel)
    }

    /// Connections as `FDS` records, then each envelope in `STATE` chunks (the last chunk of an
    /// envelope flagged), then `STATE_END`.
    private func hand(over connections: [HandoffConnection], state: [Envelope], channel: ControlChannel, deadline: ContinuousClock.Instant) async throws {
        let records = connections.enumerated().map { index, connection in
            (record: DescriptorRecord(name: "connection-\(index)", kind: .connection, address: "", extra: connection.unreadBytes), fd: connection.descriptor)
        }
        try await send(Self.frames(records), channel: channel, deadline: deadline)
        emit(.handingOver(connections: connections.count, stateBytes: state.reduce(0) { $0 + $1.payload.count }))
        for (index, envelope) in state.enumerated() {
            let (prefix, suffix) = envelope.wireParts()
            try await channel.sendChunked(.state, [prefix, envelope.payload, suffix], lastChunkFlag: StateChunk.lastFlag, until: deadline)
            if index == 0 { step(.midState, channel) }
        }
        try await channel.send(Frame(.stateEnd), until: deadline)
    }

    /// `FDS` frames of at most ``DescriptorRecord/maxPerFrame`` descriptors each.
    private static func frames(_ items: [(record: DescriptorRecord, fd: CInt)]) -> [(frame: Frame, descriptors: [CInt])] {
        stride(from: 0, to: items.count, by: DescriptorRecord.maxPerFrame).map { start in
            let batch = items[start..<min(start + DescriptorRecord.maxPerFrame, items.count)]
            return (frame: Frame(.fds, payload: DescriptorRecord.encode(batch.lazy.map(\.record))), descriptors: batch.map(\.fd))
        }
    }

    /// Sends `FDS` frames; `afterFirstBatch` runs once the first is sent. The rest go in one run
    /// on the write queue.
    private func send(
        _ frames: [(frame: Frame, descriptors: [CInt])], channel: ControlChannel, deadline: ContinuousClock.Instant,
        afterFirstBatch: () -> Void = {}
    ) async throws {
        guard let first = frames.first else { return }
        try await channel.send(first.frame, descriptors: first.descriptors, until: deadline)
        afterFirstBatch()
        try await channel.send(Array(frames.dropFirst()), until: deadline)
    }

    private func step(_ step: UpgradeStep, _ channel: ControlChannel) {
        configuration.stepHook?(step, .old, channel.fd)
    }

    private func expect(_ type: FrameType, from channel: ControlChannel, child: ChildProcess, deadline: ContinuousClock.Instant, stage: String) async throws {
        guard let received = try await channel.receive(until: deadline) else {
            throw HandoffError(.childExited, "new process closed the control channel before \(stage)")
        }
        switch received.frame.type {
        case type:
            return
        case .nack:
            let reason = try ReasonMessage.decode(received.frame.payload, what: "NACK")
            throw HandoffError(.childRefused, "new process refused the handover: \(reason)")
        case .abort:
            let reason = try ReasonMessage.decode(received.frame.payload, what: "ABORT")
            throw HandoffError(.childExited, "new process gave up: \(reason)")
        default:
            throw HandoffError(.unexpectedFrame, "new process sent \(received.frame.type) where \(stage) was expected")
        }
    }

    /// Adds the new process's fate to the error, so the reason says what happened to it.
    private func explain(_ error: any Error, child: ChildProcess, status: ExitStatus) -> HandoffError {
        let base: HandoffError
        if let error = error as? HandoffError, error.errno == .brokenPipe || error.errno == .connectionReset {
            base = HandoffError(.childExited, "new process closed the control channel (\(error.reason))")
        } else if let error = error as? HandoffError {
            base = error
        } else if error is CancellationError {
            base = HandoffError(.childExited, "the upgrade was cancelled")
        } else {
            base = HandoffError(.childExited, "\(error)")
        }
        let fate = base.code == .deadlineExceeded
            ? "killed after the \(configuration.upgradeTimeout) upgrade deadline"
            : "new process pid \(child.pid) \(status)"
        return HandoffError(base.code, "\(base.reason) (\(fate))", errno: base.errno)
    }

    private func childEnvironment() -> [String] {
        ChildProcess.environment(
            dropping: ["HANDOFF_CONTROL_FD=", "HANDOFF_GENERATION=", "LISTEN_PID=", "LISTEN_FDS=", "LISTEN_FDNAMES="],
            adding: ["HANDOFF_CONTROL_FD=3", "HANDOFF_GENERATION=\(generation + 1)"])
    }
}
