import Handoff
import HandoffSystem

/// Writes log lines to standard error, as text or as JSON lines, each with one `write(2)` so
/// that lines from several threads never interleave.
///
/// ```
/// 2025-01-31T12:00:00.123Z info service running service=http
/// {"time":"2025-01-31T12:00:00.123Z","level":"info","message":"service running","service":"http"}
/// ```
public struct StderrLogWriter: HandoffLogger {
    /// Text or JSON lines.
    public var format: HandoffLogFormat
    /// Messages below this level are dropped.
    public var minimumLevel: HandoffLogLevel
    /// The descriptor written to (2, standard error).
    public var descriptor: Int32 = 2

    /// Creates a writer.
    /// - Parameters:
    ///   - format: Text (default) or JSON lines.
    ///   - minimumLevel: The least important level written (default `info`).
    public init(format: HandoffLogFormat = .text, minimumLevel: HandoffLogLevel = .info) {
        self.format = format
        self.minimumLevel = minimumLevel
    }

    public func log(_ level: HandoffLogLevel, _ message: String, metadata: [String: String]) {
        guard level >= minimumLevel else { return }
        let line = render(level, message, metadata: metadata, time: Self.timestamp())
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        // One write(2) as a rule; a failure is dropped: there is nowhere to report it.
        try? Syscall.writeAll(descriptor, bytes)
    }

    /// The line for one message, without its newline.
    package func render(_ level: HandoffLogLevel, _ message: String, metadata: [String: String], time: String) -> String {
        let keys = metadata.keys.sorted()
        switch format {
        case .text:
            var line = "\(time) \(level.rawValue) \(message)"
            for key in keys { line += " \(key)=\(Self.textValue(metadata[key]!))" }
            return line
        case .json:
            var line = "{\"time\":\(JSONText.string(time)),\"level\":\(JSONText.string(level.rawValue)),\"message\":\(JSONText.string(message))"
            for key in keys where !["time", "level", "message"].contains(key) {
                line += ",\(JSONText.string(key)):\(JSONText.string(metadata[key]!))"
            }
            return line + "}"
        }
    }

    /// A value as is, or quoted if it holds a space, a quote or a control character.
    static func textValue(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0.value != 0x7F }
        return plain ? value : JSONText.string(value)
    }

    /// Now, as RFC 3339 UTC with milliseconds.
    static func timestamp() -> String {
        let now = SystemClock.utc(SystemClock.realtimeNanoseconds())
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(now.year, 4))-\(pad(now.month, 2))-\(pad(now.day, 2))T\(pad(now.hour, 2)):\(pad(now.minute, 2)):\(pad(now.second, 2)).\(pad(now.millisecond, 3))Z"
    }
}
