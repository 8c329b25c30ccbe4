import HandoffSystem

/// Claiming from a ``DirectoryStore``: look without taking, take with one `rename`, verify what
/// was taken and give back what fails, and revive the claims of dead claimers.
extension DirectoryStore {
    /// What the offer file says before anything is taken.
    enum Peek {
        case nothing
        case expired
        case offer(EnvelopeHeader)
    }

    /// How many times one claim looks again after losing a race (another claimer took the offer,
    /// a dead claim was revived, an expired offer was removed) before it answers "nothing".
    private static let attempts = 4
    /// How much of an offer is read to check its header before taking it: the longest header
    /// the format allows (four strings of up to 65535 bytes, and fixed fields).
    private static let headerPeek = 4 * (2 + 0xFFFF) + 64
    /// The most of a claimed file that is read: one byte more than the largest envelope, so that
    /// a file with bytes beyond it is refused rather than loaded whole.
    private static let largestEnvelope = headerPeek + Envelope.defaultMaxPayloadLength + 4 + 1

    func claimNow(label: String, key: String, readerVersion: Int) throws(HandoffError) -> HandoffClaim? {
        for _ in 0..<DirectoryStore.attempts {
            try reviveDeadClaims(label: label, key: key)
            let candidates = try offersInOrder(label: label, key: key)
            if candidates.isEmpty { return nil }
            for (entryStem, peeked) in candidates {
                if case .offer(let header) = peeked, header.oldestReaderVersion > readerVersion {
                    throw newer(header, readerVersion: readerVersion)
                }
                let offer = path(entryStem + DirectoryStoreLayout.offerSuffix)
                let token = DirectoryStoreLayout.claimName(entryStem: entryStem, owner: .current, sequence: DirectoryStore.nextSequence())
                let claimed = path(token)
                do throws(HandoffError) {
                    // The claim name is this process's own, so plain rename(2) replaces nothing.
                    try StoreFiles.rename(offer, claimed)
                } catch {
                    if error.errno == .noSuchFileOrDirectory { continue }  // another claimer won: the next one
                    throw HandoffError(.storeFailed, "cannot claim \(label)/\(key): \(error.reason)", errno: error.errno)
                }
                // nil: it had expired, and was removed.
                if let claim = try verifyTaken(claimed, token: token, offer: offer, label: label, key: key, readerVersion: readerVersion) {
                    return claim
                }
            }
        }
        return nil
    }

    /// The offers of `label` and `key`, as entry stems with what their headers say: expired
    /// ones first (to be removed), then the others oldest first (by the time in the header).
    private func offersInOrder(label: String, key: String) throws(HandoffError) -> [(String, Peek)] {
        let stem = DirectoryStoreLayout.stem(label: label, key: key)
        let names: [String]
        do throws(HandoffError) { names = try StoreFiles.names(in: directory) } catch {
            throw HandoffError(.storeFailed, "cannot claim \(label)/\(key): \(error.reason)", errno: error.errno)
        }
        var found: [(entryStem: String, peek: Peek, order: Int64)] = []
        for name in names {
            guard case .offer(let entryStem) = DirectoryStoreLayout.parse(name),
                  DirectoryStoreLayout.baseStem(entryStem) == stem else { continue }
            switch try peek(path(name), label: label, key: key) {
            case .nothing: continue
            case .expired: found.append((entryStem, .expired, .min))
            case .offer(let header): found.append((entryStem, .offer(header), header.createdAtNanoseconds))
            }
        }
        return found.sorted { ($0.order, $0.entryStem) < ($1.order, $1.entryStem) }.map { ($0.entryStem, $0.peek) }
    }

    /// Reads the header of the offer at `offer` without taking it.
    /// - Throws: The envelope's header error (the offer stays), or `.storeFailed`.
    func peek(_ offer: String, label: String, key: String) throws(HandoffError) -> Peek {
        let contents: StoreFiles.Contents
        do throws(HandoffError) {
            guard let read = try StoreFiles.read(offer, limit: DirectoryStore.headerPeek) else { return .nothing }
            contents = read
        } catch {
            throw HandoffError(.storeFailed, "cannot claim \(label)/\(key): \(error.reason)", errno: error.errno)
        }
        if contents.isExpired() { return .expired }
        do throws(HandoffError) {
            return .offer(try DirectoryStore.decodeHeader(contents.bytes))
        } catch {
            throw error.context("the offer for \(label)/\(key) is refused, and stays offered")
        }
    }

    /// Reads and fully verifies a taken offer; gives it back (and throws) if it is refused.
    /// - Returns: The claim, or `nil` if the offer had expired (it is removed).
    func verifyTaken(_ claimed: String, token: String, offer: String, label: String, key: String, readerVersion: Int) throws(HandoffError) -> HandoffClaim? {
        let refusal: HandoffError
        do throws(HandoffError) {
            guard let contents = try StoreFiles.read(claimed, limit: DirectoryStore.largestEnvelope) else {
                throw HandoffError(.claimLost, "the claim file \(claimed) vanished as it was taken")
            }
            if contents.isExpired() {
                _ = try? StoreFiles.unlinkIfPresent(claimed)
                StoreFiles.syncDirectory(directory)
                return nil
            }
            let envelope: Envelope
            do { envelope = try Envelope(decoding: contents.bytes) } catch {
                throw error as? HandoffError ?? HandoffError(.malformedPayload, "\(error)")
            }
            guard envelope.header.label == label, envelope.header.key == key else {
                throw HandoffError(.malformedPayload, "the offer file for \(label)/\(key) holds an envelope for \(envelope.header.label)/\(envelope.header.key)")
            }
            // The offer taken may be newer than the one looked at, if it was replaced meanwhile.
            if envelope.header.oldestReaderVersion > readerVersion {
                throw newer(envelope.header, readerVersion: readerVersion)
            }
            return HandoffClaim(envelope: envelope, token: token)
        } catch let error where error.code == .claimLost {
            throw error
        } catch let error where error.errno != nil {
            refusal = HandoffError(.storeFailed, "cannot read the claimed offer for \(label)/\(key): \(error.reason)", errno: error.errno)
        } catch {
            refusal = error.context("the offer for \(label)/\(key) is refused, and stays offered")
        }
        throw giveBack(claimed, token: token, label: label, key: key, refusal: refusal)
    }

    /// Renames a refused claim back to its offer name; returns the error to throw.
    private func giveBack(_ claimed: String, token: String, label: String, key: String, refusal: HandoffError) -> HandoffError {
        do throws(HandoffError) {
            guard case .claim(let entryStem, _) = DirectoryStoreLayout.parse(token) else { return refusal }
            try reoffer(claimed, entryStem: entryStem, label: label, key: key)
            StoreFiles.syncDirectory(directory)
            return refusal
        } catch {
            let why = "giving it back failed, so it stays at \(claimed) until this process exits: \(error.reason)"
            return HandoffError(refusal.code, "\(refusal.reason); \(why)", errno: refusal.errno)
        }
    }

    /// Renames every claim on `label`/`key` whose claimer is dead back to an offer.
    private func reviveDeadClaims(label: String, key: String) throws(HandoffError) {
        let stem = DirectoryStoreLayout.stem(label: label, key: key)
        let names: [String]
        do throws(HandoffError) { names = try StoreFiles.names(in: directory) } catch {
            throw HandoffError(.storeFailed, "cannot claim \(label)/\(key): \(error.reason)", errno: error.errno)
        }
        for name in names {
            guard case .claim(let claimStem, let owner) = DirectoryStoreLayout.parse(name),
                  DirectoryStoreLayout.baseStem(claimStem) == stem, !owner.isAlive else { continue }
            let claimed = path(name)
            do throws(HandoffError) {
                if let links = StoreFiles.linkCount(claimed), links > 1 {
                    // Left by a give-back interrupted between link(2) and unlink(2): the state
                    // lives on under its other name, so this one is only removed.
                    try StoreFiles.unlinkIfPresent(claimed)
                } else {
                    try reoffer(claimed, entryStem: claimStem, label: label, key: key)
                }
                StoreFiles.syncDirectory(directory)
            } catch {
                // ENOENT: another claimer revived it first; EEXIST: an offer is there already.
                if error.errno != .noSuchFileOrDirectory && error.errno != .fileExists {
                    throw HandoffError(.storeFailed, "cannot revive the claim \(claimed) of dead pid \(owner.pid): \(error.reason)", errno: error.errno)
                }
            }
        }
    }

    func newer(_ header: EnvelopeHeader, readerVersion: Int) -> HandoffError {
        HandoffError(.newerVersion, "the offer for \(header.label)/\(header.key) is state version \(header.stateVersion), readable from version \(header.oldestReaderVersion) on; this reader knows up to \(readerVersion), so it stays offered")
    }

    /// Decodes the header at the start of `bytes`.
    private static func decodeHeader(_ bytes: [UInt8]) throws(HandoffError) -> EnvelopeHeader {
        do { return try EnvelopeHeader.decode(bytes[...]).0 } catch {
            throw error as? HandoffError ?? HandoffError(.malformedPayload, "\(error)")
        }
    }

    /// The header of the unexpired offer at `path`, or `nil`: for notifications.
    static func peekHeader(at path: String) -> EnvelopeHeader? {
        guard let contents = try? StoreFiles.read(path, limit: headerPeek), !contents.isExpired() else { return nil }
        return try? decodeHeader(contents.bytes)
    }
}
