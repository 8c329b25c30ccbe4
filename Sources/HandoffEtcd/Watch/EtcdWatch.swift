import Dispatch
import FoundationEssentials
import Handoff
import Synchronization
import HandoffSystem

/// Tells of offers for one label, for ``EtcdStore/offers(label:)``: a `/v3/watch` stream on the
/// label's offer and claim keys, read as it arrives, one JSON message per line.
///
/// - **Start**: the label's keys are read once (`/v3/kv/range`); every unclaimed offer there is
///   reported, and the watch starts at the revision after that read, so nothing made after the
///   stream was returned is missed.
/// - **Reported**: an offer key created (the envelope's header is at the start of its value);
///   a claim key deleted without its offer in the same revision (a release, or a dead
///   claimer's lease expiring), after reading the offer that is claimable again.
/// - **Failures**: when the connection breaks, it connects again after
///   ``EtcdConfiguration/reconnectDelay`` (to the next endpoint if this one refuses) and resumes
///   at the revision after the last one seen, so no event is missed or repeated. If etcd has
///   compacted that revision away, the start is done again. A token etcd calls invalid is
///   fetched anew.
///
/// It runs on the transport's stream callbacks and dispatch timers, no task; ending the stream
/// cancels the request.
final class EtcdWatch: Sendable {
    private let client: EtcdClient
    private let layout: EtcdLayout
    private let label: String
    private let continuation: AsyncStream<EnvelopeHeader>.Continuation
    private let reconnectDelay: Duration

    private struct State {
        /// The revision to resume at; 0 until the start's read is done.
        var next: Int64 = 0
        var buffer = Data()
        /// The request in progress, and a number that tells its callbacks from a former one's.
        var stream: (any EtcdStream)?
        var generation = 0
        var endpoint: EtcdEndpoint?
        var token: String?
        var stopped = false
    }
    private let state = Mutex(State())

    /// How long a watch may go without a byte before it is taken as broken: past etcd's
    /// default progress notification interval (10 minutes).
    static let idleTimeout: Duration = .seconds(15 * 60)
    /// Notifications kept for a consumer that falls behind; the oldest are dropped.
    static let buffered = 1024

    static func stream(client: EtcdClient, layout: EtcdLayout, label: String, reconnectDelay: Duration) -> AsyncStream<EnvelopeHeader> {
        let (stream, continuation) = AsyncStream<EnvelopeHeader>.makeStream(bufferingPolicy: .bufferingNewest(buffered))
        let watch = EtcdWatch(client: client, layout: layout, label: label, continuation: continuation, reconnectDelay: reconnectDelay)
        continuation.onTermination = { _ in watch.stop() }
        watch.synchronize()
        return stream
    }

    private init(client: EtcdClient, layout: EtcdLayout, label: String,
                 continuation: AsyncStream<EnvelopeHeader>.Continuation, reconnectDelay: Duration) {
        self.client = client
        self.layout = layout
        self.label = label
        self.continuation = continuation
        self.reconnectDelay = reconnectDelay
    }

    /// Ends the watch: cancels the request.
    func stop() {
        let stream = state.withLock { state -> (any EtcdStream)? in
            state.stopped = true
            defer { state.stream = nil }
            return state.stream
        }
        stream?.cancel()
    }

    // MARK: Start, and start again after a compaction

    /// Reads the label's keys, reports the unclaimed offers, and watches from the next revision.
    private func synchronize() {
        let range = layout.labelRange(label)
        let body: Data
        do { body = try EtcdClient.encode(EtcdRangeRequest(key: range.start, rangeEnd: range.end)) } catch { return }
        client.perform("/v3/kv/range", body: body, idempotent: true) { [self] result in
            guard case .success(let answer) = result,
                  let read = try? EtcdClient.decode(EtcdRangeResponse.self, from: answer) else {
                return later { $0.synchronize() }
            }
            var offers: [Slot: EtcdKeyValue] = [:]
            var claimed: Set<Slot> = []
            for kv in read.kvs {
                switch layout.entry(kv.key, label: label) {
                case .offer(let key, let slot)?: offers[Slot(key: key, slot: slot)] = kv
                case .claim(let key, let slot)?: claimed.insert(Slot(key: key, slot: slot))
                case nil: break
                }
            }
            for (_, kv) in offers.sorted(by: { $0.value.createRevision < $1.value.createRevision }) {
                guard let entry = layout.entry(kv.key, label: label), case .offer(let key, let slot) = entry,
                      !claimed.contains(Slot(key: key, slot: slot)) else { continue }
                report(kv.value)
            }
            let go = state.withLock { state -> Bool in
                state.next = read.header.revision + 1
                return !state.stopped
            }
            if go { connect() }
        }
    }

    // MARK: The watch request

    private func connect() {
        client.prepare { [self] prepared in
            guard case .success(let (endpoint, token)) = prepared else { return later { $0.connect() } }
            let range = layout.labelRange(label)
            let (next, generation) = state.withLock { state -> (Int64, Int) in
                state.generation += 1
                state.buffer = Data()
                state.endpoint = endpoint
                state.token = token
                return (state.next, state.generation)
            }
            let body: Data
            do { body = try EtcdClient.encode(EtcdWatchCreateRequest(key: range.start, rangeEnd: range.end, startRevision: next)) } catch { return }
            let stream = client.stream(
                "/v3/watch", at: endpoint, body: body, token: token, timeout: EtcdWatch.idleTimeout,
                onHead: { [weak self] status in
                    if status != 200 { self?.restart(generation) }
                },
                onData: { [weak self] data in self?.received(data, generation: generation) },
                onEnd: { [weak self] failure in
                    guard let self else { return }
                    switch failure { case .unreachable?, .tls?: self.client.failed(endpoint); default: break }
                    self.restart(generation)
                })
            let keep = state.withLock { state -> Bool in
                guard !state.stopped, state.generation == generation else { return false }
                state.stream = stream
                return true
            }
            if !keep { stream.cancel() }
        }
    }

    /// Body bytes of the request `generation`: split into lines, each a message.
    private func received(_ data: Data, generation: Int) {
        let lines = state.withLock { state -> [Data] in
            guard state.generation == generation, !state.stopped else { return [] }
            state.buffer.append(data)
            var lines: [Data] = []
            while let newline = state.buffer.firstIndex(of: 0x0A) {
                lines.append(state.buffer[state.buffer.startIndex..<newline])
                state.buffer.removeSubrange(state.buffer.startIndex...newline)
            }
            return lines
        }
        for line in lines where !line.isEmpty {
            guard handle(line) else {
                restart(generation)
                return
            }
        }
    }

    /// Drops the request `generation` (if it is still the current one) and connects again
    /// after the delay.
    private func restart(_ generation: Int) {
        let dropped = state.withLock { state -> (any EtcdStream)?? in
            guard state.generation == generation, !state.stopped else { return nil }
            state.generation += 1
            defer { state.stream = nil }
            return .some(state.stream)
        }
        guard let dropped else { return }
        dropped?.cancel()
        later { watch in
            if watch.state.withLock({ $0.next }) == 0 { watch.synchronize() } else { watch.connect() }
        }
    }

    /// Runs `step` after the reconnect delay, unless the watch was stopped.
    private func later(_ step: @escaping @Sendable (EtcdWatch) -> Void) {
        let delay = DispatchTimeInterval.nanoseconds(Int(reconnectDelay.secondsValue * 1e9))
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let self, !self.state.withLock({ $0.stopped }) else { return }
            step(self)
        }
    }

    // MARK: Messages

    /// Handles one message. Returns `false` when the watch must be made again.
    private func handle(_ line: Data) -> Bool {
        guard let message = try? JSONDecoder().decode(EtcdStreamMessage<EtcdWatchResponse>.self, from: line) else { return false }
        if let error = message.error {
            if error.code == EtcdClientError.Status.unauthenticated { client.invalidate(token: state.withLock { $0.token }) }
            return false
        }
        guard let response = message.result else { return true }
        if response.canceled {
            if response.compactRevision > 0 {
                state.withLock { $0.next = 0 }  // start again: read what is there now
            } else if response.cancelReason.contains("auth token") {
                client.invalidate(token: state.withLock { $0.token })
            }
            return false
        }
        var committed: Set<Slot> = []
        for event in response.events where event.isDelete {
            if let kv = event.kv, case .offer(let key, let slot)? = layout.entry(kv.key, label: label) { committed.insert(Slot(key: key, slot: slot)) }
        }
        for event in response.events {
            guard let kv = event.kv, let entry = layout.entry(kv.key, label: label) else { continue }
            switch entry {
            case .offer where !event.isDelete && kv.version == 1:
                report(kv.value)
            case .claim(let key, let slot) where event.isDelete && !committed.contains(Slot(key: key, slot: slot)):
                reportIfUnclaimed(key, slot: slot)
            default:
                break
            }
            state.withLock { $0.next = max($0.next, kv.modRevision + 1) }
        }
        return true
    }

    /// One offer's place: its key and slot.
    private struct Slot: Hashable {
        let key: String
        let slot: String?
    }

    /// Yields the header at the start of an offer value, if it reads.
    private func report(_ value: Data) {
        guard let header = try? EnvelopeHeader.decode(Array(value)[...]).0, header.label == label else { return }
        continuation.yield(header)
    }

    /// Reads the offer for `key` in `slot` and yields its header if it is there and unclaimed.
    private func reportIfUnclaimed(_ key: String, slot: String?) {
        let request = EtcdTxnRequest(success: [
            .range(EtcdRangeRequest(key: layout.offerKey(label: label, key: key, slot: slot))),
            .range(EtcdRangeRequest(key: layout.claimKey(label: label, key: key, slot: slot), keysOnly: true)),
        ])
        guard let body = try? EtcdClient.encode(request) else { return }
        client.perform("/v3/kv/txn", body: body, idempotent: true) { [self] result in
            guard case .success(let answer) = result,
                  let read = try? EtcdClient.decode(EtcdTxnResponse.self, from: answer),
                  let offer = read.kvs(at: 0).first, read.kvs(at: 1).isEmpty else { return }
            report(offer.value)
        }
    }
}
