import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// An offer waiting for a label and key never refuses the next one: both stores keep both and
/// claim them oldest first.
@Suite("Later offers", .offCooperativePool)
struct LaterOffersTests {
    @Test("DirectoryStore: a second and third offer are kept beside the first and claimed oldest first, a released one in its place")
    func directory() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        #expect(try await LaterOffers.offerThreeClaimAll(store) == ["one", "two", "three"])
        #expect(directory.names().isEmpty)
    }

    @Test("DirectoryStore: an expired later offer is never claimed, and is removed")
    func directoryExpiry() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        try await store.offer(storeEnvelope(text: "kept", createdAt: 2_000), ttl: .seconds(60))
        try await store.offer(storeEnvelope(text: "expired", createdAt: 1_000), ttl: .seconds(60))
        // Expire the later (older by its header) one by hand: its mtime is its expiry.
        let later = try #require(directory.names().first { $0.contains("=") })
        #expect(utimes(store.path(later), nil) == 0)
        let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(claim.envelope.payload == Array("kept".utf8))
        try await store.commit(claim)
        #expect(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        #expect(directory.names().isEmpty)
    }
}
