#if canImport(Glibc)
import Glibc
#endif
@preconcurrency import Dispatch

/// SIGTERM and SIGINT (or other signals) delivered as an `AsyncStream` instead of killing the
/// process.
///
/// Each signal's disposition is set to `SIG_IGN` and a `DispatchSource` watches for it; the
/// initializer waits until every source is registered, so a signal sent once it returns is not
/// lost.
final class TerminationSignals: Sendable {
    /// The signals, in the order they arrive.
    let stream: AsyncStream<CInt>
    private let sources: [any DispatchSourceSignal]
    private static let queue = DispatchQueue(label: "handoff-demo.signals")

    /// Starts trapping `signals`.
    init(trapping signals: [CInt]) async {
        let (stream, continuation) = AsyncStream<CInt>.makeStream()
        self.stream = stream
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: Self.queue)
            source.setEventHandler { continuation.yield(number) }
            await withCheckedContinuation { (registered: CheckedContinuation<Void, Never>) in
                source.setRegistrationHandler { registered.resume() }
                source.resume()
            }
            sources.append(source)
        }
        self.sources = sources
    }

    deinit {
        for source in sources { source.cancel() }
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
