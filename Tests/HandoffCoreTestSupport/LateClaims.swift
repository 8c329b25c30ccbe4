#if DEBUG  // test support: built for the tests only (see Package.swift)
import Glibc
import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport

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

/// Running registries that follow a store's offers, for the late-claim tests of every store.
enum LateClaims {
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
}
#endif
