#if DEBUG  // test support: built for the tests only (see Package.swift)
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport

/// The later-offers scenario every store runs.
enum LaterOffers {
    /// Offers three states for one label and key (the second one first in time made last), then
    /// claims until nothing is left.
    static func offerThreeClaimAll(_ store: any HandoffStore) async throws -> [String] {
        try await store.offer(storeEnvelope(text: "one", createdAt: 1_000), ttl: .seconds(60))
        try await store.offer(storeEnvelope(text: "two", createdAt: 2_000), ttl: .seconds(60))
        // A claim given back keeps its place among the others.
        let first = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(first.envelope.payload == Array("one".utf8))
        try await store.offer(storeEnvelope(text: "three", createdAt: 3_000), ttl: .seconds(60))
        try await store.release(first)
        var taken: [String] = []
        while let claim = try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) {
            taken.append(String(decoding: claim.envelope.payload, as: UTF8.self))
            try await store.commit(claim)
            #expect(taken.count <= 3)
            if taken.count > 3 { break }
        }
        return taken
    }
}
#endif
