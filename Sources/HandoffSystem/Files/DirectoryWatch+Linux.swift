#if canImport(Glibc)
import Glibc
#endif

/// An inotify(7) watch on one directory for names that appear in it: `IN_CREATE` (a file made,
/// or linked, there) and `IN_MOVED_TO` (renamed into it).
///
/// The instance is non-blocking and close-on-exec; the process's ``Reactor`` waits on
/// ``descriptor`` and ``drain(names:overflow:)`` reads what is ready.
package struct DirectoryWatch: Sendable {
    /// The inotify instance: readable when events are pending.
    package let descriptor: CInt
    private let watch: CInt

    /// Watches `directory` (`inotify_init1(IN_CLOEXEC | IN_NONBLOCK)`, then
    /// `inotify_add_watch(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)`).
    /// - Parameter directory: The directory's path.
    /// - Throws: ``HandoffError`` naming the call that failed: `EMFILE` from `inotify_init1` at
    ///   the per-user instance limit, `ENOSPC` from `inotify_add_watch` at the watch limit.
    package init(directory: String) throws(HandoffError) {
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else { throw HandoffError.system("inotify_init1", errno: errno) }
        let watch = inotify_add_watch(fd, directory, UInt32(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR))
        guard watch >= 0 else {
            let failure = errno
            Syscall.close(fd)
            throw HandoffError.system("inotify_add_watch(\(directory))", errno: failure)
        }
        descriptor = fd
        self.watch = watch
    }

    /// Reads every pending event (`read(2)` until `EAGAIN`).
    /// - Parameters:
    ///   - names: Called with each name that appeared, in order.
    ///   - overflow: Called when the kernel's queue overflowed (`IN_Q_OVERFLOW`): events were
    ///     lost, so look at the whole directory.
    /// - Returns: `false` once the watch has ended (the directory was removed) or reading
    ///   failed.
    package func drain(names: (String) -> Void, overflow: () -> Void) -> Bool {
        let headerSize = MemoryLayout<inotify_event>.size
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
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
                if !nameBytes.isEmpty { names(String(decoding: nameBytes, as: UTF8.self)) }
            }
        }
    }

    /// Removes the watch now (`inotify_rm_watch`), and closes the instance `delay` later on the
    /// reactor's thread.
    ///
    /// The kernel retires a watch only after a grace period, and closing the last descriptor of
    /// an instance with a watch still pending waits it out (12–44 ms measured, uninterruptibly:
    /// an exiting process waits too, which held every replaced process in exit). So the watch
    /// goes first and the descriptor once the watch is surely retired; a process that exits
    /// sooner closes it with nothing left to wait for. Call it once nothing reads
    /// ``descriptor`` any more.
    /// - Parameter delay: How long to keep the instance open (1 s by default).
    package func end(closingAfter delay: Duration = .seconds(1)) {
        _ = inotify_rm_watch(descriptor, watch)
        let fd = descriptor
        if let reactor = try? Reactor.shared() {
            reactor.after(delay) { Syscall.close(fd) }
        } else {
            // No reactor to wait on: the instance stays open until the process exits, which
            // costs one descriptor and no wait.
        }
    }
}
