import Handoff

// The properties of the HandoffStore contract, one function each.
extension StoreConformanceSubject {
    func claimReturnsOffer() async throws {
        let offered = envelope()
        try await store.offer(offered, ttl: nil)
        let claim = try await expectClaim(offered, "after an offer")
        try await store.commit(claim)
    }

    func laterOffersAreKept() async throws {
        let first = envelope(seed: 1), second = envelope(seed: 2)
        try await store.offer(first, ttl: nil)
        // An offer never blocks a stop: a second one for the same label and key is kept, and
        // claimed after the first.
        try await store.offer(second, ttl: nil)
        let older = try await expectClaim(first, "the oldest of two offers")
        try await store.commit(older)
        let newer = try await expectClaim(second, "the second offer, once the first was committed")
        try await store.commit(newer)
        try await expectNothingClaimable("after both offers were committed")
    }

    func absentClaimIsNil() async throws {
        try expect(try await claim() == nil, "a claim of a label nobody offered returned an envelope")
        let offered = envelope(key: "other")
        try await store.offer(offered, ttl: nil)
        try expect(try await claim() == nil, "a claim of key \"\(key)\" returned the offer made under key \"other\"")
        let other = try await claim(key: "other")
        try expect(other != nil, "the offer under key \"other\" could not be claimed")
        if let other { try await store.commit(other) }
    }

    func claimIsExclusive() async throws {
        let offered = envelope()
        try await store.offer(offered, ttl: nil)
        let held = try await expectClaim(offered, "after an offer")
        try await expectNothingClaimable("while another claimer holds the offer")
        try await store.commit(held)
    }

    func concurrentClaimersOneWins() async throws {
        let offered = envelope()
        try await store.offer(offered, ttl: nil)
        let views = self.views
        let results = await withTaskGroup(of: Result<HandoffClaim?, any Error>.self) { group in
            for index in 0..<options.claimers {
                let view = views[index % views.count].store
                group.addTask {
                    do { return .success(try await claim(from: view)) } catch { return .failure(error) }
                }
            }
            var results: [Result<HandoffClaim?, any Error>] = []
            for await result in group { results.append(result) }
            return results
        }
        var winners: [HandoffClaim] = []
        for result in results {
            switch result {
            case .success(let claim?): winners.append(claim)
            case .success(nil): break
            case .failure(let error): throw failure("a concurrent claimer failed: \(error)")
            }
        }
        try expect(winners.count == 1, "\(options.claimers) concurrent claimers of one offer: \(winners.count) won; exactly one should")
        try expect(winners[0].envelope.encoded() == offered.encoded(), "the winning claim does not hold the envelope offered")
        try await store.commit(winners[0])
    }

    func commitRemoves() async throws {
        let offered = envelope(seed: 1)
        try await store.offer(offered, ttl: nil)
        let claim = try await expectClaim(offered, "after an offer")
        try await store.commit(claim)
        try await expectNothingClaimable("after the commit")
        let again = envelope(seed: 2)
        try await store.offer(again, ttl: nil)
        let second = try await expectClaim(again, "after offering the committed label and key anew")
        try await store.commit(second)
    }

    func releaseOffersAgain() async throws {
        let offered = envelope()
        try await store.offer(offered, ttl: nil)
        let first = try await expectClaim(offered, "after an offer")
        try await store.release(first)
        let second = try await expectClaim(offered, from: views.last, "after the release")
        try await (peer ?? store).commit(second)
    }

    func lateCommitIsClaimLost() async throws {
        let offered = envelope()
        try await store.offer(offered, ttl: nil)
        let first = try await expectClaim(offered, "after an offer")
        try await store.release(first)
        let second = try await expectClaim(offered, "after the release")
        try await expectError(.claimLost, "a commit of the released claim") { try await store.commit(first) }
        try await store.commit(second)
        try await expectError(.claimLost, "a second commit of a committed claim") { try await store.commit(second) }
        try await expectNothingClaimable("after the commit")
    }

    func newerVersionStaysOffered() async throws {
        let offered = envelope(stateVersion: 5, oldestReaderVersion: 4)
        try await store.offer(offered, ttl: nil)
        for attempt in ["a claim by a version 3 reader", "a second claim by a version 3 reader"] {
            try await expectError(.newerVersion, "\(attempt) of state readable from version 4") {
                if let taken = try await claim(readerVersion: 3) {
                    try? await store.release(taken)
                }
            }
        }
        let accepted = try await expectClaim(offered, readerVersion: 4, "after refusals to an older reader")
        try await store.commit(accepted)
    }

    func expiry() async throws {
        guard let ttl = options.expiryTTL else { throw HandoffCheckReport.Skip(reason: "the store has no TTLs (Options.expiryTTL is nil)") }
        let lasting = envelope(key: "lasting")
        try await store.offer(lasting, ttl: .seconds(3600))
        try await store.offer(envelope(key: "expiring"), ttl: ttl)
        let deadline = ContinuousClock.now + options.expiryDeadline
        try await Task.sleep(for: ttl)  // the TTL itself is what must pass
        while true {
            guard let claim = try await claim(key: "expiring") else { break }
            try await store.release(claim)
            try expect(ContinuousClock.now < deadline, "an offer with a TTL of \(ttl) was still delivered \(options.expiryDeadline) later")
            try await Task.sleep(for: .milliseconds(50))  // polling with a deadline
        }
        let kept = try await claim(key: "lasting")
        try expect(kept?.envelope.encoded() == lasting.encoded(), "an offer with a TTL of one hour was not delivered")
        if let kept { try await store.commit(kept) }
    }

    func notification() async throws {
        guard options.notifies ?? (store is any OfferListing) else {
            throw HandoffCheckReport.Skip(reason: "the store is not an OfferListing and Options.notifies is not set")
        }
        let offers = store.offers(label: label)
        let offered = envelope()
        try await store.offer(offered, ttl: nil)
        let header = await within(options.notificationDeadline) { () async -> EnvelopeHeader? in
            for await header in offers { return header }
            return nil
        }
        guard let header else {
            throw failure("offers(label:) announced nothing within \(options.notificationDeadline) of an offer of its label")
        }
        try expect(header == offered.header, "offers(label:) announced \(header.label)/\(header.key), not the header of the offer made")
        if let claim = try await claim() { try await store.commit(claim) }
    }

    func listing() async throws {
        guard let listing = store as? any OfferListing else {
            throw HandoffCheckReport.Skip(reason: "the store does not adopt OfferListing")
        }
        func entry() async throws -> PendingOffer? {
            try await listing.pendingOffers().first { $0.header?.label == label && $0.header?.key == key }
        }
        let offered = envelope()
        try await store.offer(offered, ttl: nil)
        let listed = try await entry()
        try expect(listed?.state == .offered, "pendingOffers() lists the offer as \(listed.map { "\($0.state)" } ?? "absent"), not offered")
        let claim = try await expectClaim(offered, "after an offer")
        let claimed = try await entry()
        try expect(claimed?.state == .claimed, "pendingOffers() lists a held claim as \(claimed.map { "\($0.state)" } ?? "absent"), not claimed")
        try await store.commit(claim)
        try expect(try await entry() == nil, "pendingOffers() still lists a committed offer")
    }
}
