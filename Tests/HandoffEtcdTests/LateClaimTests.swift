import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// Running registries that follow a store's offers: each offer is merged by exactly one.
@Suite("Late claims", .timeLimit(.minutes(2)), .offCooperativePool)
struct LateClaimTests {
    @Test("three running processes follow one etcd store: each of 100 offers is merged by exactly one of them")
    func etcdExactlyOnce() async throws {
        let (store, server, prefix) = try await EtcdStoreTests.store()
        let tallies = try await LateClaims.followers(on: store, rounds: 100)
        #expect(tallies.reduce(0, +) == 100, "\(tallies)")
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/").isEmpty)
    }
}
