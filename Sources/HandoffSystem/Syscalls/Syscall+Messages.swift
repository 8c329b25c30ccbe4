import CHandoff
#if canImport(Glibc)
import Glibc
#endif

/// What one ``Syscall/receiveMessage(_:into:descriptors:_:)`` brought.
public struct ReceivedMessage: Sendable {
    /// The bytes read; 0 at end of stream.
    public var count: Int
    /// How many descriptors arrived (the first entries of the array passed in).
    public var descriptorCount: Int
    /// Whether the kernel dropped descriptors that did not fit (`MSG_CTRUNC`).
    public var truncated: Bool
    /// The sender's pid from `SCM_CREDENTIALS`, if the socket has `SO_PASSCRED` on.
    public var senderPID: Int32?

    @inlinable
    public init(count: Int, descriptorCount: Int, truncated: Bool, senderPID: Int32?) {
        self.count = count
        self.descriptorCount = descriptorCount
        self.truncated = truncated
        self.senderPID = senderPID
    }
}

extension Syscall {
    /// The most descriptors one message carries (below the kernel's `SCM_MAX_FD`).
    @inlinable public static var maxDescriptorsPerMessage: Int { Int(CHANDOFF_MAX_FDS_PER_MESSAGE) }

    /// sendmsg(2) of `buffer` with `descriptors` attached as `SCM_RIGHTS` (send(2) when there
    /// are none), with `MSG_NOSIGNAL`, retrying `EINTR`: the bytes sent, or `nil` if the socket
    /// would block.
    /// - Throws: ``HandoffError`` naming `name` (`sendmsg(…)`) and its errno.
    @inlinable
    public static func sendMessage(_ fd: CInt, _ buffer: UnsafeRawBufferPointer, descriptors: [CInt], _ name: @autoclosure () -> String = "sendmsg") throws(HandoffError) -> Int? {
        try checkUnlessWouldBlock(name()) {
            if descriptors.isEmpty { return Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
            return chandoff_send_with_fds(fd, buffer.baseAddress, buffer.count, descriptors, Int32(descriptors.count))
        }
    }

    /// recvmsg(2) with `MSG_CMSG_CLOEXEC` into `buffer`, collecting up to `descriptors.count`
    /// `SCM_RIGHTS` descriptors into `descriptors` and the sender's `SCM_CREDENTIALS`, retrying
    /// `EINTR`: `nil` if nothing is ready. A reset connection reads as end of stream.
    /// - Throws: ``HandoffError`` naming `name` (`recvmsg(…)`) and its errno.
    @inlinable
    public static func receiveMessage(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer, descriptors: inout [CInt], _ name: @autoclosure () -> String = "recvmsg") throws(HandoffError) -> ReceivedMessage? {
        let received = descriptors.withUnsafeMutableBufferPointer { slots in
            Result { () throws(HandoffError) in try receiveMessage(fd, into: buffer, descriptors: slots, name()) }
        }
        return try received.get()
    }

    /// ``receiveMessage(_:into:descriptors:_:)`` into preallocated descriptor slots.
    @inlinable
    public static func receiveMessage(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer, descriptors: UnsafeMutableBufferPointer<CInt>, _ name: @autoclosure () -> String = "recvmsg") throws(HandoffError) -> ReceivedMessage? {
        var info = chandoff_received()
        let received: Int?
        do {
            received = try checkUnlessWouldBlock(name()) {
                chandoff_receive(fd, buffer.baseAddress, buffer.count, descriptors.baseAddress, Int32(descriptors.count), &info)
            }
        } catch where error.errno == .connectionReset {
            return ReceivedMessage(count: 0, descriptorCount: 0, truncated: false, senderPID: nil)
        }
        guard let count = received else { return nil }
        return ReceivedMessage(
            count: count, descriptorCount: Int(info.fd_count), truncated: info.truncated != 0,
            senderPID: info.has_credentials != 0 ? info.pid : nil)
    }

    /// ``sendMessage(_:_:descriptors:_:)`` of `bytes`.
    package static func sendMessage(_ fd: CInt, bytes: [UInt8], descriptors: [CInt], _ name: @autoclosure () -> String = "sendmsg") throws(HandoffError) -> Int? {
        try checkUnlessWouldBlock(name()) {
                bytes.withUnsafeBytes { buffer in
                    descriptors.isEmpty
                        ? Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
                        : chandoff_send_with_fds(fd, buffer.baseAddress, buffer.count, descriptors, Int32(descriptors.count))
                }
        }
    }

    /// Installs the keeper's handler for each of `signals` (sigaction, `SA_RESTART`,
    /// `SA_NOCLDSTOP`), which writes the signal's number as one byte to the keeper's own pipe,
    /// unblocks them in the calling thread, and returns the pipe's read end (close-on-exec,
    /// non-blocking).
    package static func keeperSignalPipe(_ signals: [Signal]) throws(HandoffError) -> CInt {
        let numbers = signals.map(\.rawValue)
        return try check("sigaction") { numbers.withUnsafeBufferPointer { chandoff_keeper_signal_pipe($0.baseAddress, Int32($0.count)) } }
    }

    /// The peer's credentials (`SO_PEERCRED`): pid and uid of who connected (or created the pair).
    package static func peerCredentials(_ fd: CInt) throws(HandoffError) -> (pid: Int32, uid: UInt32) {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        try check("getsockopt(SO_PEERCRED)") { chandoff_peer_credentials(fd, &pid, &uid, &gid) }
        return (pid, uid)
    }
}
