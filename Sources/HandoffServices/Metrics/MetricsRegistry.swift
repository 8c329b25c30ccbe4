import Synchronization
import Handoff
import HandoffSystem

/// A process's counters and gauges, rendered in the Prometheus text format by the admin
/// endpoint's `GET /metrics`.
///
/// Counters are ``HandoffAware`` state: register the registry with the ``Upgrader`` (the
/// ``UpgraderService`` does) and each successor adds its predecessor's counts to its own, so
/// a counter does not fall back to zero at each upgrade. Gauges are read when scraped and are
/// not carried.
public final class MetricsRegistry: HandoffAware {
    /// What is handed over: every counter sample.
    public struct State: Codable, Sendable, Equatable {
        /// One counter sample.
        public struct Sample: Codable, Sendable, Equatable {
            /// The counter's name.
            public var name: String
            /// Its help text.
            public var help: String
            /// Label names and values, sorted by name, flattened: `[name1, value1, name2, …]`.
            public var labels: [String]
            /// The count.
            public var value: Double
        }

        /// Every counter sample.
        public var counters: [Sample] = []
    }

    public static let handoffLabel = "handoff.metrics"
    public static let handoffVersion = 1

    private struct Family {
        var help: String
        var isCounter: Bool
        /// Counter samples by flattened sorted labels.
        var samples: [[String]: Double] = [:]
        var read: (@Sendable () -> Double)?
    }

    private struct Contents {
        var order: [String] = []
        var families: [String: Family] = [:]
    }

    private let contents = Mutex(Contents())

    /// Creates an empty registry.
    public init() {}

    /// The counter `name`, registered on first use.
    /// - Parameters:
    ///   - name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, ending in `_total` by convention.
    ///   - help: What it counts, for the `# HELP` line.
    /// - Returns: The counter.
    public func counter(_ name: String, help: String) -> CounterMetric {
        precondition(PrometheusText.isValidMetricName(name), "invalid metric name \(name.debugDescription)")
        contents.withLock { contents in
            if contents.families[name] == nil { contents.order.append(name) }
            if contents.families[name]?.help.isEmpty ?? true {
                var family = contents.families[name] ?? Family(help: help, isCounter: true)
                family.help = help
                contents.families[name] = family
            }
        }
        return CounterMetric(registry: self, name: name)
    }

    /// Registers the gauge `name`, whose value `read` gives at each scrape; replaces an earlier
    /// one of that name.
    /// - Parameters:
    ///   - name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    ///   - help: What it measures.
    ///   - read: Its value now; called on the admin endpoint's thread, so keep it quick.
    public func gauge(_ name: String, help: String, read: @escaping @Sendable () -> Double) {
        precondition(PrometheusText.isValidMetricName(name), "invalid metric name \(name.debugDescription)")
        contents.withLock { contents in
            if contents.families[name] == nil { contents.order.append(name) }
            contents.families[name] = Family(help: help, isCounter: false, read: read)
        }
    }

    /// Every family in the text exposition format, in registration order.
    /// - Returns: `# HELP`, `# TYPE` and sample lines.
    public func render() -> String {
        let families = contents.withLock { contents in contents.order.map { ($0, contents.families[$0]!) } }
        var out = ""
        for (name, family) in families {
            if family.isCounter {
                let samples = family.samples.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { (Self.pairs($0.key), $0.value) }
                PrometheusText.appendFamily(name, type: "counter", help: family.help, samples: samples.isEmpty ? [([], 0)] : samples, into: &out)
            } else if let read = family.read {
                PrometheusText.appendFamily(name, type: "gauge", help: family.help, samples: [([], read())], into: &out)
            }
        }
        return out
    }

    func add(_ amount: Double, to name: String, labels: [String: String]) {
        let key = Self.key(labels)
        contents.withLock { contents in
            if contents.families[name] == nil {
                contents.order.append(name)
                contents.families[name] = Family(help: "", isCounter: true)
            }
            contents.families[name]!.samples[key, default: 0] += amount
        }
    }

    func value(of name: String, labels: [String: String]) -> Double {
        contents.withLock { $0.families[name]?.samples[Self.key(labels)] ?? 0 }
    }

    private static func key(_ labels: [String: String]) -> [String] {
        labels.keys.sorted().flatMap { name -> [String] in
            precondition(PrometheusText.isValidLabelName(name), "invalid label name \(name.debugDescription)")
            return [name, labels[name]!]
        }
    }

    private static func pairs(_ key: [String]) -> [(String, String)] {
        stride(from: 0, to: key.count - 1, by: 2).map { (key[$0], key[$0 + 1]) }
    }

    // MARK: HandoffAware

    public func handoffState() async throws -> State {
        contents.withLock { contents in
            var state = State()
            for name in contents.order {
                guard let family = contents.families[name], family.isCounter else { continue }
                for (labels, value) in family.samples.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                    state.counters.append(.init(name: name, help: family.help, labels: labels, value: value))
                }
            }
            return state
        }
    }

    /// Adds the predecessor's counts to this process's own.
    /// - Throws: ``HandoffError/Code/codingFailed`` if a name is not a valid metric name, or
    ///   the labels are not name/value pairs; nothing is added then.
    public func resume(from state: State) async throws {
        for sample in state.counters {
            guard PrometheusText.isValidMetricName(sample.name), sample.labels.count % 2 == 0,
                  Self.pairs(sample.labels).allSatisfy({ PrometheusText.isValidLabelName($0.0) }),
                  sample.value >= 0 else {
                throw HandoffError(.codingFailed, "metrics state holds an invalid counter sample \(sample.name.debugDescription)")
            }
        }
        contents.withLock { contents in
            for sample in state.counters {
                if contents.families[sample.name] == nil {
                    contents.order.append(sample.name)
                    contents.families[sample.name] = Family(help: sample.help, isCounter: true)
                }
                guard contents.families[sample.name]!.isCounter else { continue }
                if contents.families[sample.name]!.help.isEmpty { contents.families[sample.name]!.help = sample.help }
                contents.families[sample.name]!.samples[sample.labels, default: 0] += sample.value
            }
        }
    }
}
