import Handoff

/// Checks that a ``HandoffAware`` type's state survives a handoff: it round-trips whole, older
/// payloads migrate to the state expected, and state from a newer version is refused with
/// nothing applied.
///
/// Every check goes through the path an upgrade takes: the state is collected into envelopes
/// by a ``HandoffRegistry``, crosses as envelope bytes, and is decoded, migrated and applied by
/// another registry into a fresh instance.
///
/// ```swift
/// @Test func counterHandsOver() async throws {
///     let counter = Counter(count: 41)
///     try await HandoffAwareChecks { Counter(count: 0) }.run(source: counter, migrations: [
///         .init(version: 1, old: CounterV1(value: 7), expected: Counter.State(count: 7)),
///     ])
/// }
/// ```
public struct HandoffAwareChecks<Aware: HandoffAware>: Sendable {
    /// A property of a ``HandoffAware`` type.
    public enum Property: String, Sendable, CaseIterable {
        /// State given up by one instance is what a fresh instance holds after resuming it.
        case roundTrip = "round-trip"
        /// A payload of an older version is migrated to the state expected.
        case migration = "migration"
        /// State that needs a newer reader is refused with `newerVersion`, and the fresh
        /// instance keeps the state it had.
        case newerVersionRefused = "newer-version-refused"
    }

    /// A payload as an older version of the type wrote it, and the state it must migrate to.
    public struct Sample: Sendable {
        /// The version that wrote it.
        public var version: Int
        /// The encoded old state.
        public var payload: [UInt8]
        /// What ``HandoffAware/migrate(_:fromVersion:)`` must make of it.
        public var expected: Aware.State

        /// Encodes `old` as version `version` of the type wrote it, with the type's codec.
        /// - Parameters:
        ///   - version: The older version (below ``HandoffAware/handoffVersion``).
        ///   - old: A value of the old `State` shape.
        ///   - expected: The state the migration must produce.
        /// - Throws: ``HandoffError/Code/codingFailed`` if `old` cannot be encoded.
        public init<Old: Encodable>(version: Int, old: Old, expected: Aware.State) throws {
            self.version = version
            self.payload = try StateCodec.encode(old, codec: Aware.handoffCodec)
            self.expected = expected
        }
    }

    let make: @Sendable () async throws -> Aware
    let equal: @Sendable (Aware.State, Aware.State) -> Bool

    /// Makes the checks, comparing states with `equal`.
    /// - Parameters:
    ///   - equal: Whether two states are the same.
    ///   - make: Makes a fresh instance, as a new process would before taking state over.
    public init(equal: @escaping @Sendable (Aware.State, Aware.State) -> Bool, make: @escaping @Sendable () async throws -> Aware) {
        self.make = make
        self.equal = equal
    }

    /// Runs every check and throws if any failed.
    /// - Parameters:
    ///   - source: An instance holding the state to hand over.
    ///   - migrations: Older payloads and what they must migrate to; one result each.
    /// - Returns: The report, when every check passed.
    /// - Throws: The ``HandoffCheckReport``, naming each check that failed and why.
    @discardableResult
    public func run(source: Aware, migrations: [Sample] = []) async throws -> HandoffCheckReport {
        var results: [HandoffCheckReport.Result] = []
        await HandoffCheckReport.record(Property.roundTrip.rawValue, into: &results) { try await checkRoundTrip(source) }
        for sample in migrations {
            await HandoffCheckReport.record("\(Property.migration.rawValue)-from-v\(sample.version)", into: &results) { try await checkMigration(sample) }
        }
        await HandoffCheckReport.record(Property.newerVersionRefused.rawValue, into: &results) { try await checkNewerVersionRefused(source) }
        let report = HandoffCheckReport(results: results)
        if !report.succeeded { throw report }
        return report
    }

    /// Hands `source`'s state to a fresh instance and compares.
    ///
    /// `source.handoffState()` is called twice: once for the state to compare against, once by
    /// the registry that collects it.
    /// - Throws: ``HandoffCheckFailure`` for ``Property/roundTrip``.
    public func checkRoundTrip(_ source: Aware) async throws {
        let fail = failure(.roundTrip)
        let given = try await source.handoffState()
        let envelope = try await collect(source, for: .roundTrip)
        let fresh = try await make()
        guard fresh.handoffKey == envelope.header.key else {
            throw fail("the fresh instance's key \"\(fresh.handoffKey)\" differs from the source's \"\(envelope.header.key)\": it would not take the state")
        }
        let carried = try await fail.catching("decoding the envelope") { try HandoffRegistry.decode(Aware.self, from: envelope) }
        guard equal(carried, given) else {
            throw fail("the state decoded from the envelope differs from the state given up: encoding loses something (\(given) became \(carried))")
        }
        try await fail.catching("applying the envelope") { try await apply(envelope, to: fresh, for: .roundTrip) }
        let resumed = try await fresh.handoffState()
        guard equal(resumed, given) else {
            throw fail("after resume(from:) the fresh instance holds \(resumed); the state given up was \(given)")
        }
    }

    /// Applies an older payload to a fresh instance and compares with what it must become.
    /// - Throws: ``HandoffCheckFailure`` for ``Property/migration``.
    public func checkMigration(_ sample: Sample) async throws {
        let fail = failure(.migration, "from version \(sample.version): ")
        guard sample.version < Aware.handoffVersion else {
            throw fail("the sample's version is not older than the type's version \(Aware.handoffVersion)")
        }
        let fresh = try await make()
        let envelope = Self.envelope(payload: sample.payload, version: sample.version, oldestReader: sample.version, key: fresh.handoffKey)
        let migrated = try await fail.catching("migrating") { try HandoffRegistry.decode(Aware.self, from: envelope) }
        guard equal(migrated, sample.expected) else {
            throw fail("migrate(_:fromVersion:) made \(migrated); expected \(sample.expected)")
        }
        try await fail.catching("applying the migrated state") { try await apply(envelope, to: fresh, for: .migration) }
        let resumed = try await fresh.handoffState()
        guard equal(resumed, sample.expected) else {
            throw fail("after resume(from:) of the migrated state the instance holds \(resumed); expected \(sample.expected)")
        }
    }

    /// Offers `source`'s state, marked as written by a newer version that only readers of that
    /// version may read, to a fresh instance.
    /// - Throws: ``HandoffCheckFailure`` for ``Property/newerVersionRefused`` unless it is
    ///   refused with `newerVersion` and the instance's state is unchanged.
    public func checkNewerVersionRefused(_ source: Aware) async throws {
        let fail = failure(.newerVersionRefused)
        let current = try await collect(source, for: .newerVersionRefused)
        let newer = Aware.handoffVersion + 1
        let fresh = try await make()
        let envelope = Self.envelope(payload: current.payload, version: newer, oldestReader: newer, key: fresh.handoffKey)
        let before = try await fresh.handoffState()
        do {
            try await apply(envelope, to: fresh, for: .newerVersionRefused)
            throw fail("state of version \(newer), readable only from version \(newer) on, was applied by version \(Aware.handoffVersion)")
        } catch let error as HandoffError {
            guard error.code == .newerVersion else { throw fail("the refusal should be newerVersion; it is \(error)") }
        }
        let after = try await fresh.handoffState()
        guard equal(after, before) else {
            throw fail("the refused state changed the instance: it held \(before), now \(after)")
        }
    }

    // MARK: The registry's path

    /// Collects `source`'s state as a registry does, and returns its envelope as it arrives on
    /// the other side (encoded, then decoded and checked).
    private func collect(_ source: Aware, for property: Property) async throws -> Envelope {
        let registry = HandoffRegistry(producer: Self.producer, maxPayloadLength: Envelope.defaultMaxPayloadLength)
        try registry.register(source)
        guard let envelope = try await registry.collect().first else {
            throw HandoffCheckFailure(property: property.rawValue, reason: "the registry collected no envelope")
        }
        return try Envelope(decoding: envelope.encoded())
    }

    /// Applies `envelope` to `instance` through a registry of its own, all or nothing.
    private func apply(_ envelope: Envelope, to instance: Aware, for property: Property) async throws {
        let registry = HandoffRegistry(producer: Self.producer, maxPayloadLength: Envelope.defaultMaxPayloadLength)
        try registry.register(instance)
        let unclaimed = try await registry.apply([envelope])
        if !unclaimed.isEmpty {
            throw HandoffCheckFailure(property: property.rawValue, reason: "the envelope for \(envelope.header.label)/\(envelope.header.key) found no instance to take it (its key differs from the fresh instance's)")
        }
    }

    static var producer: Envelope.Producer { Envelope.Producer(pid: 1, host: "handoff-testing", build: "checks") }

    /// An envelope of this type's label with `payload`, as version `version` wrote it.
    private static func envelope(payload: [UInt8], version: Int, oldestReader: Int, key: String) -> Envelope {
        let header = EnvelopeHeader(
            label: Aware.handoffLabel, key: key, stateVersion: version, oldestReaderVersion: oldestReader,
            codec: Aware.handoffCodec, createdAtNanoseconds: HandoffRegistry.now(), producer: producer)
        return Envelope(header: header, payload: payload)
    }

    private func failure(_ property: Property, _ prefix: String = "") -> FailureMaker {
        FailureMaker(property: property.rawValue, prefix: prefix)
    }
}

extension HandoffAwareChecks where Aware.State: Equatable {
    /// Makes the checks, comparing states with `==`.
    /// - Parameter make: Makes a fresh instance, as a new process would before taking state over.
    public init(make: @escaping @Sendable () async throws -> Aware) {
        self.init(equal: { $0 == $1 }, make: make)
    }
}
