import Handoff
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT (or other signals) delivered as an `AsyncStream` instead of killing the
/// process, through the library's ``TrappedSignals`` (a real handler, so none is lost).
final class TerminationSignals: Sendable {
    private let trapped: TrappedSignals

    /// The signals, in the order they arrive.
    var stream: AsyncStream<CInt> { trapped.stream }

    /// Starts trapping `signals`; one sent after this returns is delivered.
    init(trapping signals: [CInt]) async {
        trapped = TrappedSignals(signals)
    }

    /// The conventional name of a signal, such as `SIGTERM`.
    static func name(of signal: CInt) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }
}
