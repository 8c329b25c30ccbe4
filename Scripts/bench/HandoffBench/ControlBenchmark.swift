import Foundation
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The operator's paths: `status` round trips over the control socket; an upgrade requested
/// over the control socket (request → answer with the new pid) against one by SIGHUP (signal →
/// the old process's "replaced" line), alternating; and the cost of one sd_notify message
/// (a socket per message, as ``SystemdNotifier`` sends) against a send on a kept socket.
struct ControlBenchmark {
    let binary: String
    var upgrades = 10
    var statuses = 200
    var notifications = 20_000

    func run() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-bench-control-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let socket = work.appendingPathComponent("control/control.sock").path
        let watcher = try LineWatcher(binary: binary, arguments: ["--listen", "127.0.0.1:0", "--control", socket, "--state-dir", work.appendingPathComponent("state").path], environment: [:])
        let first = try watcher.wait(after: 0, "of the first generation serving") { $0.contains("state=nothing-to-restore") }
        var serving = LineWatcher.speaker(of: first.line) ?? 0
        let client = ControlClient(socketPath: socket)

        var status: [Duration] = []
        for _ in 0..<statuses {
            let start = ContinuousClock.now
            _ = try await client.send(ControlRequest(.status), timeout: .seconds(10))
            status.append(.now - start)
        }

        var byControl: [Duration] = [], bySignal: [Duration] = []
        for round in 0..<(2 * upgrades) {
            let mark = watcher.count
            let old = serving
            let start = ContinuousClock.now
            if round % 2 == 0 {
                let response = try await client.send(ControlRequest(.upgrade), timeout: .seconds(60))
                guard let pid = response.pid else { throw LineWatcher.Timeout(description: "upgrade failed: \(String(describing: response.error))") }
                byControl.append(.now - start)
                serving = pid
            } else {
                kill(old, SIGHUP)
                let replaced = try watcher.wait(after: mark, "replaced from \(old)") { $0.contains("event=replaced") && LineWatcher.speaker(of: $0) == old }
                bySignal.append(replaced.at - start)
                serving = LineWatcher.field("by", in: replaced.line).flatMap(Int32.init) ?? 0
            }
            _ = try watcher.wait(after: mark, "predecessor-exited from \(serving)") {
                $0.contains("predecessor-exited") && LineWatcher.speaker(of: $0) == serving
            }
        }
        kill(serving, SIGTERM)

        let (perSocket, kept) = try notifyCost(in: work)
        say(String(format: "status over the control socket  n=%d  median %7.3f ms  max %7.3f ms", statuses, ms(median(status)), ms(status.max()!)))
        say(String(format: "upgrade by handoffctl request   n=%d  request→answer median %7.2f ms  max %7.2f ms", upgrades, ms(median(byControl)), ms(byControl.max()!)))
        say(String(format: "upgrade by SIGHUP (baseline)    n=%d  signal→replaced median %7.2f ms  max %7.2f ms   ratio %.2fx", upgrades, ms(median(bySignal)), ms(bySignal.max()!), ms(median(byControl)) / ms(median(bySignal))))
        say(String(format: "sd_notify message, socket each  n=%d  %6.2f µs/message; on a kept socket %6.2f µs (baseline)   ratio %.2fx", notifications, perSocket, kept, perSocket / kept))
    }

    /// Microseconds per message: through ``SystemdNotifier``, and by `send(2)` on one connected
    /// socket, to a datagram socket a thread drains.
    private func notifyCost(in work: URL) throws -> (Double, Double) {
        let path = work.appendingPathComponent("notify.sock").path
        let receiver = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, byte) in path.utf8.enumerated() { raw[i] = byte } }
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(receiver, $0, length) } }
        let drain = Thread {
            var buffer = [UInt8](repeating: 0, count: 512)
            while recv(receiver, &buffer, buffer.count, 0) > 0 {}
        }
        drain.start()
        defer { shutdown(receiver, Int32(SHUT_RDWR)); close(receiver) }
        let notifier = try SystemdNotifier(socket: path)
        let message = ["WATCHDOG=1"]
        func timed(_ body: () throws -> Void) rethrows -> Double {
            let start = ContinuousClock.now
            var sent = 0
            while sent < notifications {
                do { try body(); sent += 1 } catch { usleep(50) }  // EAGAIN: the drain is behind
            }
            return ms(.now - start) * 1000 / Double(notifications)
        }
        let perSocket = try timed { try notifier.notify(message) }
        let sender = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        defer { close(sender) }
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(sender, $0, length) } }
        let bytes = Array("WATCHDOG=1".utf8)
        struct Again: Error {}
        let kept = try timed { if send(sender, bytes, bytes.count, 0) < 0 { throw Again() } }
        return (perSocket, kept)
    }

    private func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }
    private func ms(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
