import Handoff

/// One property's check of a ``HandoffStoreConformance`` run: the store (and its second
/// view), a label of its own, and the assertions that fail with the property's name.
struct StoreConformanceSubject: Sendable {
    let property: HandoffStoreConformance.Property
    let store: any HandoffStore
    let peer: (any HandoffStore)?
    let options: HandoffStoreConformance.Options
    /// The label every offer of this check is made under: no other check, nor another run on a
    /// shared store, uses it.
    let label: String
    let key = "k"

    init(property: HandoffStoreConformance.Property, store: any HandoffStore, peer: (any HandoffStore)?, options: HandoffStoreConformance.Options) {
        self.property = property
        self.store = store
        self.peer = peer
        self.options = options
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        self.label = "\(options.labelPrefix)-\(property.rawValue)-\(suffix)"
    }

    /// The store, and the second view if there is one.
    var views: [(name: String, store: any HandoffStore)] {
        [("the store", store)] + (peer.map { [("the second view", $0)] } ?? [])
    }

    // MARK: Envelopes

    /// An envelope of this check's label whose payload is `size` bytes derived from `seed`, so
    /// that two envelopes differ in every byte that matters.
    func envelope(key: String? = nil, seed: UInt8 = 1, size: Int = 4096, stateVersion: Int = 1, oldestReaderVersion: Int = 1) -> Envelope {
        let header = EnvelopeHeader(
            label: label, key: key ?? self.key, stateVersion: stateVersion, oldestReaderVersion: oldestReaderVersion,
            codec: .binary, createdAtNanoseconds: 1_700_000_000_000_000_000 + Int64(seed),
            producer: Envelope.Producer(pid: 1, host: "handoff-testing", build: "conformance"))
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7) }
        return Envelope(header: header, payload: payload)
    }

    func claim(from store: (any HandoffStore)? = nil, key: String? = nil, readerVersion: Int = 1) async throws -> HandoffClaim? {
        try await (store ?? self.store).claim(label: label, key: key ?? self.key, readerVersion: readerVersion)
    }

    // MARK: Assertions

    func failure(_ reason: String) -> HandoffCheckFailure {
        HandoffCheckFailure(property: property.rawValue, reason: reason)
    }

    func expect(_ condition: Bool, _ reason: @autoclosure () -> String) throws {
        if !condition { throw failure(reason()) }
    }

    /// Claims the offer, failing unless there is one holding exactly `expected`'s bytes.
    func expectClaim(_ expected: Envelope, from view: (name: String, store: any HandoffStore)? = nil, readerVersion: Int = 1, _ when: String) async throws -> HandoffClaim {
        let view = view ?? views[0]
        guard let claim = try await claim(from: view.store, readerVersion: readerVersion) else {
            throw failure("\(when), a claim from \(view.name) returned nil; the offer should be there")
        }
        try expect(claim.envelope.encoded() == expected.encoded(),
                   "\(when), the claimed envelope is not the one offered (\(claim.envelope.header.payloadLength) payload bytes, \(expected.header.payloadLength) offered)")
        return claim
    }

    /// Fails unless no view can claim the offer (giving back anything wrongly claimed).
    func expectNothingClaimable(_ when: String) async throws {
        for view in views {
            if let claim = try await claim(from: view.store) {
                try? await view.store.release(claim)
                throw failure("\(when), a claim from \(view.name) returned an envelope (token \(claim.token)); it should return nil")
            }
        }
    }

    /// Runs `body`, failing unless it throws a ``HandoffError`` with `code`.
    func expectError(_ code: HandoffError.Code, _ what: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as HandoffError {
            try expect(error.code == code, "\(what) should fail with \(code); it failed with \(error)")
            return
        } catch {
            throw failure("\(what) should fail with HandoffError \(code); it threw \(error)")
        }
        throw failure("\(what) should fail with \(code); it succeeded")
    }

    /// Waits for `body` to return, up to `deadline`; `nil` if it did not.
    func within<T: Sendable>(_ deadline: Duration, _ body: @escaping @Sendable () async -> T?) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await Task.sleep(for: deadline)  // the deadline, not a wait for the event
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
    }
}
