import Handoff
import HandoffSystem
/// How important a log message is, least first.
public enum HandoffLogLevel: String, Sendable, Codable, CaseIterable, Comparable {
    /// Detail for debugging.
    case debug
    /// Normal operation: a service started, an upgrade finished.
    case info
    /// Something went wrong and was handled.
    case warn
    /// Something failed.
    case error

    public static func < (lhs: HandoffLogLevel, rhs: HandoffLogLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How a ``StderrLogWriter`` writes each line.
public enum HandoffLogFormat: String, Sendable, Codable, CaseIterable {
    /// `time level message key=value…`, for people.
    case text
    /// One JSON object per line, for log collectors.
    case json
}
