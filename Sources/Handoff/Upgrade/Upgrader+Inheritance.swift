import HandoffSystem

// The successor's side of an upgrade, and the stop with no successor.
extension Upgrader {
    /// Takes the predecessor's handover: applies its state (all of it, or none), acknowledges,
    /// adopts its connections, and waits for it to exit.
    ///
    /// If the state cannot be applied, the predecessor is told `NACK` with the reason (it rolls
    /// back and serves on) and this throws. If the predecessor dies first, nothing of its state
    /// is applied; the store is tried instead. If the handover fails while the predecessor
    /// lives (a malformed frame), this process gives up and throws: the predecessor rolls back.
    ///
    /// After the `ACK`, nothing is served until the predecessor commits (`COMMIT`) or is gone.
    /// Returns whether it took over (then the caller calls ``predecessorExited()``) rather than
    /// losing the predecessor midway.
    func takeOver(participant: any UpgradeParticipant) async throws -> Bool {
        guard let link else { return false }
        var connections: [HandoffConnection] = []
        let envelopes: [Envelope]
        do {
            envelopes = try await link.receiveHandover(received: &connections)
        } catch {
            guard await link.confirmPredecessorGone(within: .seconds(1)) else {
                let failure = (error as? HandoffError ?? HandoffError(.unexpectedFrame, "\(error)"))
                    .context("taking the handover from a predecessor that is still alive")
                await link.abort("\(failure)")
                connections.forEach { Syscall.close($0.descriptor) }
                state.finish(.failed(failure))
                dropLink()
                throw failure
            }
            machine.withLock { $0.predecessorGone() }
            link.channel.shutdown()
            dropLink()
            await participant.adopt(connections)
            writePIDFile()
            let lost = error as? HandoffError ?? HandoffError(.predecessorLost, "\(error)")
            broadcast.emit(.predecessorLost(lost))
            state.finish(await state.restore(from: store()))
            machine.withLock { $0.settleState() }
            upgradable.fulfill(())
            return false
        }
        broadcast.emit(.handoverReceived(connections: connections.count, stateBytes: envelopes.reduce(0) { $0 + $1.payload.count }))
        let unclaimed: [Envelope]
        do {
            unclaimed = try await state.apply(envelopes)
        } catch {
            let refusal = error as? HandoffError ?? HandoffError(.codingFailed, "\(error)")
            await link.refuse("\(refusal)")
            state.finish(.failed(refusal))
            dropLink()
            connections.forEach { Syscall.close($0.descriptor) }
            throw refusal
        }
        // The handover is complete whether or not the ACK reaches the predecessor: if it died
        // meanwhile, this process is the only one left and takes over all the same.
        link.step(.beforeAck)
        try? await link.acknowledge()
        await link.awaitCommit()
        machine.withLock {
            $0.handoverFinished()
            $0.settleState()
        }
        let applied = envelopes.count - unclaimed.count
        state.finish(applied == 0 ? .nothingToRestore : .restored(state.names))
        if !unclaimed.isEmpty {
            // State this build registers nobody for is kept, not dropped.
            do {
                try await state.offer(unclaimed, to: store(), ttl: configuration.stateTTL)
            } catch {
                broadcast.emit(.failed((error as? HandoffError ?? HandoffError(.storeFailed, "\(error)")).context("offering state nobody registered")))
            }
        }
        await participant.adopt(connections)
        writePIDFile()
        broadcast.emit(.tookOver(generation: generation, predecessor: link.predecessorPID))
        await link.waitForExit()
        dropLink()
        return true
    }

    /// After ``takeOver(participant:)`` returned — the last reference to the link gone, the
    /// channel's descriptors closed with it — records that the predecessor exited.
    func predecessorExited() {
        machine.withLock { $0.predecessorGone() }
        broadcast.emit(.predecessorExited)
        upgradable.fulfill(())
    }

    /// Stops for good: tells systemd `STOPPING=1` (under `$NOTIFY_SOCKET`), offers the
    /// registered state to the store (unless a successor took it over), then closes every
    /// descriptor.
    ///
    /// Call it after the application stopped serving, so the state no longer changes.
    /// - Throws: ``HandoffError`` if the state could not be offered (a full or unwritable
    ///   store). The descriptors are then left open, so the process can serve on; nothing
    ///   offered before is touched.
    public func shutdown() async throws {
        if !isReplaced { systemd?.stopping() }
        if !isReplaced && !state.names.isEmpty {
            do {
                let envelopes = try await state.collect()
                try await state.offer(envelopes, to: store(), ttl: configuration.stateTTL)
                // The offer holds the state now: no checkpoint of this process may be claimed.
                if configuration.checkpointInterval != nil { await state.removeCheckpoints(from: store()) }
            } catch {
                await state.abandon()
                throw error
            }
        }
        descriptors.closeAll()
    }

    func writePIDFile() {
        guard let path = configuration.pidFile else { return }
        do {
            try PIDFile.write(Syscall.processID, to: path)
        } catch {
            broadcast.emit(.failed(error.context("writing the PID file")))
        }
    }
}

extension Upgrader {
    /// A ``DirectoryStore`` under the user's runtime directory, named after the program. If it
    /// cannot be made, a store that refuses every offer with the reason, so a stop reports why.
    static func defaultStore(program: String) -> any HandoffStore {
        let name = program.split(separator: "/").last.map(String.init) ?? "handoff"
        let directory = DirectoryStore.defaultDirectory(for: name)
        do {
            return try DirectoryStore(directory: directory)
        } catch {
            return UnavailableStore(reason: (error as? HandoffError) ?? HandoffError(.storeFailed, "\(error)"))
        }
    }
}

/// The store in force when the default one could not be made: nothing to claim, and every
/// offer refused with the reason.
struct UnavailableStore: HandoffStore {
    let reason: HandoffError

    func offer(_ envelope: Envelope, ttl: Duration?) async throws { throw reason }
    func claim(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim? { nil }
    func commit(_ claim: HandoffClaim) async throws { throw reason }
    func release(_ claim: HandoffClaim) async throws { throw reason }
    func offers(label: String) -> AsyncStream<EnvelopeHeader> { AsyncStream { $0.finish() } }
}
