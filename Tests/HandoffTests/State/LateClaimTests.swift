import Foundation
import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// Running registries that follow a store's offers: each offer is merged by exactly one.
@Suite("Late claims", .timeLimit(.minutes(2)), .offCooperativePool)
struct LateClaimTests {
    @Test("three followers of one directory store: each of 100 offers is merged by exactly one of them")
    func directoryExactlyOnce() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        let tallies = try await LateClaims.followers(on: store, rounds: 100)
        #expect(tallies.reduce(0, +) == 100, "\(tallies)")
        #expect(directory.names().isEmpty)
    }

    @Test("a start takes the oldest offer with resume, then merges the others; a follower skips nothing offered before it began")
    func restoreTakesAll() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        for value in [5, 7, 11] { try await store.offer(try await LateClaims.offer(value), ttl: .seconds(60)) }
        let registry = LateClaims.registry()
        let tally = MergingTally()
        tally.value.withLock { $0 = 1000 }  // replaced by the first, as at any start
        try registry.register(tally)
        #expect(await registry.restore(from: store) == .restored(["tally/"]))
        #expect(tally.value.withLock { $0 } == 23)
        #expect(directory.names().isEmpty)
    }

    @Test("while the state is being given up, no offer is merged; once the handover is abandoned, it is")
    func gateHoldsMerges() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        let registry = LateClaims.registry()
        let tally = MergingTally()
        try registry.register(tally)
        _ = try await registry.collect()  // giving up: the gate closes
        try await store.offer(try await LateClaims.offer(3), ttl: .seconds(60))
        let member = try #require(registry.followed(all: false).first)
        #expect(await registry.takeOffers(for: member, from: store, emit: { _ in }) == 0)
        #expect(directory.names().count == 1)
        await registry.abandon()
        #expect(await registry.takeOffers(for: member, from: store, emit: { _ in }) == 1)
        #expect(tally.value.withLock { $0 } == 3)
    }
}
