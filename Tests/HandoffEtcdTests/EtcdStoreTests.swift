import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// An etcd store against a real etcd (shared by these tests; each has a key prefix of its own).
@Suite("EtcdStore", .offCooperativePool)
struct EtcdStoreTests {
    /// A store on the shared server under a fresh prefix.
    static func store(_ adjust: (inout EtcdConfiguration) -> Void = { _ in }) async throws -> (EtcdStore, EtcdTestServer, String) {
        let server = try await EtcdTestServer.shared()
        let prefix = "/test-\(UUID().uuidString.prefix(8))"
        var configuration = EtcdConfiguration(endpoints: [server.endpoint])
        configuration.keyPrefix = prefix
        adjust(&configuration)
        return (try EtcdStore(configuration: configuration), server, prefix)
    }

    @Test("an offer is claimed once and committed, leaving no key; a second claim gets nothing")
    func roundTrip() async throws {
        let (store, server, prefix) = try await Self.store()
        let envelope = storeEnvelope(text: "state one")
        try await store.offer(envelope, ttl: .seconds(60))
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/") == ["\(prefix)/offers/sessions/eu-1"])
        let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(claim.envelope == envelope)
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/") == ["\(prefix)/offers/sessions/eu-1", "\(prefix)/offers/sessions/eu-1/claim"])
        #expect(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        try await store.commit(claim)
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/").isEmpty)
        #expect(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        // With the first one gone, the label and key can be offered again; any string is a key.
        try await store.offer(storeEnvelope(key: "a/b%c", text: "state two"), ttl: nil)
        #expect(try await store.claim(label: "sessions", key: "a/b%c", readerVersion: 1)?.envelope.payload == Array("state two".utf8))
    }

    @Test("an endpoint that refuses connections is passed over for the next one; with none left, storeUnreachable")
    func failover() async throws {
        let dead = "http://127.0.0.1:\(try Client.freePort())"
        let (store, _, _) = try await Self.store { $0.endpoints.insert(dead, at: 0) }
        try await store.offer(storeEnvelope(text: "via the second"), ttl: nil)
        let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(claim.envelope.payload == Array("via the second".utf8))
        try await store.commit(claim)
        let (alone, _, _) = try await Self.store { $0.endpoints = [dead] }
        await #expect { try await alone.offer(storeEnvelope(), ttl: nil) } throws: { error in
            let error = error as? HandoffError
            return error?.code == .storeUnreachable && error?.reason.contains("Connection refused") == true
        }
    }

    @Test("a released claim can be claimed again, and a commit after the release is claimLost")
    func releaseThenCommit() async throws {
        let (store, _, _) = try await Self.store()
        try await store.offer(storeEnvelope(), ttl: nil)
        let first = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        try await store.release(first)
        let second = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(second.envelope == first.envelope)
        #expect(second.token != first.token)
        await #expect { try await store.commit(first) } throws: { ($0 as? HandoffError)?.code == .claimLost }
        await #expect { try await store.release(first) } throws: { ($0 as? HandoffError)?.code == .claimLost }
        try await store.commit(second)
        await #expect { try await store.commit(second) } throws: { ($0 as? HandoffError)?.code == .claimLost }
    }

    @Test("an offer with a newer version is refused with newerVersion, untaken, and claimed by a reader that knows it")
    func newerVersionStays() async throws {
        let (store, server, prefix) = try await Self.store()
        try await store.offer(storeEnvelope(stateVersion: 5, oldestReaderVersion: 4), ttl: nil)
        await #expect { _ = try await store.claim(label: "sessions", key: "eu-1", readerVersion: 3) } throws: {
            ($0 as? HandoffError)?.code == .newerVersion
        }
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/") == ["\(prefix)/offers/sessions/eu-1"])
        let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 4))
        #expect(claim.envelope.header.stateVersion == 5)
        try await store.commit(claim)
    }

    @Test("5 MiB of state goes in CRC-checked chunks and comes back whole; commit removes every chunk; 1 MiB goes whole")
    func largeState() async throws {
        let (store, server, prefix) = try await Self.store()
        let mebibyte = Envelope(header: storeEnvelope(key: "one").header, payload: [UInt8](repeating: 9, count: 1 << 20))
        try await store.offer(mebibyte, ttl: nil)
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/") == ["\(prefix)/offers/sessions/one"])
        let whole = try #require(try await store.claim(label: "sessions", key: "one", readerVersion: 1))
        #expect(whole.envelope == mebibyte)
        try await store.commit(whole)

        var bytes = [UInt8](repeating: 0, count: 5 << 20)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 13) }
        let envelope = Envelope(header: storeEnvelope().header, payload: bytes)
        try await store.offer(envelope, ttl: .seconds(60))
        let keys = try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/")
        #expect(keys.filter { $0.hasPrefix("\(prefix)/chunks/sessions/eu-1/") }.count == 6)  // 5 MiB + header: 6 chunks of 1 MiB
        #expect(keys.contains("\(prefix)/offers/sessions/eu-1"))

        let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(claim.envelope == envelope)
        try await store.commit(claim)
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/").isEmpty)
    }

    @Test("a damaged chunk is refused with checksumMismatch, and the offer stays claimable")
    func damagedChunk() async throws {
        let (store, server, prefix) = try await Self.store()
        let envelope = Envelope(header: storeEnvelope().header, payload: [UInt8](repeating: 7, count: 3 << 20 / 2))
        try await store.offer(envelope, ttl: nil)
        let chunk = try #require(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/chunks/").last)
        let damaged = Data([UInt8](repeating: 8, count: 100) + [0, 0, 0, 0]).base64EncodedString()
        let put = try await EtcdHTTP.post(server.endpoint, "/v3/kv/put", #"{"key":"\#(EtcdHTTP.base64(chunk))","value":"\#(damaged)"}"#)
        #expect(put.status == 200)
        await #expect { _ = try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) } throws: { error in
            let error = error as? HandoffError
            return error?.code == .checksumMismatch && error?.reason.contains("stays offered") == true
        }
        // Given back: claimable (and refused) again, not held by a claim.
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/offers/") == ["\(prefix)/offers/sessions/eu-1"])
    }

    @Test("state over the configured maximum is refused at offer time with envelopeTooLarge, and nothing is written")
    func tooLarge() async throws {
        let (store, server, prefix) = try await Self.store { $0.maxStateSize = 2 << 20 }
        let envelope = Envelope(header: storeEnvelope().header, payload: [UInt8](repeating: 1, count: 3 << 20))
        await #expect { try await store.offer(envelope, ttl: nil) } throws: { error in
            let error = error as? HandoffError
            return error?.code == .envelopeTooLarge && error?.reason.contains("maxStateSize") == true
        }
        await #expect { try await store.offer(storeEnvelope(key: String(repeating: "k", count: 20_000)), ttl: nil) } throws: {
            ($0 as? HandoffError)?.code == .invalidArgument
        }
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/").isEmpty)
    }

    @Test("32 concurrent claimers over 100 offers: every offer is claimed exactly once", .timeLimit(.minutes(1)))
    func concurrentClaimers() async throws {
        let (offerer, server, prefix) = try await Self.store()
        for index in 0..<100 {
            try await offerer.offer(storeEnvelope(key: "k\(index)", text: "offer \(index)"), ttl: .seconds(60))
        }
        var configuration = EtcdConfiguration(endpoints: [server.endpoint])
        configuration.keyPrefix = prefix
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for claimer in 0..<32 {
                let store = try EtcdStore(configuration: configuration)  // each its own lease
                group.addTask {
                    var mine: [String] = []
                    // Claimer c tries keys 3c ..< 3c + 25: together they cover every key, most of
                    // them tried by about eight claimers.
                    for step in 0..<25 {
                        let index = (claimer * 3 + step) % 100
                        guard let claim = try await store.claim(label: "sessions", key: "k\(index)", readerVersion: 1) else { continue }
                        #expect(claim.envelope.payload == Array("offer \(index)".utf8))
                        try await store.commit(claim)
                        mine.append(claim.envelope.header.key)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == 100, "double claims: \(claimed.count - Set(claimed).count)")
        #expect(Set(claimed) == Set((0..<100).map { "k\($0)" }))
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/").isEmpty)
    }

    @Test("a claimer fenced out (its lease gone) cannot commit late: claimLost, and the new claimer commits")
    func fencedOutCommit() async throws {
        let (first, server, prefix) = try await Self.store()
        let (second, _, _) = try await Self.store { $0.keyPrefix = prefix }
        try await first.offer(storeEnvelope(text: "fenced"), ttl: nil)
        let stale = try #require(try await first.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        // The claimer's lease ends (as when its keepalives stop getting through).
        let lease = try #require(EtcdClaimToken(parsing: stale.token)?.lease)
        #expect(try await EtcdHTTP.post(server.endpoint, "/v3/lease/revoke", #"{"ID":"\#(lease)"}"#).status == 200)

        let fresh = try #require(try await second.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        await #expect { try await first.commit(stale) } throws: { ($0 as? HandoffError)?.code == .claimLost }
        await #expect { try await first.release(stale) } throws: { ($0 as? HandoffError)?.code == .claimLost }
        try await second.commit(fresh)
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/").isEmpty)
        // The first store gets a new lease for its next claim.
        try await first.offer(storeEnvelope(text: "again"), ttl: nil)
        let again = try #require(try await first.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        try await first.commit(again)
    }

    @Test("offers(label:) reports offers there at the start, new ones, and released ones, not other labels", .timeLimit(.minutes(1)))
    func notifications() async throws {
        let (store, _, _) = try await Self.store()
        try await store.offer(storeEnvelope(key: "before"), ttl: nil)
        let stream = store.offers(label: "sessions")
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next()?.key == "before")
        try await store.offer(storeEnvelope(label: "other", key: "x"), ttl: nil)
        try await store.offer(storeEnvelope(key: "after"), ttl: nil)
        #expect(await iterator.next()?.key == "after")
        let claim = try #require(try await store.claim(label: "sessions", key: "after", readerVersion: 1))
        try await store.release(claim)
        #expect(await iterator.next()?.key == "after")
        let again = try #require(try await store.claim(label: "sessions", key: "after", readerVersion: 1))
        try await store.commit(again)  // a commit is no notification
        try await store.offer(storeEnvelope(key: "last"), ttl: nil)
        #expect(await iterator.next()?.key == "last")
    }
}
