import Dispatch
import Synchronization
import HandoffSystem

/// The embedded ``HandoffStore``: offers rest as files in a directory only this user can read,
/// so the next process to start on this host claims what the last one left.
///
/// ```swift
/// let store = try DirectoryStore(directory: DirectoryStore.defaultDirectory(for: "sessiond"))
/// try await store.offer(envelope, ttl: .seconds(600))
/// // … in the next process:
/// if let claim = try await store.claim(label: "sessions", key: "", readerVersion: 3) {
///     try await apply(claim.envelope)
///     try await store.commit(claim)
/// }
/// ```
///
/// Each offer is one file, named after its label and key (percent-encoded, so any string is
/// safe): `sessions+eu%2F1+offer`. The store relies on atomic renames only, so any number of
/// processes may share a directory:
/// - **Offer** writes a temporary file (`O_EXCL`, mode 0600), fsyncs it, and moves it into place
///   with `renameat2(RENAME_NOREPLACE)` (or `link(2)`), which never replaces an existing offer:
///   if one waits for the label and key, the new one is kept beside it under a name with an
///   offer id (see `DirectoryStoreLayout`), so a stop is never refused for an earlier offer
///   nobody claimed. Any failure removes the temporary file; existing offers are never touched.
/// - **Expiry**: the offer file's modification time *is* its expiry (the epoch for none), set
///   with `futimens` before the offer appears. An expired offer is never delivered, and is
///   removed by the next claim of its label and key. The store never writes an offer in place;
///   writing one by hand sets its mtime to now, which expires it.
/// - **Claim** takes the oldest unexpired offer of the label and key (by the time in its
///   header). It reads the header first and refuses, without taking anything, an envelope that
///   needs a newer reader. It then renames the offer to a claim name holding the claimer's pid,
///   start time and boot id: of concurrent claimers exactly one rename succeeds. The claimed
///   file is then verified whole; a damaged one is renamed back, so it stays offered.
/// - **Dead claimers**: when there is no offer but a claim whose process is gone (or whose pid
///   now belongs to a later process), the claim is renamed back to an offer and delivered again.
/// - **Commit** unlinks the claim; **release** renames it back to an offer.
///
/// All file work runs on a dispatch queue, off the cooperative thread pool.
public final class DirectoryStore: HandoffStore {
    /// The directory holding the offers.
    public let directory: String

    /// Numbers the files this process makes, so that two of them never share a name.
    private static let sequence = Atomic<UInt64>(0)
    private static let queue = DispatchQueue(label: "handoff.directory-store", attributes: .concurrent)

    /// Opens the store in `directory`, creating it (and missing parents) with mode 0700.
    ///
    /// Temporary files left by offers of processes that have died are removed.
    /// - Parameter directory: The store's directory; see ``defaultDirectory(for:)``.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/storeFailed`` if the directory cannot
    ///   be created, is not a directory, belongs to another user, is open to group or others, or
    ///   cannot be written.
    public init(directory: String) throws {
        var path = directory
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.directory = path
        do throws(HandoffError) {
            try PrivateDirectory.prepare(path)
        } catch {
            throw HandoffError(.storeFailed, "cannot use \(path) as a state store: \(error.reason)", errno: error.errno)
        }
        removeAbandonedTemporaries()
    }

    /// Where a program's store lives by default:
    /// `$XDG_RUNTIME_DIR/handoff/<program>` if `XDG_RUNTIME_DIR` names a directory; else
    /// `/run/user/<uid>/handoff/<program>` if `/run/user/<uid>` exists; else
    /// `<$TMPDIR or /tmp>/handoff-<uid>/<program>`.
    ///
    /// The first two are tmpfs on systemd hosts: offers survive a restart, not a reboot.
    /// - Parameter program: The program's name; any `/` in it is replaced by `_`.
    public static func defaultDirectory(for program: String) -> String {
        let program = program.replacingSlashes()
        let uid = Syscall.effectiveUserID
        if let runtime = environment("XDG_RUNTIME_DIR"), isDirectory(runtime) {
            return "\(runtime)/handoff/\(program)"
        }
        if isDirectory("/run/user/\(uid)") {
            return "/run/user/\(uid)/handoff/\(program)"
        }
        var temporary = environment("TMPDIR") ?? "/tmp"
        while temporary.count > 1 && temporary.hasSuffix("/") { temporary.removeLast() }
        return "\(temporary)/handoff-\(uid)/\(program)"
    }

    // MARK: HandoffStore

    /// Offers an envelope under its label and key; see ``HandoffStore/offer(_:ttl:)``.
    ///
    /// The offer file is complete and fsynced before its name appears.
    /// - Parameters:
    ///   - envelope: The state.
    ///   - ttl: How long the offer stays claimable (it must be positive); `nil` for no limit.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/storeFailed`` if a system call failed
    ///   (named, with its path and `errno`), in which case no file was left behind. An offer
    ///   waiting for the same label and key is no reason: both are kept.
    public func offer(_ envelope: Envelope, ttl: Duration?) async throws {
        try await DirectoryStore.perform { try self.offerNow(envelope, ttl: ttl) }
    }

    /// Claims the offer for `label` and `key`; see ``HandoffStore/claim(label:key:readerVersion:)``.
    /// - Returns: The claim, whose token is the claim file's name; `nil` if nothing (unexpired)
    ///   is offered, or another live process holds it.
    /// - Throws: ``HandoffError/Code/newerVersion`` or an envelope error, leaving the offer in
    ///   place; ``HandoffError/Code/storeFailed`` if a system call failed.
    public func claim(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim? {
        try await DirectoryStore.perform { try self.claimNow(label: label, key: key, readerVersion: readerVersion) }
    }

    /// Removes a claimed offer for good (unlinks the claim file).
    /// - Throws: ``HandoffError/Code/claimLost`` if the claim file is gone (the claim was
    ///   released or committed already); ``HandoffError/Code/storeFailed`` if `unlink` failed.
    public func commit(_ claim: HandoffClaim) async throws {
        try await DirectoryStore.perform { try self.commitNow(claim) }
    }

    /// Gives a claimed offer back (renames the claim file to the offer name, never replacing an
    /// offer made since).
    /// - Throws: ``HandoffError/Code/claimLost`` if the claim file is gone;
    ///   ``HandoffError/Code/storeFailed`` if a newer offer exists (the claim is still held) or a
    ///   system call failed.
    public func release(_ claim: HandoffClaim) async throws {
        try await DirectoryStore.perform { try self.releaseNow(claim) }
    }

    /// The headers of offers for `label` that appear from now on, released and revived ones
    /// included; see ``HandoffStore/offers(label:)``.
    ///
    /// Watched with inotify (`IN_CREATE`, `IN_MOVED_TO`); where inotify is unavailable, by
    /// listing the directory every 200 ms. Ending the stream stops the watching.
    public func offers(label: String) -> AsyncStream<EnvelopeHeader> {
        OfferWatcher.stream(directory: directory, label: label) { [directory] name in
            DirectoryStore.peekHeader(at: "\(directory)/\(name)")
        }
    }

    // MARK: The work, synchronous

    func offerNow(_ envelope: Envelope, ttl: Duration?) throws(HandoffError) {
        let label = envelope.header.label, key = envelope.header.key
        let final = offerPath(label: label, key: key)
        var expiresAt: Int64?
        if let ttl {
            guard ttl > .zero else { throw HandoffError(.invalidArgument, "the ttl of an offer must be positive; it is \(ttl)") }
            expiresAt = StoreFiles.realtimeNanoseconds().addingSaturating(ttl.nanoseconds)
        }
        let temporary = path(DirectoryStoreLayout.temporaryName(label: label, key: key, owner: .current, sequence: DirectoryStore.nextSequence()))
        do throws(HandoffError) {
            try StoreFiles.writeNew(temporary, bytes: envelope.encoded(), expiresAt: expiresAt)
            do throws(HandoffError) {
                do throws(HandoffError) {
                    try StoreFiles.moveNoReplace(temporary, final)
                } catch where error.errno == .fileExists {
                    // An earlier offer waits: this one goes beside it, under its own id.
                    let id = DirectoryStoreLayout.newOfferID(now: StoreFiles.realtimeNanoseconds())
                    try StoreFiles.moveNoReplace(temporary, path(DirectoryStoreLayout.laterOfferName(label: label, key: key, id: id)))
                }
            } catch {
                Syscall.removeQuietly(temporary)
                throw error
            }
        } catch {
            if error.code == .storeFailed { throw error }
            throw HandoffError(.storeFailed, "cannot offer \(label)/\(key): \(error.reason)", errno: error.errno)
        }
        StoreFiles.syncDirectory(directory)
    }

    func commitNow(_ claim: HandoffClaim) throws(HandoffError) {
        let claimed = try claimPath(claim)
        let removed: Bool
        do throws(HandoffError) { removed = try StoreFiles.unlinkIfPresent(claimed) } catch {
            throw HandoffError(.storeFailed, "cannot commit the claim on \(claim.what): \(error.reason)", errno: error.errno)
        }
        guard removed else { throw lost(claim) }
        StoreFiles.syncDirectory(directory)
    }

    func releaseNow(_ claim: HandoffClaim) throws(HandoffError) {
        let claimed = try claimPath(claim)
        guard case .claim(let entryStem, _) = DirectoryStoreLayout.parse(claim.token) else { throw lost(claim) }
        do throws(HandoffError) {
            try reoffer(claimed, entryStem: entryStem, label: claim.envelope.header.label, key: claim.envelope.header.key)
        } catch {
            switch error.errno {
            case .noSuchFileOrDirectory: throw lost(claim)
            default: throw HandoffError(.storeFailed, "cannot release \(claim.what): \(error.reason)", errno: error.errno)
            }
        }
        StoreFiles.syncDirectory(directory)
    }

    /// Renames a claim file back to the offer name it had; if a newer offer took that name
    /// meanwhile, to a name with a new offer id (its header keeps its age).
    func reoffer(_ claimed: String, entryStem: String, label: String, key: String) throws(HandoffError) {
        do throws(HandoffError) {
            try StoreFiles.moveNoReplace(claimed, path(entryStem + DirectoryStoreLayout.offerSuffix))
        } catch where error.errno == .fileExists {
            let id = DirectoryStoreLayout.newOfferID(now: StoreFiles.realtimeNanoseconds())
            try StoreFiles.moveNoReplace(claimed, path(DirectoryStoreLayout.laterOfferName(label: label, key: key, id: id)))
        }
    }

    // MARK: Names

    /// The full path of a file in the store.
    func path(_ name: String) -> String { "\(directory)/\(name)" }

    /// The path of the offer file for `label` and `key`.
    func offerPath(label: String, key: String) -> String {
        path(DirectoryStoreLayout.offerName(label: label, key: key))
    }

    /// The path of a claim's file, once its token is known to be a claim name for its envelope.
    private func claimPath(_ claim: HandoffClaim) throws(HandoffError) -> String {
        let header = claim.envelope.header
        guard DirectoryStoreLayout.isClaimName(claim.token),
              case .claim(let stem, _) = DirectoryStoreLayout.parse(claim.token),
              DirectoryStoreLayout.baseStem(stem) == DirectoryStoreLayout.stem(label: header.label, key: header.key) else {
            throw HandoffError(.invalidArgument, "\"\(claim.token)\" is not a claim this store made for \(claim.what)")
        }
        return path(claim.token)
    }

    private func lost(_ claim: HandoffClaim) -> HandoffError {
        HandoffError(.claimLost, "the claim on \(claim.what) is no longer held: it was committed or released already (\(path(claim.token)) is gone)")
    }

    static func nextSequence() -> UInt64 {
        sequence.wrappingAdd(1, ordering: .relaxed).newValue
    }

    // MARK: Set-up

    /// Removes temporary files whose writer has died (best effort).
    private func removeAbandonedTemporaries() {
        guard let names = try? StoreFiles.names(in: directory) else { return }
        for name in names {
            if case .temporary(_, let owner) = DirectoryStoreLayout.parse(name), !owner.isAlive {
                Syscall.removeQuietly(path(name))
            }
        }
    }

    /// Runs blocking file work on the store's queue (with the task's injected faults, if any).
    static func perform<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let work = Syscall.carryingFaults(body)
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    private static func environment(_ name: String) -> String? {
        guard let text = Environment.value(name), !text.isEmpty else { return nil }
        return text
    }

    private static func isDirectory(_ path: String) -> Bool {
        Syscall.status(ofPath: path)?.kind == .directory
    }
}

extension HandoffClaim {
    /// `label/key`, for messages.
    fileprivate var what: String { "\(envelope.header.label)/\(envelope.header.key)" }
}

extension String {
    fileprivate func replacingSlashes() -> String {
        String(map { $0 == "/" ? "_" : $0 })
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedSaturating(by: 1_000_000_000).addingSaturating(attoseconds / 1_000_000_000)
    }
}

extension Int64 {
    fileprivate func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    fileprivate func multipliedSaturating(by other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self > 0) == (other > 0) ? .max : .min) : product
    }
}
