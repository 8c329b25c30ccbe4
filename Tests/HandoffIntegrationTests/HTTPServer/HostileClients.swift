import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// Clients that misbehave on purpose, and how to watch a server process cope with them.
enum HostileClients {
    /// The CPU time (user plus system) `pid` has used, in seconds, from `/proc/PID/stat`.
    static func cpuSeconds(of pid: Int32) throws -> Double {
        let text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces), counted from field 3.
        guard let close = text.lastIndex(of: ")") else { throw Client.Failure(description: "odd /proc/\(pid)/stat") }
        let fields = text[text.index(after: close)...].split(separator: " ")
        let ticks = Double(fields[11])! + Double(fields[12])!  // utime, stime: fields 14 and 15
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The CPU share of one core `pid` uses over `window`. The window is a measurement, not a
    /// wait for an event: nothing else tells the test that a server is *not* spinning.
    static func cpuShare(of pid: Int32, over window: Duration) throws -> Double {
        let before = try cpuSeconds(of: pid)
        let start = ContinuousClock.now
        Thread.sleep(forTimeInterval: Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (try cpuSeconds(of: pid) - before) / seconds
    }

    /// Opens `count` connections to `port`; they send nothing.
    static func connect(_ count: Int, to port: UInt16) throws -> [Int32] {
        var descriptors: [Int32] = []
        for _ in 0..<count { descriptors.append(try Client.connect(port: port)) }
        return descriptors
    }

    /// Whether the server has closed `fd`: end of stream, a reset, or a 408 answer.
    static func closedByServer(_ fd: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 512)
        var received: [UInt8] = []
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 {
                received += buffer[0..<count]
                continue
            }
            if count == 0 || errno == ECONNRESET { return true }
            return String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 408")
        }
    }

    /// Makes sure this process may hold `count` more descriptors.
    static func requireDescriptors(_ count: Int) throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < rlim_t(count) {
            limit.rlim_cur = min(limit.rlim_max, rlim_t(count))
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        try #require(limit.rlim_cur >= rlim_t(count), "the descriptor limit \(limit.rlim_cur) is below \(count)")
    }

    /// How long one request on `client` takes, in milliseconds, with its status.
    static func timed(_ client: HTTPClient, _ path: String) throws -> (status: Int, milliseconds: Double) {
        let start = ContinuousClock.now
        let status = try client.get(path).status
        let elapsed = ContinuousClock.now - start
        return (status, Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }
}
