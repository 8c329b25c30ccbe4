import HandoffSystem

/// A ``HandoffStore`` that offers to a primary store (a cluster, such as an etcd store) and,
/// when the primary cannot take an offer, to a local fallback (a ``DirectoryStore``), so that
/// no state is lost while the cluster is out of reach.
///
/// ```swift
/// let store = FallbackStore(
///     primary: try EtcdStore(configuration: .init(parsing: "etcd://10.0.0.1:2379")),
///     fallback: try DirectoryStore(directory: DirectoryStore.defaultDirectory(for: "sessiond")))
/// ```
///
/// - **Offer** goes to the primary. If that fails for any reason (unreachable, refused, an
///   offer already there), the failure is logged and the envelope is offered to the fallback;
///   only if both fail does the offer fail, with both reasons.
/// - **Claim** asks the fallback first, then the primary. State in the fallback is the state at
///   risk — only this host has it, and only because the primary was out of reach when it was
///   offered — while state in the primary stays claimable from any node; and the local look
///   costs no round trip, and works while the primary is down. If the fallback refuses its
///   offer (a newer version, damage), the primary is still asked; the refusal is thrown only if
///   the primary has nothing either.
/// - **Commit** and **release** go to the store the claim came from.
/// - **Notifications** are the primary's: an offer that fell back is claimed by the next start
///   on this host, not announced.
public final class FallbackStore: HandoffStore {
    /// Where offers go first.
    public let primary: any HandoffStore
    /// Where offers go when the primary fails them.
    public let fallback: any HandoffStore
    private let log: @Sendable (String) -> Void

    /// Writes `handoff: <message>` to standard error: the default log.
    public static let standardErrorLog: @Sendable (String) -> Void = { message in
        // A failing write is dropped: there is nowhere to report a failing log.
        Syscall.writeToStandardError("handoff: \(message)\n")
    }

    /// Makes a store that falls back from `primary` to `fallback`.
    /// - Parameters:
    ///   - primary: Where offers go first (an etcd store).
    ///   - fallback: Where offers go when the primary fails them (a directory store).
    ///   - log: Told, in one line, each time an offer falls back; standard error by default.
    public init(primary: any HandoffStore, fallback: any HandoffStore,
                log: @escaping @Sendable (String) -> Void = FallbackStore.standardErrorLog) {
        self.primary = primary
        self.fallback = fallback
        self.log = log
    }

    /// Offers to the primary, or, if that fails, to the fallback.
    /// - Parameters:
    ///   - envelope: The state.
    ///   - ttl: How long the offer stays claimable; `nil` for no limit.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/storeFailed`` naming both failures,
    ///   if both stores failed the offer.
    public func offer(_ envelope: Envelope, ttl: Duration?) async throws {
        let what = "\(envelope.header.label)/\(envelope.header.key)"
        do {
            try await primary.offer(envelope, ttl: ttl)
            return
        } catch {
            let reason = FallbackStore.describe(error)
            do {
                try await fallback.offer(envelope, ttl: ttl)
            } catch {
                throw HandoffError(.storeFailed, "cannot offer \(what): the primary store failed (\(reason)), and so did the fallback (\(FallbackStore.describe(error)))")
            }
            log("state=offered-to-fallback what=\(what) reason=\(reason.debugDescription)")
        }
    }

    /// Claims from the fallback, else from the primary.
    /// - Parameters:
    ///   - label: The kind of state.
    ///   - key: The instance.
    ///   - readerVersion: The newest state version the claimer understands.
    /// - Returns: The claim; `nil` if neither store has an offer to give.
    /// - Throws: The fallback's refusal, if the primary had nothing; else the primary's error.
    public func claim(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim? {
        var refusal: (any Error)?
        do {
            if let claim = try await fallback.claim(label: label, key: key, readerVersion: readerVersion) {
                return HandoffClaim(envelope: claim.envelope, token: Route.fallback.prefix + claim.token)
            }
        } catch {
            refusal = error
        }
        do {
            if let claim = try await primary.claim(label: label, key: key, readerVersion: readerVersion) {
                return HandoffClaim(envelope: claim.envelope, token: Route.primary.prefix + claim.token)
            }
        } catch {
            throw refusal ?? error
        }
        if let refusal { throw refusal }
        return nil
    }

    /// Commits the claim in the store it came from.
    /// - Throws: That store's error; ``HandoffError/Code/invalidArgument`` for a claim this store
    ///   did not make.
    public func commit(_ claim: HandoffClaim) async throws {
        let (store, inner) = try route(claim)
        try await store.commit(inner)
    }

    /// Releases the claim in the store it came from.
    /// - Throws: As ``commit(_:)``.
    public func release(_ claim: HandoffClaim) async throws {
        let (store, inner) = try route(claim)
        try await store.release(inner)
    }

    /// The primary's notifications.
    public func offers(label: String) -> AsyncStream<EnvelopeHeader> {
        primary.offers(label: label)
    }

    private enum Route {
        case primary, fallback
        var prefix: String { self == .primary ? "primary:" : "fallback:" }
    }

    private func route(_ claim: HandoffClaim) throws(HandoffError) -> (any HandoffStore, HandoffClaim) {
        for route in [Route.primary, .fallback] where claim.token.hasPrefix(route.prefix) {
            let inner = HandoffClaim(envelope: claim.envelope, token: String(claim.token.dropFirst(route.prefix.count)))
            return (route == .primary ? primary : fallback, inner)
        }
        throw HandoffError(.invalidArgument, "\"\(claim.token)\" is not a claim a fallback store made")
    }

    private static func describe(_ error: any Error) -> String {
        (error as? HandoffError)?.description ?? "\(error)"
    }
}
