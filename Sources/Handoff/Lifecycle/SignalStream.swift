import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Delivers Unix signals as an `AsyncStream`, through a `DispatchSource` per signal.
///
/// The signal's default action is replaced by `SIG_IGN` before the source is installed, so a
/// signal that arrives between the two is not fatal; sources are installed before the stream is
/// returned, so none is lost after it.
final class SignalStream: @unchecked Sendable {  // `sources` is never mutated; cancel() is thread-safe
    let signals: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]
    private static let queue = DispatchQueue(label: "handoff.signals")

    init(_ numbers: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.signals = stream
        self.sources = numbers.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: SignalStream.queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    deinit { sources.forEach { $0.cancel() } }
}
