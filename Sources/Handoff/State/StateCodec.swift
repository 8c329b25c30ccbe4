#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HandoffSystem

/// Encodes and decodes state payloads in the codec an envelope names.
package enum StateCodec {
    package static func encode<T: Encodable>(_ value: T, codec: HandoffCodec) throws -> [UInt8] {
        do {
            switch codec {
            case .binary: return try HandoffBinaryEncoder().encode(value)
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                return Array(try encoder.encode(value))
            }
        } catch let error as HandoffError {
            throw error
        } catch {
            throw HandoffError(.codingFailed, "encoding \(T.self) as \(codec): \(error)")
        }
    }

    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], codec: HandoffCodec) throws -> T {
        do {
            switch codec {
            case .binary: return try HandoffBinaryDecoder().decode(type, from: bytes)
            case .json: return try JSONDecoder().decode(type, from: Data(bytes))
            }
        } catch let error as HandoffError {
            throw error
        } catch {
            throw HandoffError(.codingFailed, "decoding \(T.self) from \(codec): \(error)")
        }
    }
}
