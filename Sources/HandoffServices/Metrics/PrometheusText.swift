import Handoff
import HandoffSystem
/// Writing the Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` lines
/// and one line per sample, with names checked and label values and help text escaped.
package enum PrometheusText {
    /// The content type of the format.
    package static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    static func isValidMetricName(_ name: String) -> Bool {
        isValidName(name, allowColon: true)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
    static func isValidLabelName(_ name: String) -> Bool {
        isValidName(name, allowColon: false) && !name.hasPrefix("__")
    }

    private static func isValidName(_ name: String, allowColon: Bool) -> Bool {
        guard let first = name.utf8.first else { return false }
        func isLetter(_ byte: UInt8) -> Bool {
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F || (allowColon && byte == 0x3A)
        }
        return isLetter(first) && name.utf8.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// A label value inside its double quotes: backslash, double quote and line feed escaped.
    static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Help text: backslash and line feed escaped.
    static func escapeHelp(_ text: String) -> String {
        text.replacingBackslashAndNewline()
    }

    /// A sample value: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Appends one metric family: its help, its type, and its samples.
    /// - Parameter samples: Label pairs (in order) and value, one per sample.
    package static func appendFamily(_ name: String, type: String, help: String, samples: [([(String, String)], Double)], into out: inout String) {
        if !help.isEmpty { out += "# HELP \(name) \(escapeHelp(help))\n" }
        out += "# TYPE \(name) \(type)\n"
        for (labels, value) in samples {
            out += name
            if !labels.isEmpty {
                out += "{"
                out += labels.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",")
                out += "}"
            }
            out += " \(format(value))\n"
        }
    }
}

extension String {
    fileprivate func replacingBackslashAndNewline() -> String {
        var out = ""
        for character in unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
