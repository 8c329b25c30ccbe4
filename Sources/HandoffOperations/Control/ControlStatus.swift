import Handoff
import HandoffServices
import HandoffSystem

/// Where a running process stands, as ``ControlServer`` reports it for `handoffctl status`.
public struct ControlStatus: Sendable, Hashable, Codable {
    /// One named descriptor the process holds and passes on.
    public struct Listener: Sendable, Hashable, Codable {
        /// Its name in ``Descriptors``.
        public var name: String
        /// `listener`, `datagram`, `connection` or `file`.
        public var kind: String
        /// The socket's local address (the port the kernel chose included), or the file's
        /// path as asked for.
        public var address: String
    }

    /// The process answering.
    public var pid: Int32
    /// Its upgrade generation.
    public var generation: Int
    /// The process it took over from, if any.
    public var predecessor: Int32?
    /// Where it stands in the upgrade protocol: `starting`, `taking-over`,
    /// `awaiting-predecessor-exit`, `serving`, `upgrading` or `replaced`.
    public var state: String
    /// The services of its ``ServiceRunner``, in start order; empty outside a runner.
    public var services: [ServiceSnapshot]
    /// Why the runner is not ready, if it is not.
    public var notReadyReason: String?
    /// The named descriptors it holds.
    public var listeners: [Listener]
}

extension ControlStatus {
    /// The status of `upgrader` and, if given, its `runner`.
    init(upgrader: Upgrader, runner: ServiceRunner?) {
        let state: String
        switch upgrader.machine.withLock({ $0.state }) {
        case .starting: state = "starting"
        case .awaitingHandover: state = "taking-over"
        case .awaitingPredecessorExit: state = "awaiting-predecessor-exit"
        case .idle: state = "serving"
        case .upgrading: state = "upgrading"
        case .replaced: state = "replaced"
        }
        let listeners = upgrader.descriptors.handoverSnapshot().map { record, fd in
            var address = record.address
            if record.kind != .file, let local = try? SocketEndpoint.local(of: fd).address { address = local.description }
            return Listener(name: record.name, kind: record.kind.description, address: address)
        }
        self.init(
            pid: Syscall.processID, generation: upgrader.generation, predecessor: upgrader.predecessorPID, state: state,
            services: runner?.snapshot ?? [], notReadyReason: runner?.notReadyReason, listeners: listeners)
    }
}
