import Foundation
import Handoff
import Synchronization
import HandoffSystem
import HandoffServices
import HandoffOperations

/// Keep-alive HTTP/1.1 load from a few connections, each on its own thread: send a GET (or an
/// empty POST), read
/// the response (status line, Content-Length body), repeat. Any refused connect, reset, short
/// read or non-2xx status counts as a failure.
struct Traffic {
    let port: UInt16
    let connections: Int
    let seconds: Double
    let path: String
    /// `GET`, or `POST` (with an empty body).
    var method = "GET"

    struct Report: CustomStringConvertible {
        var requests = 0
        var non2xx = 0
        var connectErrors = 0
        var readErrors = 0
        var writeErrors = 0
        var lastCount: Int?
        var failed: Int { non2xx + connectErrors + readErrors + writeErrors }

        mutating func add(_ other: Report) {
            requests += other.requests
            non2xx += other.non2xx
            connectErrors += other.connectErrors
            readErrors += other.readErrors
            writeErrors += other.writeErrors
            if let value = other.lastCount { lastCount = max(lastCount ?? 0, value) }
        }

        var description: String {
            "requests=\(requests) failed=\(failed) non2xx=\(non2xx) connect-errors=\(connectErrors) read-errors=\(readErrors) write-errors=\(writeErrors)"
                + (lastCount.map { " last-count=\($0)" } ?? "")
        }
    }

    func run() -> Report {
        let stop = Atomic<Bool>(false)
        let total = Mutex(Report())
        let done = DispatchGroup()
        let termination = TrappedSignals([SIGTERM, SIGINT])
        let watcher = Task {
            for await _ in termination.stream { stop.store(true, ordering: .relaxed) }
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        for _ in 0..<connections {
            done.enter()
            Thread.detachNewThread {
                let report = worker(until: deadline, stop: stop)
                total.withLock { $0.add(report) }
                done.leave()
            }
        }
        done.wait()
        watcher.cancel()
        return total.withLock { $0 }
    }

    private func worker(until deadline: ContinuousClock.Instant, stop: borrowing Atomic<Bool>) -> Report {
        var report = Report()
        let body = method == "GET" ? "" : "Content-Length: 0\r\n"
        let request = Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(body)\r\n".utf8)
        var fd: Int32 = -1
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        var pending: [UInt8] = []
        while ContinuousClock.now < deadline && !stop.load(ordering: .relaxed) {
            if fd < 0 {
                fd = connectTo(port)
                if fd < 0 { report.connectErrors += 1; continue }
                pending = []
            }
            let sent = send(fd, request, request.count, Int32(MSG_NOSIGNAL))
            if sent != request.count { report.writeErrors += 1; close(fd); fd = -1; continue }
            guard let (status, body) = readResponse(fd, &buffer, &pending) else {
                report.readErrors += 1; close(fd); fd = -1; continue
            }
            report.requests += 1
            if !(200..<300).contains(status) { report.non2xx += 1 }
            if path == "/count", let value = Int(String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) {
                report.lastCount = value
            }
        }
        if fd >= 0 { close(fd) }
        return report
    }

    private func connectTo(_ port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { close(fd); return -1 }
        return fd
    }

    /// Reads one response; `nil` if the connection failed or closed before it was complete.
    private func readResponse(_ fd: Int32, _ buffer: inout [UInt8], _ pending: inout [UInt8]) -> (Int, [UInt8])? {
        while true {
            if let end = headerEnd(pending) {
                let head = String(decoding: pending[..<end], as: UTF8.self)
                let lines = head.split(separator: "\r\n")
                guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 "),
                      let status = Int(statusLine.dropFirst(9).prefix(3)) else { return nil }
                let length = lines.dropFirst().compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                    return Int(parts[1].trimmingCharacters(in: .whitespaces))
                }.first ?? 0
                let total = end + 4 + length
                if pending.count >= total {
                    let body = Array(pending[(end + 4)..<total])
                    pending.removeFirst(total)
                    return (status, body)
                }
            }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return nil }
            pending += buffer[0..<count]
        }
    }

    private func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}
