import Handoff

/// Checks that a ``HandoffStore`` keeps every promise of the protocol's contract.
///
/// Give it a way to make the store (and, where the store allows, a second view of the same
/// store, as another process would see it), then run it from any test framework:
///
/// ```swift
/// @Test func myStoreConforms() async throws {
///     try await HandoffStoreConformance { try MyStore(url: testURL) }.run()
/// }
/// ```
///
/// Each check uses labels of its own (``Options/labelPrefix``, the property and a random
/// suffix), so the checks leave each other alone on a shared store, and each removes what it
/// offered when it passes. ``run()`` checks every ``Property`` and throws a
/// ``HandoffCheckReport`` naming each one that failed; ``check(_:)`` checks one and throws its
/// ``HandoffCheckFailure``.
public struct HandoffStoreConformance: Sendable {
    /// A promise of the ``HandoffStore`` contract.
    public enum Property: String, Sendable, CaseIterable {
        /// An offer is claimed whole: the claim holds the same envelope bytes.
        case claimReturnsOffer = "claim-returns-offer"
        /// A second offer for a label and key that are offered fails with `storeFailed`, and the
        /// first stays as it was.
        case laterOffersAreKept = "later-offers-are-kept-oldest-first"
        /// A claim of a label or key nobody offered returns `nil`.
        case absentClaimIsNil = "absent-claim-is-nil"
        /// While one claimer holds an offer, another claim (also from the second view) gets nothing.
        case claimIsExclusive = "claim-is-exclusive"
        /// Of ``Options/claimers`` concurrent claimers of one offer, exactly one wins.
        case concurrentClaimersOneWins = "concurrent-claimers-one-wins"
        /// A committed offer is gone: nobody claims it again, and the label and key can be
        /// offered anew.
        case commitRemoves = "commit-removes"
        /// A released offer can be claimed again, whole.
        case releaseOffersAgain = "release-offers-again"
        /// A commit of a claim that was released, or committed already, fails with `claimLost`.
        case lateCommitIsClaimLost = "late-commit-is-claim-lost"
        /// An offer that needs a newer reader is refused with `newerVersion`, is not taken, and
        /// is claimed by a reader that knows its version.
        case newerVersionStaysOffered = "newer-version-stays-offered"
        /// An offer past its time to live is not delivered; one within it is.
        case expiry = "expiry"
        /// `offers(label:)` announces a new offer of its label.
        case notification = "notification"
        /// A store that lists its offers for `handoffctl offers` (`DirectoryStore`, `EtcdStore`) lists an offer as offered, then claimed, then not at all.
        case listing = "listing"
    }

    /// How the suite treats the store.
    public struct Options: Sendable {
        /// How many tasks race for one offer in ``Property/concurrentClaimersOneWins``.
        public var claimers: Int
        /// The time to live given to an offer that must expire; `nil` if the store has no TTLs
        /// (``Property/expiry`` is then skipped). Use the shortest the store honours.
        public var expiryTTL: Duration?
        /// How long after the offer the store may take to stop delivering it.
        public var expiryDeadline: Duration
        /// Whether the store announces offers; `nil` to check only a store that lists its
        /// offers for `handoffctl offers` (`DirectoryStore`, `EtcdStore`).
        public var notifies: Bool?
        /// How long an announcement may take.
        public var notificationDeadline: Duration
        /// The start of every label the suite offers under.
        public var labelPrefix: String

        /// Options; the defaults suit a local store with fine-grained TTLs.
        /// - Parameters:
        ///   - claimers: Concurrent claimers of one offer (at least 2).
        ///   - expiryTTL: The TTL of an offer that must expire; `nil` for a store without TTLs.
        ///   - expiryDeadline: How long expiry may take to show.
        ///   - notifies: Whether `offers(label:)` is checked; `nil` for "if it lists its offers".
        ///   - notificationDeadline: How long an announcement may take.
        ///   - labelPrefix: The start of every label used.
        public init(claimers: Int = 8, expiryTTL: Duration? = .nanoseconds(1), expiryDeadline: Duration = .seconds(30),
                    notifies: Bool? = nil, notificationDeadline: Duration = .seconds(10), labelPrefix: String = "handoff-conformance") {
            self.claimers = max(2, claimers)
            self.expiryTTL = expiryTTL
            self.expiryDeadline = expiryDeadline
            self.notifies = notifies
            self.notificationDeadline = notificationDeadline
            self.labelPrefix = labelPrefix
        }
    }

    let options: Options
    let makeStore: @Sendable () async throws -> any HandoffStore
    let makePeer: (@Sendable (any HandoffStore) async throws -> any HandoffStore)?

    /// Makes the suite.
    /// - Parameters:
    ///   - options: How the store is treated.
    ///   - makePeer: Given a store the suite made, a second view of the same offers, as another
    ///     process would open it (for a directory store, another instance on the same
    ///     directory); `nil` if there is none. Exclusivity, concurrent claims and commits are
    ///     then checked across both.
    ///   - makeStore: Makes the store under test; called once for each property.
    public init(options: Options = Options(),
                makePeer: (@Sendable (any HandoffStore) async throws -> any HandoffStore)? = nil,
                makeStore: @escaping @Sendable () async throws -> any HandoffStore) {
        self.options = options
        self.makeStore = makeStore
        self.makePeer = makePeer
    }

    /// Checks every property and throws if any failed.
    /// - Returns: The report, when every property passed or was skipped.
    /// - Throws: The ``HandoffCheckReport`` itself, listing each property and why the failed
    ///   ones failed.
    @discardableResult
    public func run() async throws -> HandoffCheckReport {
        let report = await evaluate()
        if !report.succeeded { throw report }
        return report
    }

    /// Checks every property (or those given) and reports how each fared, without throwing.
    /// - Parameter properties: The properties to check; all by default.
    public func evaluate(_ properties: [Property] = Property.allCases) async -> HandoffCheckReport {
        var results: [HandoffCheckReport.Result] = []
        for property in properties {
            await HandoffCheckReport.record(property.rawValue, into: &results) { try await perform(property) }
        }
        return HandoffCheckReport(results: results)
    }

    /// Checks one property.
    /// - Parameter property: The property.
    /// - Throws: ``HandoffCheckFailure`` naming the property and what broke it. A property that
    ///   does not apply (``Property/expiry`` without ``Options/expiryTTL``…) passes.
    public func check(_ property: Property) async throws {
        do {
            try await perform(property)
        } catch is HandoffCheckReport.Skip {
            return
        } catch let failure as HandoffCheckFailure {
            throw failure
        } catch {
            throw HandoffCheckFailure(property: property.rawValue, reason: "unexpected error: \(error)")
        }
    }

    private func perform(_ property: Property) async throws {
        let store = try await makeStore()
        let peer = try await makePeer?(store)
        let subject = StoreConformanceSubject(property: property, store: store, peer: peer, options: options)
        switch property {
        case .claimReturnsOffer: try await subject.claimReturnsOffer()
        case .laterOffersAreKept: try await subject.laterOffersAreKept()
        case .absentClaimIsNil: try await subject.absentClaimIsNil()
        case .claimIsExclusive: try await subject.claimIsExclusive()
        case .concurrentClaimersOneWins: try await subject.concurrentClaimersOneWins()
        case .commitRemoves: try await subject.commitRemoves()
        case .releaseOffersAgain: try await subject.releaseOffersAgain()
        case .lateCommitIsClaimLost: try await subject.lateCommitIsClaimLost()
        case .newerVersionStaysOffered: try await subject.newerVersionStaysOffered()
        case .expiry: try await subject.expiry()
        case .notification: try await subject.notification()
        case .listing: try await subject.listing()
        }
    }
}
