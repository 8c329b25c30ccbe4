import Handoff
import HandoffSystem
/// Where Handoff's lifecycle writes its log messages.
///
/// One method, so that bridging to any logging library takes a few lines (see
/// <doc:LoggingAndOptions> for swift-log). ``StderrLogWriter`` is the default.
///
/// The name is not `Logger`, so that it does not clash with swift-log's.
public protocol HandoffLogger: Sendable {
    /// Writes one message.
    /// - Parameters:
    ///   - level: How important it is.
    ///   - message: What happened.
    ///   - metadata: Context, such as `["service": "http"]`.
    func log(_ level: HandoffLogLevel, _ message: String, metadata: [String: String])
}
