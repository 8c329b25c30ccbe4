import Foundation
import Synchronization
import Testing
@testable import Handoff
@testable import HandoffEtcd
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations

/// A counter whose state merges by adding.
final class MergingTally: HandoffMergeable {
    typealias State = Int
    static let handoffLabel = "tally"
    static let handoffVersion = 1
    static let handoffFollowsOffers = true
    let value = Mutex(0)

    func handoffState() async throws -> Int { value.withLock { $0 } }
    func resume(from state: Int) async throws { value.withLock { $0 = state } }
    func merge(_ other: Int) async throws { value.withLock { $0 += other } }
}

/// Running registries that follow a store's offers: each offer is merged by exactly one.
@Suite("Late claims", .timeLimit(.minutes(2)))
struct LateClaimTests {
    static func registry() -> HandoffRegistry {
        HandoffRegistry(producer: Envelope.Producer(pid: getpid(), host: "test", build: "test"), maxPayloadLength: 1 << 20)
    }

    /// The tally envelope holding `value`.
    static func offer(_ value: Int) async throws -> Envelope {
        let giver = registry()
        let tally = MergingTally()
        tally.value.withLock { $0 = value }
        try giver.register(tally)
        return try #require(try await giver.collect().first)
    }

    /// Three followers on `store`; `rounds` offers of 1, one at a time, each awaited until
    /// merged. Returns each follower's tally.
    static func followers(on store: any HandoffStore, rounds: Int) async throws -> [Int] {
        let tallies = [MergingTally(), MergingTally(), MergingTally()]
        let merges = MergeCount()
        let registries = try tallies.map { tally in
            let registry = registry()
            try registry.register(tally)
            return registry
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for registry in registries {
                group.addTask {
                    await registry.follow(registry.followed(all: false), store: store) { event in
                        if case .stateMerged = event { merges.add() } else { Issue.record("\(event)") }
                    }
                }
            }
            for round in 1...rounds {
                let merged = merges.latch(for: round)
                try await store.offer(try await offer(1), ttl: .seconds(60))
                try await withDeadline(.seconds(10)) { try await merged.wait() }
            }
            group.cancelAll()
        }
        return tallies.map { $0.value.withLock { $0 } }
    }

    @Test("three running processes follow one etcd store: each of 100 offers is merged by exactly one of them")
    func etcdExactlyOnce() async throws {
        let (store, server, prefix) = try await EtcdStoreTests.store()
        let tallies = try await Self.followers(on: store, rounds: 100)
        #expect(tallies.reduce(0, +) == 100, "\(tallies)")
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/").isEmpty)
    }

    @Test("three followers of one directory store: each of 100 offers is merged by exactly one of them")
    func directoryExactlyOnce() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        let tallies = try await Self.followers(on: store, rounds: 100)
        #expect(tallies.reduce(0, +) == 100, "\(tallies)")
        #expect(directory.names().isEmpty)
    }

    @Test("a start takes the oldest offer with resume, then merges the others; a follower skips nothing offered before it began")
    func restoreTakesAll() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        for value in [5, 7, 11] { try await store.offer(try await Self.offer(value), ttl: .seconds(60)) }
        let registry = Self.registry()
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
        let registry = Self.registry()
        let tally = MergingTally()
        try registry.register(tally)
        _ = try await registry.collect()  // giving up: the gate closes
        try await store.offer(try await Self.offer(3), ttl: .seconds(60))
        let member = try #require(registry.followed(all: false).first)
        #expect(await registry.takeOffers(for: member, from: store, emit: { _ in }) == 0)
        #expect(directory.names().count == 1)
        await registry.abandon()
        #expect(await registry.takeOffers(for: member, from: store, emit: { _ in }) == 1)
        #expect(tally.value.withLock { $0 } == 3)
    }
}

/// Counts merges; a latch per count, fulfilled when it is reached.
final class MergeCount: Sendable {
    private let state = Mutex<(count: Int, latches: [Int: AsyncLatch<Void>])>((0, [:]))

    func latch(for count: Int) -> AsyncLatch<Void> {
        let latch = AsyncLatch<Void>()
        let reached = state.withLock { state -> Bool in
            state.latches[count] = latch
            return state.count >= count
        }
        if reached { latch.fulfill(()) }
        return latch
    }

    func add() {
        let latch = state.withLock { state -> AsyncLatch<Void>? in
            state.count += 1
            return state.latches.removeValue(forKey: state.count)
        }
        latch?.fulfill(())
    }
}
