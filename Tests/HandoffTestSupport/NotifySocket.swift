#if DEBUG  // test support: built for the tests only (see Package.swift)
import CHandoff
import Foundation
import Testing
@testable import HandoffSystem

/// A datagram socket standing in for systemd's `$NOTIFY_SOCKET`: it receives each message with
/// its sender's pid (`SO_PASSCRED`) and any descriptors that rode along.
final class NotifySocket: Sendable {
    struct Message: Sendable, CustomStringConvertible {
        let pid: Int32
        let lines: [String]
        let descriptors: [Int32]

        var description: String { "pid=\(pid) \(lines.joined(separator: "|"))" + (descriptors.isEmpty ? "" : " fds=\(descriptors.count)") }

        func value(_ key: String) -> String? {
            lines.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
    }

    let path: String
    private let fd: Int32

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-notify-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("notify.sock").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #expect(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        #expect(chandoff_enable_credentials(fd) == 0)
    }

    deinit {
        close(fd)
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    /// The next message, or `nil` if none arrives within `timeout`.
    func next(timeout: Duration = .seconds(20)) -> Message? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 1000))
            guard poll(&poller, 1, milliseconds) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            var descriptors = [Int32](repeating: -1, count: 16)
            var received = chandoff_received()
            let count = buffer.withUnsafeMutableBytes { bytes in
                descriptors.withUnsafeMutableBufferPointer { fds in
                    chandoff_receive(fd, bytes.baseAddress, bytes.count, fds.baseAddress, Int32(fds.count), &received)
                }
            }
            guard count >= 0 else { continue }
            let text = String(decoding: buffer.prefix(count), as: UTF8.self)
            return Message(pid: received.pid, lines: text.split(separator: "\n").map(String.init),
                           descriptors: Array(descriptors.prefix(Int(received.fd_count))))
        }
    }

    /// Waits for a message that satisfies `predicate`, returning it and everything skipped.
    func waitFor(timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation,
                 _ predicate: (Message) -> Bool) throws -> (match: Message, skipped: [Message]) {
        let deadline = ContinuousClock.now + timeout
        var skipped: [Message] = []
        while let message = next(timeout: deadline - ContinuousClock.now) {
            if predicate(message) { return (message, skipped) }
            skipped.append(message)
        }
        Issue.record("no matching notification within \(timeout); got \(skipped)", sourceLocation: sourceLocation)
        throw FixtureError.timedOut
    }
}
#endif
