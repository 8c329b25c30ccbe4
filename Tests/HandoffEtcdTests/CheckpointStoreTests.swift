import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// Crash-durable checkpoints in a store: owned by the live process, claimable exactly once when
/// it is gone.
@Suite("Checkpoints in a store", .timeLimit(.minutes(1)), .offCooperativePool)
struct CheckpointStoreTests {
    @Test("etcd: a live holder's checkpoint cannot be claimed; once its owner lease is gone it is claimed exactly once")
    func etcd() async throws {
        let (holder, server, prefix) = try await EtcdStoreTests.store()
        var configuration = EtcdConfiguration(endpoints: [server.endpoint])
        configuration.keyPrefix = prefix
        let claimer = try EtcdStore(configuration: configuration)
        try await holder.checkpoint(storeEnvelope(text: "first"))
        try await holder.checkpoint(storeEnvelope(text: "last"))
        #expect(try await claimer.claimCheckpoint(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        #expect(try await holder.claimCheckpoint(label: "sessions", key: "eu-1", readerVersion: 1) == nil, "not even by itself")
        // The holder dies: its owner lease goes (revoked here, as its expiry would).
        try await holder.client.revokeLease(try #require(holder.ownerLeaseID.withLock { $0 }))
        let claim = try #require(try await claimer.claimCheckpoint(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(claim.envelope.payload == Array("last".utf8))
        let other = try EtcdStore(configuration: configuration)
        #expect(try await other.claimCheckpoint(label: "sessions", key: "eu-1", readerVersion: 1) == nil, "claimed already")
        try await claimer.commit(claim)
        #expect(try await other.claimCheckpoint(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/checkpoints/").isEmpty)
    }
}
