import HandoffSystem
/// A ``HandoffAware`` type whose state can be combined with state another process gave up,
/// while this process runs: the rolling deploy, where the new instance starts before the old
/// one stops.
///
/// The registry follows the store's offers (``HandoffStore/offers(label:)``) for the labels
/// and keys of mergeable instances when ``handoffFollowsOffers`` is `true` or
/// ``UpgraderConfiguration/followsOffers`` is set. Each offer that appears is claimed, decoded
/// and migrated exactly as at a start, handed to ``merge(_:)``, and committed only after
/// `merge` returned; a process that dies before its commit leaves the offer to another
/// claimer. Of several running claimers, exactly one merges each offer. At a start, a
/// mergeable type also takes every further offer of its label and key (oldest first) after the
/// first one was resumed.
///
/// ```swift
/// extension Counter: HandoffMergeable {
///     static var handoffFollowsOffers: Bool { true }
///     func merge(_ other: State) async throws { count.withLock { $0 += other.count } }
/// }
/// ```
public protocol HandoffMergeable: HandoffAware {
    /// Whether a running process follows the store's offers for this type (default `false`;
    /// ``UpgraderConfiguration/followsOffers`` turns it on for every mergeable type).
    static var handoffFollowsOffers: Bool { get }

    /// Combines state another process gave up with the state this instance holds: counters
    /// add, maps union, queues append behind what is pending.
    /// - Parameter other: The other process's state, decoded and migrated to today's shape.
    /// - Throws: Any error refuses the state: nothing of it may have been applied, and the
    ///   offer is given back to the store.
    func merge(_ other: State) async throws
}

extension HandoffMergeable {
    public static var handoffFollowsOffers: Bool { false }
}
