import HandoffSystem

/// What one `sd_notify` datagram tells the keeper, read in place: no copy, no allocation.
///
/// Only three assignments matter to the keeper: `MAINPID=` (the main process changes),
/// `READY=1` and `STOPPING=1`. Everything else (`STATUS=`, `RELOADING=1`, `WATCHDOG=1`,
/// `EXTEND_TIMEOUT_USEC=`…) is passed on to a service manager above the keeper, if there is one.
struct KeeperMessage: Equatable {
    var ready = false
    var stopping = false
    /// The pid `MAINPID=` names, if the message has one that parses.
    var mainPID: Int32?
}

extension KeeperMessage {
    /// Reads the assignments of `bytes` (newline-separated `KEY=VALUE`).
    init(_ bytes: UnsafeRawBufferPointer) {
        var ready = false, stopping = false
        var mainPID: Int32?
        KeeperMessage.forEachLine(bytes) { current in
            if KeeperMessage.line(current, is: "READY=1") {
                ready = true
            } else if KeeperMessage.line(current, is: "STOPPING=1") {
                stopping = true
            } else if KeeperMessage.line(current, startsWith: "MAINPID=") {
                mainPID = KeeperMessage.decimal(current, from: 8)
            }
        }
        self.ready = ready
        self.stopping = stopping
        self.mainPID = mainPID
    }

    /// Copies the lines a service manager above the keeper should see into `output`, newline
    /// separated: all but `MAINPID=` (the keeper is the main process up there) and the file
    /// descriptor store's (`FDSTORE=`, `FDSTOREREMOVE=`, `FDNAME=`, `FDPOLL=`, `BARRIER=`:
    /// their descriptors are not passed on).
    /// - Returns: The number of bytes written; 0 if nothing is left to pass on.
    static func upstreamLines(of bytes: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        var written = 0
        forEachLine(bytes) { current in
            if current.isEmpty || line(current, startsWith: "MAINPID=") || line(current, startsWith: "FD") || line(current, startsWith: "BARRIER=") {
                return
            }
            let needed = current.count + (written > 0 ? 1 : 0)
            guard written + needed <= output.count else { return }
            if written > 0 {
                output[written] = 0x0A
                written += 1
            }
            for byte in current {
                output[written] = byte
                written += 1
            }
        }
        return written
    }

    private static func forEachLine(_ bytes: UnsafeRawBufferPointer, _ body: (Slice<UnsafeRawBufferPointer>) -> Void) {
        var start = bytes.startIndex
        while start < bytes.endIndex {
            var end = start
            while end < bytes.endIndex && bytes[end] != 0x0A { end += 1 }
            body(bytes[start..<end])
            start = end + 1
        }
    }

    private static func line(_ line: Slice<UnsafeRawBufferPointer>, is text: StaticString) -> Bool {
        line.count == text.utf8CodeUnitCount && self.line(line, startsWith: text)
    }

    private static func line(_ line: Slice<UnsafeRawBufferPointer>, startsWith text: StaticString) -> Bool {
        guard line.count >= text.utf8CodeUnitCount else { return false }
        let prefix = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        var index = line.startIndex
        for byte in prefix {
            if line[index] != byte { return false }
            index += 1
        }
        return true
    }

    /// The positive decimal number that fills `line` from `offset` on, or `nil`.
    static func decimal(_ line: Slice<UnsafeRawBufferPointer>, from offset: Int) -> Int32? {
        guard line.count > offset, line.count - offset <= 9 else { return nil }
        var value: Int32 = 0
        for byte in line.dropFirst(offset) {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int32(byte - 0x30)
        }
        return value > 0 ? value : nil
    }
}
