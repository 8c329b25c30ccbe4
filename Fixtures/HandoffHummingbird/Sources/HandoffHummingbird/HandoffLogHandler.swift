import Handoff
import HandoffServices
import Logging

/// A ``HandoffLogger`` that writes to a swift-log `Logger`: Handoff's lifecycle messages go
/// wherever the application's logs go.
///
/// ```swift
/// var configuration = RunnerConfiguration()
/// configuration.logger = SwiftLogHandoffLogger(Logger(label: "handoff"))
/// ```
public struct SwiftLogHandoffLogger: HandoffLogger {
    /// The logger written to.
    public let logger: Logger

    /// - Parameter logger: The swift-log logger to write to.
    public init(_ logger: Logger) {
        self.logger = logger
    }

    /// Writes `message` at the matching swift-log level (`warn` → `warning`), with `metadata`.
    public func log(_ level: HandoffLogLevel, _ message: String, metadata: [String: String]) {
        let swiftLogLevel: Logger.Level =
            switch level {
            case .debug: .debug
            case .info: .info
            case .warn: .warning
            case .error: .error
            }
        logger.log(level: swiftLogLevel, "\(message)", metadata: metadata.mapValues { .string($0) })
    }
}
