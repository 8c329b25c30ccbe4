import HandoffSystem
/// Where handoff state waits when no successor takes it over the control channel: offered by a
/// process that stops for good, claimed by the next one to start.
///
/// Claiming is two-phase so that exactly one process holds an offer at a time and nothing is
/// lost when a claimer dies:
///
/// 1. ``claim(label:key:readerVersion:)`` takes the offer for one label and key, refusing —
///    before taking anything — an envelope the reader cannot read (a newer version, a bad
///    checksum), which then stays offered for a process that can.
/// 2. The claimer applies the state, then ``commit(_:)`` removes the offer for good; or
///    ``release(_:)`` gives it back. A claimer that dies before either loses its claim, and the
///    offer is delivered again. A commit by a claimer whose claim was lost fails with
///    ``HandoffError/Code/claimLost``.
public protocol HandoffStore: Sendable {
    /// Offers an envelope under its label and key.
    ///
    /// Offers are create-only: an existing offer for the same label and key is never
    /// overwritten, and never a reason to refuse: the new one is kept beside it, and claims
    /// take them oldest first. An expired offer is never claimed.
    /// - Parameters:
    ///   - envelope: The state.
    ///   - ttl: How long the offer stays claimable; `nil` for no limit.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/storeFailed`` (the disk is full; the
    ///   store is unreachable). Nothing half-written is left behind: either the offer is
    ///   complete or it does not exist.
    func offer(_ envelope: Envelope, ttl: Duration?) async throws

    /// Claims the oldest unexpired, unclaimed offer for `label` and `key`, if there is one.
    /// - Parameters:
    ///   - label: The kind of state.
    ///   - key: The instance.
    ///   - readerVersion: The newest state version the claimer understands.
    /// - Returns: The claim, holding the verified envelope; `nil` if nothing is offered.
    /// - Throws: ``HandoffError/Code/newerVersion`` if the envelope needs a newer reader,
    ///   or an envelope error (``HandoffError/Code/checksumMismatch`` …) if it is damaged; in
    ///   both cases the offer stays where it was.
    func claim(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim?

    /// Removes a claimed offer for good, once its state has been applied.
    /// - Throws: ``HandoffError/Code/claimLost`` if the claim is no longer held.
    func commit(_ claim: HandoffClaim) async throws

    /// Gives a claimed offer back, to be claimed again.
    func release(_ claim: HandoffClaim) async throws

    /// The headers of offers made for `label` from now on: "handoff available" notifications.
    func offers(label: String) -> AsyncStream<EnvelopeHeader>
}

/// An offer held by one claimer: the envelope, and what the store needs to commit or release it.
public struct HandoffClaim: Sendable, Hashable {
    /// The claimed state, verified.
    public var envelope: Envelope
    /// Identifies the claim to the store that made it (a file name, a key and revision…).
    public var token: String

    /// Creates a claim; stores make these.
    public init(envelope: Envelope, token: String) {
        self.envelope = envelope
        self.token = token
    }
}
