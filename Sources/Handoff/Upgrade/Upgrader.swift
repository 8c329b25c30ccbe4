import Synchronization
import HandoffSystem

/// Replaces the running binary with a new one without closing a listening socket or dropping a
/// connection.
///
/// Create the upgrader first thing in `main`, take your listeners from ``descriptors``, declare
/// ``ready()``, and ``run(participant:)`` until the process has been replaced:
///
/// ```swift
/// let upgrader = try await Upgrader(configuration: .init(pidFile: "/run/app.pid"))
/// let listener = try upgrader.descriptors.listener(try SocketEndpoint(parsing: "0.0.0.0:8080"))
/// let server = try MyServer(listener: listener)          // an UpgradeParticipant
/// try await upgrader.ready()
/// try await upgrader.run(participant: server)            // SIGHUP upgrades; returns once replaced
/// ```
///
/// On SIGHUP (or ``upgrade()``) the upgrader spawns the binary at the path this process was
/// started from and passes it every named descriptor over a private socket pair. Once the new
/// process is ready and accepting on the same sockets, this one drains through the participant,
/// hands over its idle connections, and waits for the new process's acknowledgement. If the new
/// process fails at any step, it is killed and this process serves on.
public final class Upgrader: Sendable {
    /// The configuration in force.
    public let configuration: UpgraderConfiguration
    /// The named descriptors this process holds and will pass on.
    public let descriptors: Descriptors
    /// 1 for a process started fresh; one more than its predecessor's for a successor.
    public let generation: Int
    /// The process this one took over from, if it was started by an upgrade.
    public let predecessorPID: Int32?
    /// The ``HandoffAware`` instances whose state this process hands over and takes over.
    /// Register them before ``run(participant:)``.
    public let state: HandoffRegistry

    let executablePath: String
    let arguments: [String]
    /// The control channel to the predecessor, until the handover is over (then its
    /// descriptors are closed).
    private let linkSlot: Mutex<PredecessorLink?>
    var link: PredecessorLink? { linkSlot.withLock { $0 } }
    /// Why the predecessor was lost before it handed the descriptors over, if it was: this
    /// process then starts as a root, with what arrived whole.
    let inheritanceLoss: HandoffError?
    package let machine: Mutex<UpgradeStateMachine>
    let broadcast = EventBroadcast<UpgradeEvent>()
    private let participant = Mutex<(any UpgradeParticipant)?>(nil)
    private let replacement = AsyncLatch<Int32>()
    private let resolvedStore = Mutex<(any HandoffStore)?>(nil)
    /// Fulfilled once this process may upgrade: its state is settled and its predecessor gone.
    let upgradable = AsyncLatch<Void>()
    /// The channel to the successor that took over, held open until this process exits.
    private let successorChannel = Mutex<ControlChannel?>(nil)
    /// SIGHUP, trapped from `init` on so that none sent before ``run(participant:)`` is lost.
    private let hangups: TrappedSignals?
    /// Tells systemd what happens, under `$NOTIFY_SOCKET` (Systemd/).
    package let systemd: SystemdReporter?
    /// The state checkpoint systemd's file descriptor store passed at a first start.
    private let checkpointEnvelopes: [Envelope]?
    /// Why every upgrade is refused here, if it is: PID 1 without a keeper (Keeper/).
    private let keeperRefusal: HandoffError?

    /// Creates the upgrader: inherits the predecessor's descriptors if this process was started
    /// by an upgrade (`HANDOFF_CONTROL_FD` is set), or starts generation 1.
    ///
    /// SIGHUP is trapped right away (when ``UpgraderConfiguration/upgradesOnSIGHUP``): an early
    /// one cannot kill the process, and one sent before ``run(participant:)`` is acted on when
    /// it starts.
    ///
    /// At a first start as PID 1 of a PID namespace (a container without an init), this does
    /// not return: the process becomes the keeper of a copy of itself (``KeeperMode``).
    /// - Throws: ``HandoffError`` if the predecessor's descriptors cannot be taken: the process
    ///   should then exit, and its predecessor serves on; ``HandoffError/Code/invalidArgument``
    ///   if `HANDOFF_KEEPER` names no ``KeeperMode``.
    public init(configuration: UpgraderConfiguration = .init()) async throws {
        let keeperMode = try Keeper.mode(configured: configuration.keeper)
        if Keeper.shouldKeep(keeperMode) {
            guard let path = configuration.executablePath ?? ExecutablePath.resolve(argument0: CommandLine.arguments.first ?? "") else {
                throw HandoffError(.invalidArgument, "cannot resolve this program's path from argv[0]; set UpgraderConfiguration.executablePath")
            }
            Keeper.run(executablePath: path, arguments: configuration.arguments ?? CommandLine.arguments)
        }
        self.keeperRefusal = Keeper.refusal()
        self.hangups = configuration.upgradesOnSIGHUP ? TrappedSignals([Signal.hangup.rawValue]) : nil
        self.configuration = configuration
        self.descriptors = Descriptors()
        let argv = CommandLine.arguments
        self.arguments = configuration.arguments ?? argv
        guard let path = configuration.executablePath ?? ExecutablePath.resolve(argument0: argv.first ?? "") else {
            throw HandoffError(.invalidArgument, "cannot resolve this program's path from argv[0]; set UpgraderConfiguration.executablePath")
        }
        self.executablePath = path
        self.state = HandoffRegistry(
            producer: Envelope.Producer(pid: Syscall.processID, host: Upgrader.hostName(), build: configuration.buildID),
            maxPayloadLength: configuration.maxStateSize)

        let environment = Upgrader.takeEnvironment()
        if let controlFD = environment.controlFD {
            self.generation = environment.generation ?? 2
            let inheritance = try await PredecessorLink.connect(fd: controlFD, configuration: configuration)
            self.linkSlot = Mutex(inheritance.link)
            self.predecessorPID = inheritance.link?.predecessorPID
            self.inheritanceLoss = inheritance.lost
            descriptors.addInherited(inheritance.entries)
            self.checkpointEnvelopes = nil
        } else {
            self.generation = 1
            self.linkSlot = Mutex(nil)
            self.predecessorPID = nil
            self.inheritanceLoss = nil
            // Socket activation and the file descriptor store: only a first start adopts them.
            let activation = configuration.systemd.adoptsActivatedSockets ? try SocketActivation.take() : nil
            descriptors.addInherited(activation?.entries ?? [])
            self.checkpointEnvelopes = activation.flatMap {
                $0.checkpoints.isEmpty ? nil : StateCheckpoint.newest(of: $0.checkpoints, maxPayloadLength: configuration.maxStateSize).envelopes
            }
        }
        self.machine = Mutex(UpgradeStateMachine())
        self.systemd = SystemdReporter(
            configuration: configuration.systemd, generation: generation, awaitsPredecessor: linkSlot.withLock { $0 != nil },
            predecessorPID: predecessorPID, descriptors: descriptors, registry: state)
        if let systemd { broadcast.observe { systemd.observe($0) } }
    }

    /// Lets go of the link to the predecessor once the handover is over, which closes the
    /// channel's descriptors.
    func dropLink() {
        linkSlot.withLock { $0 = nil }
    }

    /// Events of every upgrade from now on, for this subscriber.
    public func events() -> AsyncStream<UpgradeEvent> { broadcast.subscribe() }

    /// Declares that this process serves on its descriptors.
    ///
    /// Inherited descriptors nobody claimed are closed. A successor tells its predecessor
    /// `READY` (the predecessor then drains); a first generation writes the PID file. A
    /// successor whose predecessor died meanwhile serves all the same: it is the only process
    /// left.
    /// - Throws: ``HandoffError`` if the predecessor cannot be told, or the PID file written.
    public func ready() async throws {
        let action = machine.withLock { $0.ready(hasPredecessor: link != nil) }
        switch action {
        case .refuse(let error):
            throw error
        case .sendReady:
            descriptors.closeUnclaimed()
            let link = link!
            link.step(.beforeReady)
            do {
                try await link.sendReady()
            } catch {
                // A predecessor that died has nothing to roll back to: serve, and let
                // run(participant:) fall back to the store. One that lives rolls back.
                guard await link.confirmPredecessorGone(within: .seconds(1)) else { throw error }
            }
            link.step(.afterReady)
        case .writePIDFile:
            descriptors.closeUnclaimed()
            if let path = configuration.pidFile { try PIDFile.write(Syscall.processID, to: path) }
        }
        systemd?.processReady()
    }

    /// Runs upgrades until this process has been replaced.
    ///
    /// First restores state: a successor takes its predecessor's handover — state applied to
    /// the registered ``HandoffAware`` instances, connections to `participant`'s
    /// ``UpgradeParticipant/adopt(_:)`` — and a first generation claims state from the store.
    /// ``HandoffRegistry/restored()`` then returns. From there it upgrades on every SIGHUP (a
    /// SIGHUP during an upgrade is refused, never queued). Returns once a successor has taken
    /// over: the process should then exit.
    /// - Parameter participant: Drains, resumes and adopts connections for the application.
    /// - Throws: `CancellationError` if the calling task is cancelled; the reason, if this
    ///   process refused its predecessor's state (the predecessor serves on; exit).
    public func run(participant: any UpgradeParticipant) async throws {
        self.participant.withLock { $0 = participant }
        let signals = hangups
        enum Outcome { case replaced, other }
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            group.addTask {
                if self.link != nil {
                    // The link is released when takeOver returns, closing the channel first.
                    if try await self.takeOver(participant: participant) { self.predecessorExited() }
                } else {
                    if let loss = self.inheritanceLoss { self.broadcast.emit(.predecessorLost(loss)) }
                    self.state.finish(await self.state.restore(from: self.store()))
                    self.machine.withLock { $0.settleState() }
                    self.upgradable.fulfill(())
                }
                return .other
            }
            if let interval = configuration.checkpointInterval {
                group.addTask {
                    _ = try? await self.upgradable.wait()
                    guard let store = self.store() as? any CheckpointingStore else {
                        self.broadcast.emit(.checkpointFailed(HandoffError(.invalidArgument, "checkpointInterval is set, but the store keeps no checkpoints")))
                        return .other
                    }
                    while !Task.isCancelled {
                        do {
                            try await self.state.checkpoint(to: store)
                        } catch {
                            self.broadcast.emit(.checkpointFailed((error as? HandoffError ?? HandoffError(.storeFailed, "\(error)")).context("writing a checkpoint")))
                        }
                        do { try await Task.sleep(for: interval) } catch { break }
                    }
                    return .other
                }
            }
            let followed = state.followed(all: configuration.followsOffers)
            if !followed.isEmpty {
                group.addTask {
                    // Offers made while this process runs (a rolling deploy), once its own
                    // state is settled.
                    _ = try? await self.upgradable.wait()
                    await self.follow(followed)
                    return .other
                }
            }
            if let signals {
                group.addTask {
                    // SIGHUP acts once this process may upgrade: its state restored and its
                    // predecessor gone. One sent before waits; one during an upgrade is refused.
                    _ = try? await self.upgradable.wait()
                    await withDiscardingTaskGroup { attempts in
                        for await _ in signals.stream {
                            attempts.addTask { _ = try? await self.upgrade() }
                        }
                    }
                    return .other
                }
            }
            group.addTask {
                _ = try await self.replacement.wait()
                return .replaced
            }
            if let systemd = self.systemd {
                group.addTask {
                    await systemd.run()
                    return .other
                }
            }
            for try await outcome in group where outcome == .replaced {
                group.cancelAll()
                return
            }
        }
    }

    /// Upgrades now: spawns the new binary and hands everything over.
    /// - Returns: The pid of the process that took over. This process should drain what is
    ///   left and exit; ``run(participant:)`` returns.
    /// - Throws: ``HandoffError``: ``HandoffError/Code/upgradeInProgress`` or
    ///   ``HandoffError/Code/notReady`` if refused, ``HandoffError/Code/noKeeper`` as PID 1
    ///   without a keeper; otherwise why the new process failed
    ///   (``HandoffError/Code/childExited``, ``HandoffError/Code/deadlineExceeded``,
    ///   ``HandoffError/Code/childRefused``, a frame error…). This process serves on.
    @discardableResult
    public func upgrade() async throws -> Int32 {
        if let refusal = keeperRefusal ?? machine.withLock({ $0.requestUpgrade() }) {
            broadcast.emit(.refused(refusal))
            throw refusal
        }
        broadcast.emit(.started)
        let session = SuccessorSession(
            configuration: configuration, executablePath: executablePath, arguments: arguments,
            generation: generation, descriptors: descriptors,
            participant: participant.withLock { $0 }, registry: state,
            emit: { [broadcast] in broadcast.emit($0) })
        do {
            let (pid, channel) = try await session.perform()
            successorChannel.withLock { $0 = channel }
            descriptors.markReplaced()
            // The successor holds the state now: no checkpoint of this process may be claimed.
            // Only a process that writes checkpoints has any to remove.
            if configuration.checkpointInterval != nil { await state.removeCheckpoints(from: store()) }
            machine.withLock { $0.upgradeCommitted(to: pid) }
            broadcast.emit(.replaced(by: pid))
            replacement.fulfill(pid)
            return pid
        } catch {
            let failure = error as? HandoffError ?? HandoffError(.childExited, "\(error)")
            machine.withLock { $0.upgradeFailed() }
            broadcast.emit(.failed(failure))
            throw failure
        }
    }

    /// The store in force: the configured one, or the default directory store, made once.
    func store() -> any HandoffStore {
        resolvedStore.withLock { resolved in
            if let resolved { return resolved }
            var store = configuration.store ?? Upgrader.defaultStore(program: executablePath)
            if let checkpointEnvelopes { store = CheckpointStore(envelopes: checkpointEnvelopes, fallback: store) }
            resolved = store
            return store
        }
    }

    /// Whether a successor took this process over: the process should exit without offering
    /// its state to the store (``shutdown()`` knows).
    public var isReplaced: Bool {
        if case .replaced = machine.withLock({ $0.state }) { return true }
        return false
    }

    /// Reads and removes the handoff variables, so programs this process starts do not take
    /// them for their own.
    private static func takeEnvironment() -> (controlFD: CInt?, generation: Int?) {
        let control = Environment.value("HANDOFF_CONTROL_FD").flatMap { CInt($0) }
        let generation = Environment.value("HANDOFF_GENERATION").flatMap { Int($0) }
        Environment.remove("HANDOFF_CONTROL_FD")
        Environment.remove("HANDOFF_GENERATION")
        return (control, generation)
    }

    private static func hostName() -> String {
        Syscall.hostName
    }
}
