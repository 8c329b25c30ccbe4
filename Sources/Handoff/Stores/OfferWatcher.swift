import Synchronization
import HandoffSystem

/// Tells of offers appearing in a ``DirectoryStore``'s directory, for
/// ``DirectoryStore/offers(label:)``.
///
/// With inotify: a ``DirectoryWatch`` for `IN_CREATE` (an offer made, or given back, with
/// `link(2)`) and `IN_MOVED_TO` (with `renameat2(2)`), read on the process's ``Reactor`` when
/// its descriptor becomes readable. The watch is in place before the stream is returned, so no
/// offer made after that is missed; if the kernel's event queue overflows, every current offer
/// of the label is reported (some perhaps twice). When the stream ends, the watch is removed at
/// once and the instance closed a second later (``DirectoryWatch/end(closingAfter:)`` says
/// why). Where inotify cannot be had (the per-user instance limit), the directory is listed
/// every 200 ms on the reactor's timer instead, and an offer that comes and goes between two
/// listings is missed.
enum OfferWatcher {
    /// How often the fallback lists the directory.
    static let pollInterval: Duration = .milliseconds(200)
    /// Notifications kept for a consumer that falls behind; the oldest are dropped.
    static let buffered = 1024

    /// - Parameters:
    ///   - polling: List the directory even where inotify works (for tests of the fallback).
    ///   - header: Reads the header of the offer file with the given name, or `nil` (gone
    ///     already, expired, or damaged). Called on the reactor's thread.
    static func stream(directory: String, label: String, polling: Bool = false,
                       header: @escaping @Sendable (String) -> EnvelopeHeader?) -> AsyncStream<EnvelopeHeader> {
        let (stream, continuation) = AsyncStream<EnvelopeHeader>.makeStream(bufferingPolicy: .bufferingNewest(buffered))
        let report: @Sendable (String) -> Void = { name in
            guard name.hasSuffix(DirectoryStoreLayout.offerSuffix), let found = header(name), found.label == label else { return }
            continuation.yield(found)
        }
        guard let reactor = try? Reactor.shared() else {
            // No way to wait for anything: nothing will be announced.
            continuation.finish()
            return stream
        }
        if !polling, let watch = try? DirectoryWatch(directory: directory) {
            let registration = WatchRegistration()
            continuation.onTermination = { _ in registration.end() }
            do {
                let watched = try reactor.watch(watch.descriptor) { _ in
                    if watch.drain(names: report, overflow: { reportAll(in: directory, report) }) { return .keep }
                    continuation.finish()
                    return .remove
                }
                registration.set(watched) { watch.end() }
                return stream
            } catch {
                continuation.onTermination = nil
                watch.end()
            }
        }
        let seen = Mutex(Set(offerNames(in: directory)))
        let stopped = Atomic(false)
        continuation.onTermination = { _ in stopped.store(true, ordering: .relaxed) }
        @Sendable func tick() {
            guard !stopped.load(ordering: .relaxed) else { return }
            let now = Set(offerNames(in: directory))
            let fresh = seen.withLock { seen in
                defer { seen = now }
                return now.subtracting(seen)
            }
            fresh.sorted().forEach(report)
            reactor.after(pollInterval, tick)
        }
        reactor.after(pollInterval, tick)
        return stream
    }

    private static func reportAll(in directory: String, _ report: (String) -> Void) {
        offerNames(in: directory).sorted().forEach(report)
    }

    private static func offerNames(in directory: String) -> [String] {
        ((try? StoreFiles.names(in: directory)) ?? []).filter { $0.hasSuffix(DirectoryStoreLayout.offerSuffix) }
    }
}

/// The reactor watch of a stream's inotify instance, ended (watch removed, instance closed
/// later) once the stream ends, whichever of the two comes first.
private final class WatchRegistration: Sendable {
    private let state = Mutex<(watch: Reactor.Watch?, end: (@Sendable () -> Void)?, ended: Bool)>((nil, nil, false))

    /// The registration is made: `end` removes the inotify watch and closes the instance.
    func set(_ watch: Reactor.Watch, end: @escaping @Sendable () -> Void) {
        let endedAlready = state.withLock { state in
            state.watch = watch
            state.end = end
            return state.ended
        }
        if endedAlready { watch.cancel(then: end) }
    }

    /// The stream ended: stop watching, then end the inotify watch on the reactor's thread.
    func end() {
        let (watch, end) = state.withLock { state in
            defer { state = (nil, nil, true) }
            return (state.watch, state.end)
        }
        if let watch, let end { watch.cancel(then: end) }
    }
}
