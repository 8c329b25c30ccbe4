import Foundation
import Handoff
import HandoffEtcd
import HandoffSystem
import HandoffServices
import HandoffOperations

/// `handoff-bench etcd --endpoint URL`: the latency of offer → claim → commit through an
/// ``EtcdStore`` for 1 KiB, 1 MiB and 5 MiB of state, p50 and p99, with each step's p50; and the
/// same through a ``DirectoryStore`` (the local default) as the baseline, with the ratio.
struct EtcdStoreBenchmark {
    var endpoint: String
    /// Round trips per size (after a few to warm up).
    var rounds: [(bytes: Int, count: Int)] = [(1 << 10, 500), (1 << 20, 50), (5 << 20, 20)]
    var directory: String
    /// An `https` endpoint of the same etcd, measured beside `endpoint` with ``tls``.
    var secureEndpoint: String?
    var tls = EtcdTLSConfiguration()

    init(endpoint: String, directory: String) {
        self.endpoint = endpoint
        self.directory = directory
    }

    /// Times of one size.
    private struct Samples {
        var total: [Duration] = []
        var offer: [Duration] = []
        var claim: [Duration] = []
        var commit: [Duration] = []
    }

    func run() async throws {
        var configuration = EtcdConfiguration(endpoints: [endpoint])
        configuration.keyPrefix = "/handoff-bench-\(getpid())"
        let etcd = try EtcdStore(configuration: configuration)
        let local = try DirectoryStore(directory: directory)
        let secure = try secureEndpoint.map { secureEndpoint in
            var secureConfiguration = configuration
            secureConfiguration.endpoints = [secureEndpoint]
            secureConfiguration.keyPrefix += "-tls"
            secureConfiguration.tls = tls
            return try EtcdStore(configuration: secureConfiguration)
        }
        say("offer → claim → commit, \(endpoint) vs DirectoryStore at \(directory)")
        say("size      store      rounds     p50      p99  | offer p50 claim p50 commit p50 | p50 ratio")
        for (bytes, count) in rounds {
            let etcdTimes = try await measure(etcd, bytes: bytes, count: count, ttl: nil)
            let localTimes = try await measure(local, bytes: bytes, count: count, ttl: nil)
            print(size: bytes, store: "etcd", etcdTimes, ratio: ms(median(etcdTimes.total)) / ms(median(localTimes.total)))
            print(size: bytes, store: "directory", localTimes, ratio: nil)
            if let secure {
                let secureTimes = try await measure(secure, bytes: bytes, count: count, ttl: nil)
                print(size: bytes, store: "etcd+tls", secureTimes, ratio: ms(median(secureTimes.total)) / ms(median(etcdTimes.total)))
            }
        }
        let leased = try await measure(etcd, bytes: 1 << 10, count: 200, ttl: .seconds(60))
        print(size: 1 << 10, store: "etcd+ttl", leased, ratio: nil)
        say("etcd+ttl: the offer carries a 60 s TTL, so it also grants a lease (one more write).")
        if let secureEndpoint {
            say("etcd+tls: \(secureEndpoint), mutual TLS; its ratio is to plain-http etcd in the same run (the others' to the directory).")
        }
    }

    private func measure(_ store: any HandoffStore, bytes: Int, count: Int, ttl: Duration?) async throws -> Samples {
        var samples = Samples()
        let payload = (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let clock = ContinuousClock()
        for round in 0..<(count + 3) {
            let header = EnvelopeHeader(
                label: "bench", key: "k", stateVersion: 1, oldestReaderVersion: 1, codec: .binary,
                createdAtNanoseconds: 0, producer: Envelope.Producer(pid: getpid(), host: "bench", build: "bench"))
            let envelope = Envelope(header: header, payload: payload)
            let start = clock.now
            try await store.offer(envelope, ttl: ttl)
            let offered = clock.now
            guard let claim = try await store.claim(label: "bench", key: "k", readerVersion: 1) else {
                throw BenchFailure("round \(round): the offer just made was not claimed")
            }
            let claimed = clock.now
            try await store.commit(claim)
            let committed = clock.now
            guard claim.envelope.payload.count == bytes else { throw BenchFailure("round \(round): \(claim.envelope.payload.count) bytes came back, not \(bytes)") }
            if round < 3 { continue }  // warm-up: connections, the claim lease
            samples.total.append(committed - start)
            samples.offer.append(offered - start)
            samples.claim.append(claimed - offered)
            samples.commit.append(committed - claimed)
        }
        return samples
    }

    private func print(size: Int, store: String, _ samples: Samples, ratio: Double?) {
        let label = size >= 1 << 20 ? "\(size >> 20) MiB" : "\(size >> 10) KiB"
        let line = "\(pad(label, 9)) \(pad(store, 10)) \(pad(String(samples.total.count), 6, right: true)) "
            + "\(fixed(ms(median(samples.total))))ms \(fixed(ms(percentile(samples.total, 0.99))))ms | "
            + "\(fixed(ms(median(samples.offer))))ms \(fixed(ms(median(samples.claim))))ms \(fixed(ms(median(samples.commit))))ms  | "
            + (ratio.map { String(format: "%.1fx", $0) } ?? "")
        say(line)
    }

    private func median(_ values: [Duration]) -> Duration { percentile(values, 0.5) }

    private func percentile(_ values: [Duration], _ fraction: Double) -> Duration {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    private func ms(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    private func fixed(_ value: Double) -> String { pad(String(format: "%.2f", value), 7, right: true) }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
