import Foundation
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// `handoff-bench codec`: encodes and decodes an array of small records with
/// HandoffBinaryEncoder/Decoder, Foundation's JSONEncoder/Decoder and PropertyListEncoder/Decoder
/// (binary plist), and prints the best time of each over a few runs and our speed-up; and
/// through ``NullEncoder``/``NullDecoder``, which take the same `Codable` calls and do nothing,
/// so ours also shows as a multiple of that floor.
struct CodecBenchmark {
    /// A small record: three strings, three integers, a double, a short array.
    struct Record: Codable, Equatable {
        var name: String
        var email: String
        var region: String
        var id: Int
        var age: Int32
        var visits: UInt64
        var balance: Double
        var recent: [Int]
    }

    var count = 200_000
    var runs = 5
    /// Only our codec, no baselines: for profiling (`perf record -e cpu-clock`).
    var oursOnly = false

    func run() throws {
        let records = (0..<count).map { index in
            Record(
                name: "user\(index)", email: "user\(index)@example.com", region: "region-\(index % 17)",
                id: index, age: Int32(18 + index % 70), visits: UInt64(index) * 7_919,
                balance: Double(index) * 1.25 - 1_000, recent: [index, index * 3, -index, 42])
        }

        let binaryEncoder = HandoffBinaryEncoder()
        let binaryDecoder = HandoffBinaryDecoder()
        let ours = try measure(
            encode: { try binaryEncoder.encode(records) },
            decode: { try binaryDecoder.decode([Record].self, from: $0) },
            check: records)
        if oursOnly {
            say("codec: \(count) records, ours only: encode \(format(ours.encode)) ms, decode \(format(ours.decode)) ms, \(ours.bytes) bytes")
            return
        }

        let floor = try measureFloor(records)

        let jsonEncoder = JSONEncoder()
        let jsonDecoder = JSONDecoder()
        let json = try measure(
            encode: { Array(try jsonEncoder.encode(records)) },
            decode: { try jsonDecoder.decode([Record].self, from: Data($0)) },
            check: records)

        let plistEncoder = PropertyListEncoder()
        plistEncoder.outputFormat = .binary
        let plistDecoder = PropertyListDecoder()
        let plist = try measure(
            encode: { Array(try plistEncoder.encode(records)) },
            decode: { try plistDecoder.decode([Record].self, from: Data($0)) },
            check: records)

        say("codec: \(count) records, best of \(runs) runs, release build")
        say(row("codec", "encode ms", "decode ms", "bytes"))
        say(row("HandoffBinary", format(ours.encode), format(ours.decode), "\(ours.bytes)"))
        say(row("do-nothing floor", format(floor.encode), format(floor.decode), "0"))
        say(row("JSON", format(json.encode), format(json.decode), "\(json.bytes)"))
        say(row("plist (binary)", format(plist.encode), format(plist.decode), "\(plist.bytes)"))
        say(row("ours / floor", ratio(ours.encode, floor.encode), ratio(ours.decode, floor.decode), ""))
        say(row("JSON / ours", ratio(json.encode, ours.encode), ratio(json.decode, ours.decode), ""))
        say(row("plist / ours", ratio(plist.encode, ours.encode), ratio(plist.decode, ours.decode), ""))
    }

    private struct Result {
        var encode: Duration
        var decode: Duration
        var bytes: Int
    }

    /// Best encode and decode times over `runs`; fails unless the value round-trips.
    private func measure(
        encode: () throws -> [UInt8], decode: ([UInt8]) throws -> [Record], check: [Record]
    ) throws -> Result {
        let clock = ContinuousClock()
        var best = Result(encode: .seconds(1_000), decode: .seconds(1_000), bytes: 0)
        for _ in 0..<runs {
            var bytes: [UInt8] = []
            best.encode = min(best.encode, try clock.measure { bytes = try encode() })
            var decoded: [Record] = []
            best.decode = min(best.decode, try clock.measure { decoded = try decode(bytes) })
            guard decoded == check else { throw HandoffError(.codingFailed, "benchmark records did not round-trip") }
            best.bytes = bytes.count
        }
        return best
    }

    /// Best times of the do-nothing coder over `runs`, through the same `Codable` calls; the
    /// decoded records must be as many as the originals.
    private func measureFloor(_ records: [Record]) throws -> Result {
        let clock = ContinuousClock()
        var best = Result(encode: .seconds(1_000), decode: .seconds(1_000), bytes: 0)
        for _ in 0..<runs {
            best.encode = min(best.encode, try clock.measure { try NullEncoder().encode(records) })
            var decoded: [Record] = []
            best.decode = min(best.decode, try clock.measure {
                decoded = try NullDecoder(count: count, nestedCount: 4).decode([Record].self)
            })
            guard decoded.count == count else { throw HandoffError(.codingFailed, "the floor decoded \(decoded.count) records, not \(count)") }
        }
        return best
    }

    private func format(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1e3)
    }

    private func ratio(_ theirs: Duration, _ ours: Duration) -> String {
        String(format: "%.1f×", theirs / ours)
    }

    private func row(_ name: String, _ encode: String, _ decode: String, _ bytes: String) -> String {
        name.padding(toLength: 16, withPad: " ", startingAt: 0)
            + String(repeating: " ", count: max(0, 11 - encode.count)) + encode
            + String(repeating: " ", count: max(0, 11 - decode.count)) + decode
            + String(repeating: " ", count: max(0, 11 - bytes.count)) + bytes
    }
}
