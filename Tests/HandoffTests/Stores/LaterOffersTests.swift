import Foundation
import Testing
@testable import Handoff
@testable import HandoffEtcd
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations

/// An offer waiting for a label and key never refuses the next one: both stores keep both and
/// claim them oldest first.
@Suite("Later offers")
struct LaterOffersTests {
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

    @Test("DirectoryStore: a second and third offer are kept beside the first and claimed oldest first, a released one in its place")
    func directory() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        #expect(try await Self.offerThreeClaimAll(store) == ["one", "two", "three"])
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

    @Test("EtcdStore: a second and third offer are kept beside the first and claimed oldest first, a released one in its place")
    func etcd() async throws {
        let (store, server, prefix) = try await EtcdStoreTests.store()
        #expect(try await Self.offerThreeClaimAll(store) == ["one", "two", "three"])
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
