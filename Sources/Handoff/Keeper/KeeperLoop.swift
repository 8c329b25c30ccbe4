import HandoffSystem

/// The keeper's whole life after its first child is spawned: wait on two descriptors (its
/// signal pipe and its notification socket), follow the main process, forward signals to it,
/// reap every child, and return the exit status once the main process exits without having
/// named a successor.
///
/// Every buffer is allocated once, in `init`: the loop itself (signals, messages, reaping)
/// allocates nothing, so it cannot fail for want of memory while it holds a container up.
///
/// Order matters at each wake-up: messages first (a `MAINPID=` the old process sent before it
/// exited is in the queue by the time its exit is seen), then signals (so they reach the main
/// process named last), then children. A main process's exit is examined with
/// `waitid(WNOWAIT)` before it is reaped, and the socket drained once more first: its sender
/// pid is still valid while it is a zombie.
struct KeeperLoop: ~Copyable {
    /// The process whose exit ends the keeper, and to which signals go.
    private(set) var main: Int32
    /// The main process said `READY=1` (or took over by `MAINPID=`): SIGHUP may reach it.
    private var mainTrapsHangup = false
    /// A SIGHUP that came before the first main process was ready; delivered when it is.
    private var pendingHangup = false
    /// The last stop signal forwarded (SIGTERM, SIGINT, SIGQUIT): a successor named after it
    /// gets it too, since a stop is meant for whichever process serves.
    private var stopSignal: Int32 = 0
    private let me = Syscall.processID
    private let socket: KeeperSocket
    private let signalFD: CInt
    private var upstream: KeeperUpstream?
    private let message: UnsafeMutableRawBufferPointer
    private let outgoing: UnsafeMutableRawBufferPointer
    private let descriptors: UnsafeMutableBufferPointer<CInt>
    private let signalBytes: UnsafeMutableRawBufferPointer
    private let procPath: UnsafeMutableBufferPointer<CChar>
    private let procText: UnsafeMutableRawBufferPointer

    init(main: Int32, socket: KeeperSocket, signalFD: CInt, upstream: KeeperUpstream?) {
        self.main = main
        self.socket = socket
        self.signalFD = signalFD
        self.upstream = upstream
        message = .allocate(byteCount: 8192, alignment: 8)
        outgoing = .allocate(byteCount: 8192, alignment: 8)
        descriptors = .allocate(capacity: 32)
        signalBytes = .allocate(byteCount: 256, alignment: 1)
        procPath = .allocate(capacity: 32)
        procText = .allocate(byteCount: 1024, alignment: 1)
    }

    deinit {
        message.deallocate()
        outgoing.deallocate()
        descriptors.deallocate()
        signalBytes.deallocate()
        procPath.deallocate()
        procText.deallocate()
    }

    /// Runs until the main process exits without a successor.
    /// - Returns: Its exit status, or 128 + the signal that killed it.
    mutating func run() -> Int32 {
        var polls = PollSet([(signalFD, .readable), (socket.fd, .readable)])
        while true {
            do {
                try polls.wait()
            } catch where error.errno == .noMemory || error.errno == .wouldBlock {
                // Transient: look at everything anyway, and wait again.
            } catch {
                // Two valid descriptors: poll cannot fail otherwise. Nothing to follow with.
                return 70
            }
            receiveMessages()
            forwardSignals()
            if let status = reapChildren() { return status }
        }
    }

    // MARK: Messages

    /// Reads every queued message; acts on those from the main process.
    private mutating func receiveMessages() {
        while true {
            // nil (EAGAIN): the queue is empty; a failure: nothing more to read now either.
            guard let received = try? Syscall.receiveMessage(socket.fd, into: message, descriptors: descriptors) else { return }
            let count = received.count
            for index in 0..<received.descriptorCount { Syscall.close(descriptors[index]) }
            guard received.senderPID == main else { continue }
            let bytes = UnsafeRawBufferPointer(rebasing: message[0..<count])
            act(on: KeeperMessage(bytes))
            if upstream != nil {
                let length = KeeperMessage.upstreamLines(of: bytes, into: outgoing)
                upstream!.send(UnsafeRawBufferPointer(rebasing: outgoing[0..<length]))
            }
        }
    }

    private mutating func act(on message: KeeperMessage) {
        if message.ready {
            mainTrapsHangup = true
            if pendingHangup {
                pendingHangup = false
                Syscall.signalQuietly(main, .hangup)
            }
        }
        if let successor = message.mainPID, successor != main, isOurs(successor) {
            main = successor
            // A successor traps SIGHUP before it takes anything over.
            mainTrapsHangup = true
            if stopSignal != 0 { Syscall.signalQuietly(successor, Signal(rawValue: stopSignal)) }
            if pendingHangup {
                pendingHangup = false
                Syscall.signalQuietly(successor, .hangup)
            }
        }
    }

    /// Whether `pid` is a child of the main process or of the keeper (an orphaned successor
    /// is reparented to the keeper): the new main process must be one of the keeper's own, as
    /// systemd requires of a `MAINPID=` in its service. Reads `/proc/<pid>/stat`.
    private func isOurs(_ pid: Int32) -> Bool {
        guard let parent = parent(of: pid) else { return false }
        return parent == main || parent == me
    }

    private func parent(of pid: Int32) -> Int32? {
        // "/proc/<pid>/stat", written into the preallocated buffer.
        let procPath = self.procPath, procText = self.procText
        var index = 0
        func append(_ byte: UInt8) {
            procPath[index] = CChar(bitPattern: byte)
            index += 1
        }
        for byte in "/proc/".utf8 { append(byte) }
        var digits = pid, divisor: Int32 = 1
        while digits >= 10 { digits /= 10; divisor *= 10 }
        var rest = pid
        while divisor > 0 {
            append(UInt8(0x30 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
        for byte in "/stat".utf8 { append(byte) }
        procPath[index] = 0
        guard let fd = try? Syscall.open(UnsafePointer(procPath.baseAddress!), .readOnly) else { return nil }
        defer { Syscall.close(fd) }
        guard let count = try? Syscall.read(fd, into: procText), count > 0 else { return nil }
        return KeeperLoop.parentPID(inStat: UnsafeRawBufferPointer(rebasing: procText[0..<count]))
    }

    /// The parent pid in the text of a `/proc/<pid>/stat`, or `nil` if it has none: read in
    /// place, without allocating.
    static func parentPID(inStat stat: UnsafeRawBufferPointer) -> Int32? {
        // "pid (comm) S ppid …": comm may hold anything, so look after the last ')'.
        var close = stat.count - 1
        while close >= 0 && stat[close] != UInt8(ascii: ")") { close -= 1 }
        var position = close + 4  // ") S "
        guard close >= 0, position < stat.count else { return nil }
        var parent: Int32 = 0
        var digits = 0
        while position < stat.count, stat[position] >= 0x30, stat[position] <= 0x39 {
            parent = parent &* 10 &+ Int32(stat[position] - 0x30)
            position += 1
            digits += 1
        }
        return digits > 0 ? parent : nil
    }

    // MARK: Signals

    private mutating func forwardSignals() {
        while true {
            guard let count = try? Syscall.readAvailable(signalFD, into: signalBytes), count > 0 else { return }
            for index in 0..<count { forward(Int32(signalBytes[index])) }
        }
    }

    private mutating func forward(_ signal: Int32) {
        switch Signal(rawValue: signal) {
        case .child:
            return  // the children are reaped after every wake-up
        case .hangup:
            if mainTrapsHangup { Syscall.signalQuietly(main, .hangup) } else { pendingHangup = true }
        case .terminate, .interrupt, .quit:
            stopSignal = signal
            Syscall.signalQuietly(main, Signal(rawValue: signal))
        default:
            Syscall.signalQuietly(main, Signal(rawValue: signal))
        }
    }

    // MARK: Children

    /// Reaps every child that has exited; returns the exit status if one was the main process
    /// and it named no successor.
    private mutating func reapChildren() -> Int32? {
        while true {
            guard let pid = try? Syscall.peekExitedChild() else { return nil }
            let wasMain = pid == main
            // A MAINPID= it sent before it exited is queued by now; its sender is still valid.
            if wasMain { receiveMessages() }
            let status = (try? Syscall.reapIfExited(pid)) ?? 0
            if wasMain && pid == main { return KeeperLoop.exitStatus(status) }
        }
    }

    /// The status a shell would report: the exit code, or 128 + the signal.
    static func exitStatus(_ status: Int32) -> Int32 {
        status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
