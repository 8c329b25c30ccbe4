import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// What an etcd store writes and reads, without an etcd: the gateway's JSON, the key layout, the
/// offer record, store URLs.
@Suite("etcd formats", .offCooperativePool)
struct EtcdFormatTests {
    @Test("gateway JSON: left-out false and zero fields read as false and 0, int64s as strings or numbers, unknown fields ignored")
    func jsonQuirks() throws {
        let failed = #"{"header":{"cluster_id":"1","revision":"42","raft_term":"2","new_field":true},"responses":[{"response_put":{"header":{"revision":"42"}}}]}"#
        let txn = try JSONDecoder().decode(EtcdTxnResponse.self, from: Data(failed.utf8))
        #expect(txn.succeeded == false)
        #expect(txn.header.revision == 42)
        #expect(txn.kvs(at: 0).isEmpty)

        let range = #"{"header":{"revision":7},"responses":[{"response_range":{"kvs":[{"key":"YQ==","mod_revision":"9223372036854775807","value":"Yg=="}],"count":"1"}}],"succeeded":true}"#
        let read = try JSONDecoder().decode(EtcdTxnResponse.self, from: Data(range.utf8))
        #expect(read.succeeded)
        #expect(read.header.revision == 7)
        let kv = try #require(read.kvs(at: 0).first)
        #expect(kv.key == Data("a".utf8) && kv.value == Data("b".utf8))
        #expect(kv.modRevision == .max && kv.createRevision == 0 && kv.version == 0 && kv.lease == 0)

        let event = #"{"result":{"header":{"revision":"5"},"events":[{"kv":{"key":"YQ==","version":"1"}},{"type":"DELETE","kv":{"key":"YQ=="}}]}}"#
        let watch = try #require(try JSONDecoder().decode(EtcdStreamMessage<EtcdWatchResponse>.self, from: Data(event.utf8)).result)
        #expect(watch.events.map(\.isDelete) == [false, true])
        #expect(!watch.canceled && !watch.created && watch.compactRevision == 0)

        let keepalive = #"{"result":{"header":{"revision":"10"},"ID":"2324035516073945110"}}"#
        let lease = try #require(try JSONDecoder().decode(EtcdStreamMessage<EtcdLeaseResponse>.self, from: Data(keepalive.utf8)).result)
        #expect(lease.id == 2_324_035_516_073_945_110 && lease.ttlSeconds == 0)

        #expect(throws: DecodingError.self) { try JSONDecoder().decode(EtcdResponseHeader.self, from: Data(#"{"revision":"4x"}"#.utf8)) }
        // Written the other way: int64 as strings, false and zero left out.
        let put = String(decoding: try JSONEncoder().encode(EtcdPutRequest(key: Data("k".utf8), value: Data(), lease: 5)), as: UTF8.self)
        #expect(put.contains(#""lease":"5""#))
        let range0 = String(decoding: try JSONEncoder().encode(EtcdRangeRequest(key: Data("k".utf8))), as: UTF8.self)
        #expect(!range0.contains("keys_only") && !range0.contains("count_only"))
    }

    @Test("keys: labels and keys are percent-encoded, so none reaches into another's; prefix ends are the next key")
    func layout() {
        let layout = EtcdLayout(prefix: "/apps/x/")
        #expect(String(decoding: layout.offerKey(label: "sessions", key: "eu/1%"), as: UTF8.self) == "/apps/x/offers/sessions/eu%2F1%25")
        #expect(String(decoding: layout.claimKey(label: "s", key: ""), as: UTF8.self) == "/apps/x/offers/s//claim")
        #expect(layout.entry(layout.offerKey(label: "s", key: "a/claim"), label: "s") == .offer(key: "a/claim"))
        #expect(layout.entry(layout.claimKey(label: "s", key: "a/claim"), label: "s") == .claim(key: "a/claim"))
        #expect(layout.entry(layout.offerKey(label: "s", key: ""), label: "s") == .offer(key: ""))
        #expect(layout.entry(layout.offerKey(label: "st", key: "a"), label: "s") == nil)
        #expect(EtcdLayout.decode(EtcdLayout.encode("a/%\u{1}é")) == "a/%\u{1}é")
        #expect(EtcdLayout.prefixEnd(Data("ab".utf8)) == Data("ac".utf8))
        #expect(EtcdLayout.prefixEnd(Data([0x61, 0xFF])) == Data([0x62]))
        #expect(String(decoding: layout.chunkKey(label: "s", key: "k", offerID: "00ff", index: 12), as: UTF8.self) == "/apps/x/chunks/s/k/00ff/000012")
    }

    @Test("offer record: the header reads on its own; a chunk manifest that disagrees with its header is refused")
    func offerRecord() throws {
        let envelope = storeEnvelope(text: "inline")
        let inline = try EtcdOfferRecord(decoding: Data(envelope.encoded()), what: "s/k")
        #expect(inline.offerID == nil)
        #expect(try inline.envelope(chunks: [], what: "s/k") == envelope)

        let big = Envelope(header: envelope.header, payload: [UInt8](repeating: 3, count: 3 << 20))
        let bytes = big.encoded()
        let headerLength = try EnvelopeHeader.decode(bytes[...]).1
        let manifest = EtcdOfferRecord.Manifest(offerID: "0123456789abcdef", chunkCount: 4, envelopeLength: bytes.count)
        let value = EtcdOfferRecord.chunkedValue(headerBytes: bytes[..<headerLength], manifest: manifest)
        let chunked = try EtcdOfferRecord(decoding: value, what: "s/k")
        #expect(chunked.header == big.header)
        #expect(chunked.offerID == "0123456789abcdef")
        var wrong = Array(value)
        wrong[wrong.count - 10] ^= 1  // the envelope length
        #expect { _ = try EtcdOfferRecord(decoding: Data(wrong), what: "s/k") } throws: { ($0 as? HandoffError)?.code == .checksumMismatch }
        let short = EtcdOfferRecord.Manifest(offerID: "0123456789abcdef", chunkCount: 3, envelopeLength: bytes.count)
        let disagreeing = EtcdOfferRecord.chunkedValue(headerBytes: bytes[..<headerLength], manifest: short)
        #expect { _ = try EtcdOfferRecord(decoding: disagreeing, what: "s/k") } throws: { ($0 as? HandoffError)?.code == .malformedPayload }
        #expect { _ = try chunked.envelope(chunks: [], what: "s/k") } throws: { ($0 as? HandoffError)?.code == .truncatedEnvelope }
    }

    @Test("store URLs: etcd:// and etcds:// with several hosts, a prefix and credentials; bad ones refused with invalidArgument")
    func urls() throws {
        let plain = try EtcdConfiguration(parsing: "etcd://127.0.0.1:2379,[::1]:22379/apps/x")
        #expect(plain.endpoints == ["http://127.0.0.1:2379", "http://[::1]:22379"])
        #expect(plain.keyPrefix == "/apps/x")
        #expect(try plain.resolvedEndpoints().map(\.authority) == ["127.0.0.1:2379", "[::1]:22379"])
        let secure = try EtcdConfiguration(parsing: "etcds://app:p@ss@etcd.example:2379")
        #expect(secure.endpoints == ["https://etcd.example:2379"])
        #expect(secure.credentials == EtcdCredentials(user: "app", password: "p@ss"))
        #expect(secure.keyPrefix == "/handoff")
        for bad in ["http://x:1", "etcd://", "etcd://a:1,,b:2", "etcd://user@h:1"] {
            #expect { _ = try EtcdConfiguration(parsing: bad) } throws: { ($0 as? HandoffError)?.code == .invalidArgument }
        }
        var configuration = EtcdConfiguration(endpoints: ["127.0.0.1:2379"])
        configuration.claimTTL = .milliseconds(500)
        #expect { _ = try EtcdStore(configuration: configuration) } throws: { ($0 as? HandoffError)?.code == .invalidArgument }
    }
}
