import FoundationEssentials
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// `inspect FILE…`: what an envelope file holds and whether it checks out.
enum InspectCommand {
    /// One file's findings.
    struct Finding {
        var file: String
        var size: Int
        var header: EnvelopeHeader?
        /// `nil`: the envelope checks out whole.
        var error: HandoffError?

        var verdict: String { error.map { "damaged: \($0)" } ?? "ok" }
    }

    static func run(_ arguments: CtlArguments) throws -> String {
        try arguments.check(allowed: [], operands: 1...Int.max)
        var findings: [Finding] = []
        for file in arguments.operands {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CtlFailure(status: .unavailable, message: "cannot read \(file)", json: ["ok": .bool(false), "file": .string(file), "error": .string("cannot read the file")])
            }
            findings.append(inspect(Array(data), file: file))
        }
        let output = arguments.json
            ? (findings.count == 1 ? json(findings[0]).text : JSONValue.array(findings.map(json)).text)
            : findings.map(text).joined(separator: "\n\n")
        if findings.contains(where: { $0.error != nil }) {
            throw CtlFailure(status: .failed, message: "", json: nil, output: output)
        }
        return output
    }

    static func inspect(_ bytes: [UInt8], file: String) -> Finding {
        var finding = Finding(file: file, size: bytes.count)
        do {
            finding.header = try EnvelopeHeader.decode(bytes[...]).0
            _ = try Envelope(decoding: bytes)
        } catch {
            finding.error = error as? HandoffError ?? HandoffError(.malformedPayload, "\(error)")
        }
        return finding
    }

    static func created(_ header: EnvelopeHeader) -> String {
        Date(timeIntervalSince1970: Double(header.createdAtNanoseconds) / 1e9).ISO8601Format()
    }

    static func text(_ finding: Finding) -> String {
        var lines = ["file      \(finding.file)", "verdict   \(finding.verdict)"]
        if let header = finding.header {
            lines += [
                "label     \(header.label)",
                "key       \(header.key.debugDescription)",
                "version   \(header.stateVersion) (readable by version \(header.oldestReaderVersion) and later)",
                "codec     \(header.codec)",
                "size      \(finding.size) bytes, payload \(header.payloadLength)",
                "checksum  header ok, " + (finding.error?.code == .checksumMismatch ? "envelope MISMATCH" : finding.error == nil ? "envelope ok" : "envelope not checked"),
                "producer  pid \(header.producer.pid) on \(header.producer.host)" + (header.producer.build.isEmpty ? "" : ", build \(header.producer.build)"),
                "created   \(created(header))",
            ]
        } else {
            lines.append("size      \(finding.size) bytes (no readable header)")
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ finding: Finding) -> JSONValue {
        var object: [String: JSONValue] = [
            "file": .string(finding.file),
            "ok": .bool(finding.error == nil),
            "size": .int(finding.size),
            "verdict": .string(finding.error?.code.name ?? "ok"),
            "reason": .optional(finding.error?.reason),
        ]
        if let header = finding.header {
            object["label"] = .string(header.label)
            object["key"] = .string(header.key)
            object["version"] = .int(header.stateVersion)
            object["oldestReaderVersion"] = .int(header.oldestReaderVersion)
            object["codec"] = .string("\(header.codec)")
            object["payloadLength"] = .int(header.payloadLength)
            object["producer"] = .object(["pid": .int(Int(header.producer.pid)), "host": .string(header.producer.host), "build": .string(header.producer.build)])
            object["createdAt"] = .string(created(header))
        }
        return .object(object)
    }
}
