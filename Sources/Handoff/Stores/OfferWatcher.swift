import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import HandoffSystem

/// Tells of offers appearing in a ``DirectoryStore``'s directory, for
/// ``DirectoryStore/offers(label:)``.
///
/// With inotify: a watch for `IN_CREATE` (an offer made, or given back, with `link(2)`) and
/// `IN_MOVED_TO` (with `renameat2(2)`), read by a `DispatchSource` when its descriptor becomes
/// readable. The watch is in place before the stream is returned, so no offer made after that is
/// missed; if the kernel's event queue overflows, every current offer of the label is reported
/// (some perhaps twice). Where inotify cannot be had (the per-user instance limit), the directory
/// is listed every 200 ms instead, and an offer that comes and goes between two listings is
/// missed.
enum OfferWatcher {
    /// How often the fallback lists the directory.
    static let pollInterval: DispatchTimeInterval = .milliseconds(200)
    /// Notifications kept for a consumer that falls behind; the oldest are dropped.
    static let buffered = 1024

    /// - Parameters:
    ///   - polling: List the directory even where inotify works (for tests of the fallback).
    ///   - header: Reads the header of the offer file with the given name, or `nil` (gone
    ///     already, expired, or damaged).
    static func stream(directory: String, label: String, polling: Bool = false,
                       header: @escaping @Sendable (String) -> EnvelopeHeader?) -> AsyncStream<EnvelopeHeader> {
        let (stream, continuation) = AsyncStream<EnvelopeHeader>.makeStream(bufferingPolicy: .bufferingNewest(buffered))
        let queue = DispatchQueue(label: "handoff.directory-store.watch")
        let report: @Sendable (String) -> Void = { name in
            guard name.hasSuffix(DirectoryStoreLayout.offerSuffix), let found = header(name), found.label == label else { return }
            continuation.yield(found)
        }
        let fd = polling ? -1 : inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        let watch = fd >= 0 ? inotify_add_watch(fd, directory, UInt32(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)) : -1
        if watch >= 0 {
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler {
                if !drainEvents(fd, report: report, overflow: { reportAll(in: directory, report) }) { continuation.finish() }
            }
            source.setCancelHandler {
                // The kernel retires a watch only after a grace period, and closing the last
                // descriptor of an instance with a watch still pending waits it out (10–40 ms,
                // uninterruptibly: an exiting process waits too). Remove the watch now, close
                // once it is surely retired; a process that exits sooner closes it with nothing
                // left to wait for.
                _ = inotify_rm_watch(fd, watch)
                DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(1)) { Syscall.close(fd) }
            }
            let handle = SourceHandle(source)
            continuation.onTermination = { _ in handle.cancel() }
            source.resume()
            return stream
        }
        if fd >= 0 { Syscall.close(fd) }
        let seen = Mutex(Set(offerNames(in: directory)))
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + pollInterval, repeating: pollInterval)
        timer.setEventHandler {
            let now = Set(offerNames(in: directory))
            let fresh = seen.withLock { seen in
                defer { seen = now }
                return now.subtracting(seen)
            }
            fresh.sorted().forEach(report)
        }
        let handle = SourceHandle(timer)
        continuation.onTermination = { _ in handle.cancel() }
        timer.resume()
        return stream
    }

    /// Reads every pending inotify event and reports the names.
    /// - Returns: `false` when the watch has ended (the directory was removed) or reading failed.
    private static func drainEvents(_ fd: Int32, report: (String) -> Void, overflow: () -> Void) -> Bool {
        let headerSize = MemoryLayout<inotify_event>.size
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
            if count == 0 { return false }
            var offset = 0
            while offset + headerSize <= count {
                let (mask, length) = buffer.withUnsafeBytes { raw in
                    (raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                     Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                let nameBytes = buffer[(offset + headerSize)..<min(count, offset + headerSize + length)].prefix { $0 != 0 }
                offset += headerSize + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 { overflow() }
                if mask & UInt32(IN_IGNORED) != 0 { return false }
                if !nameBytes.isEmpty { report(String(decoding: nameBytes, as: UTF8.self)) }
            }
        }
    }

    private static func reportAll(in directory: String, _ report: (String) -> Void) {
        offerNames(in: directory).sorted().forEach(report)
    }

    private static func offerNames(in directory: String) -> [String] {
        ((try? StoreFiles.names(in: directory)) ?? []).filter { $0.hasSuffix(DirectoryStoreLayout.offerSuffix) }
    }
}

/// Lets the stream's `@Sendable` termination handler cancel the source; `cancel()` is
/// thread-safe and the reference is never reassigned.
private final class SourceHandle: @unchecked Sendable {
    private let source: any DispatchSourceProtocol
    init(_ source: any DispatchSourceProtocol) { self.source = source }
    func cancel() { source.cancel() }
}
