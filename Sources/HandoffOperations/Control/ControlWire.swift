#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Handoff
import HandoffServices
import HandoffSystem

/// Control-socket messages in and out of frames: JSON payloads in the package's framing.
enum ControlWire {
    static func frame(_ request: ControlRequest) -> Frame {
        Frame(.controlRequest, payload: encode(request))
    }

    static func frame(_ response: ControlResponse) -> Frame {
        Frame(.controlResponse, payload: encode(response))
    }

    /// The payload of a frame of type `type`, decoded.
    /// - Throws: ``HandoffError/Code/unexpectedFrame`` for another frame type;
    ///   ``HandoffError/Code/malformedPayload`` naming what does not decode.
    static func decode<T: Decodable>(_ type: T.Type, from frame: Frame, expecting frameType: FrameType) throws(HandoffError) -> T {
        guard frame.type == frameType else {
            throw HandoffError(.unexpectedFrame, "a \(frame.type) frame arrived where \(frameType) was expected")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(frame.payload))
        } catch {
            throw HandoffError(.malformedPayload, "\(frameType) payload does not decode: \(error)")
        }
    }

    private static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Our own plain structs always encode.
        return (try? Array(encoder.encode(value))) ?? Array("{}".utf8)
    }
}
