import Foundation

/// `handoff-bench slow-clients`: keeps `count` connections to `port` sending one request-header
/// byte a second (slowloris), opening a new one whenever the server closes one, until
/// `seconds` pass (or a signal ends it). Prints how many the server closed.
struct SlowClients {
    let port: UInt16
    let count: Int
    let seconds: Int

    private static let header = Array("GET /ready HTTP/1.1\r\nHost: bench\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 4096)

    func run() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        guard limit.rlim_cur >= rlim_t(count + 64) else {
            throw BenchFailure("the descriptor limit \(limit.rlim_cur) is below \(count + 64); raise ulimit -n")
        }
        var clients: [(fd: Int32, sent: Int)] = []
        for _ in 0..<count { clients.append((try connect(), 0)) }
        say("slow-clients attached=\(clients.count)")
        var closed = 0
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            let tick = ContinuousClock.now
            for index in clients.indices {
                let client = clients[index]
                let byte = Self.header[client.sent % Self.header.count]
                let sent = withUnsafeBytes(of: byte) { send(client.fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                if sent == 1 && !peerClosed(client.fd) {
                    clients[index].sent += 1
                } else {
                    close(client.fd)
                    closed += 1
                    clients[index] = ((try? connect()) ?? -1, 0)
                }
            }
            // One byte a second: pace the next round (a load generator's pacing, not a wait).
            let rest = .seconds(1) - (ContinuousClock.now - tick)
            if rest > .zero { Thread.sleep(forTimeInterval: Double(rest.components.attoseconds) / 1e18 + Double(rest.components.seconds)) }
        }
        for client in clients where client.fd >= 0 { close(client.fd) }  // one left unconnected is -1
        say("slow-clients closed-by-server=\(closed)")
    }

    private func peerClosed(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || count > 0
    }

    private func connect() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchFailure("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw BenchFailure("connect to port \(port): errno \(errno)")
        }
        return fd
    }
}
