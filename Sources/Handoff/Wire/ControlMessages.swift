import HandoffSystem
/// `HELLO`: the child introduces itself.
struct HelloMessage: Equatable {
    var pid: Int32
    var buildID: String

    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.u32(UInt32(bitPattern: pid))
        writer.string(buildID)
        return writer.bytes
    }

    init(pid: Int32, buildID: String) {
        self.pid = pid
        self.buildID = buildID
    }

    init(decoding payload: [UInt8]) throws(HandoffError) {
        var reader = ByteReader(payload, what: "HELLO")
        pid = Int32(bitPattern: try reader.u32("pid"))
        buildID = try reader.string("build id")
        try reader.expectEnd()
    }
}

/// One named descriptor as it travels in an `FDS` frame; the descriptor itself rides as
/// `SCM_RIGHTS` in the same message, in the same order as the records.
package struct DescriptorRecord: Equatable, Sendable {
    package var name: String
    package var kind: DescriptorKind
    /// The address as the application asked for it (the key a successor looks it up by).
    package var address: String
    /// For connections: bytes read but not yet handled.
    var extra: [UInt8]

    /// The most records one `FDS` frame carries: one `sendmsg` worth of descriptors.
    static let maxPerFrame = 252

    static func encode(_ records: some Collection<DescriptorRecord>) -> [UInt8] {
        var writer = ByteWriter(capacity: records.count * 48)
        writer.u16(UInt16(records.count))
        for record in records {
            writer.u8(record.kind.rawValue)
            writer.string(record.name)
            writer.string(record.address)
            writer.data(record.extra)
        }
        return writer.bytes
    }

    static func decode(_ payload: [UInt8], maxExtra: Int) throws(HandoffError) -> [DescriptorRecord] {
        var reader = ByteReader(payload, what: "FDS")
        let count = Int(try reader.u16("count"))
        if count == 0 || count > maxPerFrame {
            throw reader.fail("announces \(count) descriptors; a frame carries 1 to \(maxPerFrame)")
        }
        var records: [DescriptorRecord] = []
        records.reserveCapacity(count)
        for index in 0..<count {
            reader.item = ("entry", index)
            let rawKind = try reader.u8("kind")
            guard let kind = DescriptorKind(rawValue: rawKind) else { throw reader.fail("kind \(rawKind) is not known") }
            let name = try reader.string("name")
            if name.isEmpty { throw reader.fail("name is empty") }
            let address = try reader.string("address")
            let extra = Array(try reader.data("unread bytes", limit: maxExtra))
            records.append(DescriptorRecord(name: name, kind: kind, address: address, extra: extra))
        }
        try reader.expectEnd()
        return records
    }
}

/// `NACK` and `ABORT`: a reason in words.
package enum ReasonMessage {
    package static func encode(_ reason: String) -> [UInt8] {
        var writer = ByteWriter()
        writer.string(String(decoding: reason.utf8.prefix(4096), as: UTF8.self))
        return writer.bytes
    }

    package static func decode(_ payload: [UInt8], what: String) throws(HandoffError) -> String {
        var reader = ByteReader(payload, what: what)
        let reason = try reader.string("reason")
        try reader.expectEnd()
        return reason
    }
}
