// The fuzz targets: what each decoder must do with arbitrary bytes. Compiled twice: into the
// test target (FuzzReplayTests replays the seed corpora and every input a fuzzer ever crashed,
// Fixtures/fuzz/), and by Scripts/fuzz/run.sh into the libFuzzer binary, against the library
// modules imported below (and HandoffServices, which HandoffOperations needs) built with coverage
// and AddressSanitizer. Import no test-support module here: the fuzz build has none.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffOperations
@testable import HandoffEtcd
#endif

enum FuzzTargets {
    /// The targets by name, as `HANDOFF_FUZZ_TARGET` and the corpus folders name them.
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "frame": frame, "envelope": envelope, "codec": codec, "http": http, "etcd": etcd,
        "http-server": httpServer,
    ]

    /// A violated invariant: a crash, for the fuzzer.
    static func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("fuzz invariant: \(message())") }
    }

    /// The control channel's frame decoder, fed in two pieces: every frame it returns encodes
    /// back to the very bytes it was decoded from, and after an error it stays failed.
    static func frame(_ bytes: [UInt8]) {
        var decoder = FrameDecoder(maxPayloadLength: 1 << 16)
        let split = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        var consumed = 0
        for piece in [bytes[..<split], bytes[split...]] {
            decoder.append(piece)
            do {
                while let frame = try decoder.next() {
                    let encoded = frame.encoded()
                    check(Array(bytes[consumed..<min(bytes.count, consumed + encoded.count)]) == encoded,
                          "a decoded frame does not re-encode to its bytes")
                    consumed += encoded.count
                }
            } catch {
                check((try? decoder.next()) == nil, "the decoder recovered after an error")
                return
            }
        }
    }

    /// The envelope: a decoded envelope re-encodes to the same bytes; a header that decodes on
    /// its own agrees with the whole envelope's.
    static func envelope(_ bytes: [UInt8]) {
        let header = try? EnvelopeHeader.decode(bytes[...], maxPayloadLength: 1 << 20)
        guard let envelope = try? Envelope(decoding: bytes, maxPayloadLength: 1 << 20) else { return }
        check(header?.0 == envelope.header, "the header alone and the whole envelope disagree")
        check(envelope.encoded() == bytes, "a decoded envelope does not re-encode to its bytes")
    }

    /// The binary Codable decoder into a nested type: whatever decodes re-encodes, and its
    /// encoding decodes again to a value that encodes to the same bytes (bytes, not `==`:
    /// a NaN is not equal to itself, but its bits survive).
    static func codec(_ bytes: [UInt8]) {
        guard let value = try? HandoffBinaryDecoder(maxDepth: 32).decode(FuzzValue.self, from: bytes) else { return }
        do {
            let encoded = try HandoffBinaryEncoder().encode(value)
            let again = try HandoffBinaryDecoder().decode(FuzzValue.self, from: encoded)
            check(try HandoffBinaryEncoder().encode(again) == encoded, "a decoded value does not survive a round trip")
        } catch {
            check(false, "a decoded value does not round-trip: \(error)")
        }
    }

    /// The HTTP/1.1 request parser: a request it accepts lies within the bytes, and every
    /// prefix of it is incomplete or (for the head) the same verdict.
    static func http(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            switch HTTPRequestParser.parse(buffer) {
            case .request(_, let length):
                check(length > 0 && length <= bytes.count, "a request of \(length) bytes in \(bytes.count)")
                let shorter = UnsafeRawBufferPointer(rebasing: buffer[..<(length - 1)])
                if case .request = HTTPRequestParser.parse(shorter) {
                    check(false, "a request one byte shorter parses whole")
                }
            case .incomplete, .invalid:
                break
            }
        }
    }
}

extension FuzzTargets {
    /// What the etcd store reads from a server: an HTTP/1.1 answer (status line, headers,
    /// `Content-Length`, chunked or to-the-end body) over a real socket, then the gateway's
    /// JSON in it and an offer's value. Nothing may trap, and no body may come out longer than
    /// the bytes that went in.
    static func etcd(_ bytes: [UInt8]) {
        let input = Array(bytes.prefix(60_000))  // what one socket buffer takes without a reader
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else { return }
        _ = input.withUnsafeBytes { send(pair[1], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(pair[1])
        let connection = EtcdHTTPConnection(fd: pair[0], endpoint: EtcdEndpoint(URL(string: "http://fuzz:2379")!)!)
        var body: [UInt8] = []
        if let head = try? connection.readHead() {
            try? connection.readBody(head) { body += $0 }
            check(body.count <= input.count, "a body of \(body.count) bytes out of \(input.count)")
        }
        for data in [Data(input), Data(body)] {
            _ = try? EtcdClient.decode(EtcdRangeResponse.self, from: data)
            _ = try? EtcdClient.decode(EtcdTxnResponse.self, from: data)
            _ = try? EtcdClient.decode(EtcdLeaseResponse.self, from: data)
            _ = try? EtcdClient.decode(EtcdStreamMessage<EtcdWatchResponse>.self, from: data)
            _ = try? EtcdOfferRecord(decoding: data, what: "fuzz")
        }
    }
}

/// The nested type the codec target decodes into: every shape the codec writes.
struct FuzzValue: Codable, Equatable {
    enum Kind: Codable, Equatable {
        case empty
        case named(String)
        case pair(Int, Double?)
        case nested(inner: [FuzzLeaf])
    }

    var id: Int64
    var name: String?
    var flags: [Bool]
    var kind: Kind
    var table: [Int: String]
    var blob: Data
    var when: Date
    var link: URL?
    var leaves: [FuzzLeaf]
    var ratio: Float
}

struct FuzzLeaf: Codable, Equatable {
    var key: String
    var values: [UInt16]
    var child: [FuzzLeaf]?
}
