import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// An offer waiting for a label and key never refuses the next one: both stores keep both and
/// claim them oldest first.
@Suite("Later offers", .offCooperativePool)
struct LaterOffersTests {
    @Test("EtcdStore: a second and third offer are kept beside the first and claimed oldest first, a released one in its place")
    func etcd() async throws {
        let (store, server, prefix) = try await EtcdStoreTests.store()
        #expect(try await LaterOffers.offerThreeClaimAll(store) == ["one", "two", "three"])
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/").isEmpty)
    }

    @Test("EtcdStore: a later offer of 3 MiB is chunked under its own slot and comes back whole")
    func etcdChunkedLater() async throws {
        let (store, server, prefix) = try await EtcdStoreTests.store()
        let big = String(repeating: "x", count: 3 << 20)
        try await store.offer(storeEnvelope(text: "small", createdAt: 1), ttl: .seconds(60))
        try await store.offer(storeEnvelope(text: big, createdAt: 2), ttl: .seconds(60))
        let first = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(first.envelope.payload == Array("small".utf8))
        try await store.commit(first)
        let second = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(second.envelope.payload.count == 3 << 20)
        try await store.commit(second)
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/").isEmpty)
    }
}
