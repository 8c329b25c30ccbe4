import Dispatch
import FoundationEssentials
import Synchronization
import HandoffSystem

/// The lease an ``EtcdStore`` holds its claims under, kept alive while it holds any.
///
/// One lease serves every claim of the store. It is granted at the first claim and reused while
/// it is young enough to be surely alive (granted or renewed less than half its TTL ago). While
/// at least one claim is held, a dispatch timer renews every lease that backs one, every third
/// of the TTL, with `/v3/lease/keepalive`; with no claim held the timer stops and the lease runs
/// out on its own, deleting nothing (it holds no key). If etcd answers that a lease is gone (a
/// keepalive with TTL 0, a put that names it), it is forgotten: its claims were deleted with it,
/// so their commits fail with `claimLost`, and the next claim gets a
/// new lease.
///
/// The process holding claims dies: its timer dies with it, the lease expires after its TTL,
/// etcd deletes its claim keys, and the offers can be claimed again.
final class EtcdClaimLease: Sendable {
    private let client: EtcdClient
    private let ttl: Duration
    private let queue = DispatchQueue(label: "handoff.etcd.lease")

    private struct State {
        /// The lease new claims use, and when it was last known to have its full TTL.
        var current: (id: Int64, renewed: ContinuousClock.Instant)?
        /// Claims held per lease.
        var holders: [Int64: Int] = [:]
        var timer: (any DispatchSourceTimer)?
    }
    private let state = Mutex(State())

    init(client: EtcdClient, ttl: Duration) {
        self.client = client
        self.ttl = ttl
    }

    deinit {
        state.withLock { $0.timer?.cancel() }
    }

    /// The TTL asked of etcd.
    var ttlSeconds: Int64 { ttl.wholeSecondsRoundedUp }

    /// A lease to hold one more claim under; granted if there is none young enough. Each call
    /// must be balanced by ``relinquish(_:)`` (or ``forget(_:)``).
    func acquire() async throws(EtcdClientError) -> Int64 {
        let now = ContinuousClock.now
        let reused: Int64? = state.withLock { state in
            guard let current = state.current, now - current.renewed < .seconds(ttlSeconds) / 2 else { return nil }
            state.holders[current.id, default: 0] += 1
            return current.id
        }
        if let reused {
            startRenewing()
            return reused
        }
        let id = try await client.grantLease(seconds: ttlSeconds)
        state.withLock { state in
            state.current = (id, now)
            state.holders[id, default: 0] += 1
        }
        startRenewing()
        return id
    }

    /// One claim under `id` is over (committed or released).
    func relinquish(_ id: Int64) {
        state.withLock { state in
            guard let count = state.holders[id] else { return }
            state.holders[id] = count > 1 ? count - 1 : nil
            if state.holders.isEmpty {
                state.timer?.cancel()
                state.timer = nil
            }
        }
    }

    /// etcd said lease `id` no longer exists: every claim under it is gone.
    func forget(_ id: Int64) {
        state.withLock { state in
            if state.current?.id == id { state.current = nil }
            state.holders[id] = nil
            if state.holders.isEmpty {
                state.timer?.cancel()
                state.timer = nil
            }
        }
    }

    /// Whether lease `id` still backs a claim (for tests and diagnostics).
    func isHeld(_ id: Int64) -> Bool {
        state.withLock { $0.holders[id] != nil }
    }

    private func startRenewing() {
        let interval = DispatchTimeInterval.milliseconds(Int(ttlSeconds * 1000 / 3))
        state.withLock { state in
            guard state.timer == nil, !state.holders.isEmpty else { return }
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + interval, repeating: interval)
            timer.setEventHandler { [weak self] in self?.renew() }
            state.timer = timer
            timer.resume()
        }
    }

    /// Sends one keepalive for every lease that backs a claim.
    private func renew() {
        let ids = state.withLock { Array($0.holders.keys) }
        for id in ids {
            let body: Data
            do { body = try EtcdClient.encode(EtcdLeaseIDRequest(id: id)) } catch { continue }
            let sent = ContinuousClock.now
            client.perform("/v3/lease/keepalive", body: body, idempotent: true) { [weak self] result in
                // A failed keepalive is tried again at the next tick; a third of the TTL apart,
                // two may fail before the lease runs out.
                guard let self, case .success(let answer) = result,
                      let message = try? EtcdClient.decode(EtcdStreamMessage<EtcdLeaseResponse>.self, from: answer),
                      let renewed = message.result else { return }
                if renewed.ttlSeconds <= 0 {
                    self.forget(id)
                } else {
                    self.state.withLock { state in
                        if state.current?.id == id { state.current?.renewed = sent }
                    }
                }
            }
        }
    }
}
