import HandoffSystem
/// A ``HandoffStore`` that can list what waits in it, for operators (`handoffctl offers`).
///
/// Listing takes nothing: offers stay where they are.
package protocol OfferListing: Sendable {
    /// Every offer in the store, claimed ones included, sorted by label and key.
    /// - Throws: ``HandoffError/Code/storeFailed`` if the store cannot be read.
    func pendingOffers() async throws -> [PendingOffer]
}

/// One offer as ``OfferListing/pendingOffers()`` reports it.
package struct PendingOffer: Sendable, Hashable {
    /// Where the offer stands.
    package enum State: String, Sendable, Hashable {
        /// Waiting to be claimed.
        case offered
        /// Past its time to live: the next claim of its label and key removes it.
        case expired
        /// Taken by a claimer that still runs.
        case claimed
        /// Taken by a claimer that died: the next claim delivers it again.
        case abandoned
    }

    /// Its envelope's header; `nil` if the header does not check out (see ``problem``).
    package var header: EnvelopeHeader?
    /// Where it stands.
    package var state: State
    /// The claimer's pid, for a claimed or abandoned offer.
    package var claimer: Int32?
    /// When it expires, in nanoseconds since the Unix epoch; `nil` for never.
    package var expiresAtNanoseconds: Int64?
    /// Where it is in the store (a file name, a key).
    package var location: String
    /// Why its header could not be read, if it could not.
    package var problem: String?

    /// Creates an entry; stores make these.
    package init(header: EnvelopeHeader?, state: State, claimer: Int32? = nil, expiresAtNanoseconds: Int64? = nil, location: String, problem: String? = nil) {
        self.header = header
        self.state = state
        self.claimer = claimer
        self.expiresAtNanoseconds = expiresAtNanoseconds
        self.location = location
        self.problem = problem
    }
}
