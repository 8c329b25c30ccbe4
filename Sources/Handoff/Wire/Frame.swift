import HandoffSystem
/// The kind of a control-channel frame.
package enum FrameType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Child → parent: `pid, build id`; the first frame.
    case hello = 1
    /// Parent → child: a batch of named descriptors; the descriptors ride along as `SCM_RIGHTS`.
    case fds = 2
    /// Parent → child: the last inherited descriptor has been sent.
    case fdsEnd = 3
    /// Child → parent: the child serves on the inherited listeners.
    case ready = 4
    /// Parent → child: a chunk of handoff state.
    case state = 5
    /// Parent → child: the handover (connections and state) is complete.
    case stateEnd = 6
    /// Child → parent: the handover was applied; the child takes over.
    case ack = 7
    /// Child → parent: the handover was refused, with a reason.
    case nack = 8
    /// Either way: the sender gives up on this upgrade, with a reason.
    case abort = 9
    /// Parent → child: the `ACK` was taken; the child owns the state and may serve. The parent
    /// rolls back no more.
    case commit = 10
    /// Operator → process, on the control socket: one request (``ControlRequest``, JSON).
    case controlRequest = 11
    /// Process → operator, on the control socket: the answer (``ControlResponse``, JSON).
    case controlResponse = 12

    package var description: String {
        switch self {
        case .hello: "HELLO"
        case .fds: "FDS"
        case .fdsEnd: "FDS_END"
        case .ready: "READY"
        case .state: "STATE"
        case .stateEnd: "STATE_END"
        case .ack: "ACK"
        case .nack: "NACK"
        case .abort: "ABORT"
        case .commit: "COMMIT"
        case .controlRequest: "CONTROL_REQUEST"
        case .controlResponse: "CONTROL_RESPONSE"
        }
    }
}

/// One frame of the control channel.
///
/// On the wire: `"HOFF" | version u8 | type u8 | flags u16 | length u32 | payload | crc32c u32`,
/// integers big-endian, the checksum over everything before it.
package struct Frame: Sendable, Hashable {
    /// The protocol version this build speaks.
    package static let protocolVersion: UInt8 = 1
    /// `"HOFF"`.
    package static let magic: [UInt8] = Array("HOFF".utf8)
    /// Bytes before the payload.
    package static let headerLength = 12
    /// Bytes after the payload.
    package static let trailerLength = 4
    /// The default cap on a payload: 64 MiB.
    package static let defaultMaxPayloadLength = 64 << 20

    /// What the frame is.
    package var type: FrameType
    /// Reserved for per-type flags; zero today.
    package var flags: UInt16
    /// The frame's contents.
    package var payload: [UInt8]

    /// Creates a frame.
    package init(_ type: FrameType, flags: UInt16 = 0, payload: [UInt8] = []) {
        self.type = type
        self.flags = flags
        self.payload = payload
    }

    /// The frame as bytes on the wire.
    package func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Frame.headerLength + payload.count + Frame.trailerLength)
        writer.raw(Frame.magic)
        writer.u8(Frame.protocolVersion)
        writer.u8(type.rawValue)
        writer.u16(flags)
        writer.u32(UInt32(payload.count))
        writer.raw(payload)
        writer.u32(CRC32C.checksum(writer.bytes))
        return writer.bytes
    }
}
