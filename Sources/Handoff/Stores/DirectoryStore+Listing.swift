import HandoffSystem

extension DirectoryStore: OfferListing {
    /// The offer and claim files in the directory, each with its header (read, never taken).
    /// Offers being written are left out.
    /// - Throws: ``HandoffError/Code/storeFailed`` if the directory cannot be listed.
    package func pendingOffers() async throws -> [PendingOffer] {
        let directory = self.directory
        let names: [String]
        do throws(HandoffError) {
            names = try StoreFiles.names(in: directory)
        } catch {
            throw HandoffError(.storeFailed, "cannot list \(directory): \(error.reason)", errno: error.errno)
        }
        var offers: [PendingOffer] = []
        for name in names.sorted() {
            let state: PendingOffer.State
            var claimer: Int32?
            switch DirectoryStoreLayout.parse(name) {
            case .offer:
                state = .offered
            case .claim(_, let owner):
                state = owner.isAlive ? .claimed : .abandoned
                claimer = owner.pid
            case .temporary, .checkpoint, nil:
                continue
            }
            var offer = PendingOffer(header: nil, state: state, claimer: claimer, location: name)
            do throws(HandoffError) {
                // Enough for the longest header: four u16-length strings and the fixed fields.
                guard let contents = try StoreFiles.read("\(directory)/\(name)", limit: 4 * (2 + 0xFFFF) + 64) else { continue }
                offer.expiresAtNanoseconds = contents.expiresAt
                if state == .offered && contents.isExpired() { offer.state = .expired }
                do {
                    offer.header = try EnvelopeHeader.decode(contents.bytes[...]).0
                } catch {
                    offer.problem = "\(error)"
                }
            } catch {
                offer.problem = error.description
            }
            offers.append(offer)
        }
        return offers
    }
}
