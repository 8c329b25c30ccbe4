// Seed inputs for the fuzz targets, written by `Scripts/fuzz/run.sh --seeds` into
// Fixtures/fuzz/<target>/: valid inputs of every kind the decoders meet, which the fuzzer
// mutates from.
@testable import Handoff
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

enum FuzzSeeds {
    static func all() throws -> [String: [[UInt8]]] {
        let leaf = FuzzLeaf(key: "a", values: [1, 300, 65535], child: [FuzzLeaf(key: "b", values: [], child: nil)])
        let values = [
            FuzzValue(id: -5, name: "seed", flags: [true, false], kind: .named("x"), table: [1: "one", -2: "minus two"],
                      blob: Data([0, 1, 2, 255]), when: Date(timeIntervalSinceReferenceDate: 12.5),
                      link: URL(string: "https://example.com/a?b=c"), leaves: [leaf], ratio: 0.25),
            FuzzValue(id: Int64.max, name: nil, flags: [], kind: .pair(7, nil), table: [:], blob: Data(),
                      when: Date(timeIntervalSinceReferenceDate: -1), link: nil, leaves: [], ratio: -.infinity),
            FuzzValue(id: 0, name: "", flags: [true], kind: .nested(inner: [leaf, leaf]), table: [0: ""], blob: Data(repeating: 7, count: 40),
                      when: Date(timeIntervalSinceReferenceDate: 0), link: URL(string: "file:///tmp/x"), leaves: [leaf], ratio: .nan),
        ]
        let header = EnvelopeHeader(
            label: "counter", key: "eu-1", stateVersion: 3, oldestReaderVersion: 2, codec: .binary,
            createdAtNanoseconds: 1_700_000_000_000_000_000, producer: Envelope.Producer(pid: 42, host: "h", build: "b7"))
        let records = [DescriptorRecord(name: "main", kind: .listener, address: "127.0.0.1:8080", extra: []),
                       DescriptorRecord(name: "connection-0", kind: .connection, address: "", extra: Array("GET / HT".utf8))]
        return [
            "frame": [
                Frame(.hello, payload: HelloMessage(pid: 1234, buildID: "b7").encoded()).encoded(),
                Frame(.fds, payload: DescriptorRecord.encode(records)).encoded(),
                Frame(.fdsEnd).encoded() + Frame(.ready).encoded(),
                Frame(.state, flags: 1, payload: Array(repeating: 0xAB, count: 64)).encoded() + Frame(.stateEnd).encoded(),
                Frame(.nack, payload: ReasonMessage.encode("refused")).encoded(),
            ],
            "envelope": [
                Envelope(header: header, payload: Array("state".utf8)).encoded(),
                Envelope(header: header, payload: try HandoffBinaryEncoder().encode(values[0])).encoded(),
            ],
            "codec": try values.map { try HandoffBinaryEncoder().encode($0) },
            "http": [
                "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                "PUT /kv/key HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
                "GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /ready HTTP/1.1\r\n\r\n",
                "POST /jobs HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            ].map { Array($0.utf8) },
            "etcd": [
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 94\r\n\r\n{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"42\",\"raft_term\":\"3\"},\"count\":\"0\"}",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2c\r\n{\"header\":{\"revision\":\"7\"},\"succeeded\":true}\r\n0\r\nGrpc-Status: 0\r\n\r\n",
                "HTTP/1.1 404 Not Found\r\nContent-Length: 61\r\n\r\n{\"error\":\"etcdserver: requested lease not found\",\"code\":5}",
                "{\"result\":{\"header\":{\"revision\":\"9\"},\"created\":true,\"events\":[{\"kv\":{\"key\":\"L2EvYg==\",\"value\":\"AA==\",\"mod_revision\":\"9\"}}]}}",
                "{\"header\":{\"revision\":\"5\"},\"ID\":\"7587863219932135433\",\"TTL\":\"10\"}",
            ].map { Array($0.utf8) },
        ]
    }
}
