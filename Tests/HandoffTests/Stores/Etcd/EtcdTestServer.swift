import Foundation
import FoundationNetworking
import Synchronization
import Testing
@testable import Handoff

/// A private etcd for tests: installed from the system's packages if missing (once per run),
/// started on free loopback ports with a temporary data directory, and stopped by ``stop()`` or
/// at the end of the test process.
///
/// etcd runs under a small shell that reads its standard input from a pipe this process holds:
/// when this process exits for any reason (a crash included), the pipe closes, and the shell
/// stops etcd and removes its data directory. Heartbeat 50 ms and election timeout 500 ms make
/// it elect itself quickly and honour a lease TTL of 1 s (etcd's minimum TTL is 1.5 election
/// timeouts, rounded up to whole seconds).
final class EtcdTestServer: Sendable {
    static let binary = "/usr/bin/etcd"

    let clientPort: UInt16
    let peerPort: UInt16
    let dataDirectory: String
    let extraArguments: [String]
    private struct Running: @unchecked Sendable {  // Process and Pipe are used under the lock only
        var process: Process
        var control: Pipe
    }
    private let running = Mutex<Running?>(nil)

    var endpoint: String { "http://127.0.0.1:\(clientPort)" }
    var url: String { "etcd://127.0.0.1:\(clientPort)" }

    /// The one server that tests without needs of their own share (each uses its own prefix).
    static func shared() async throws -> EtcdTestServer {
        try await SharedServer.instance.get()
    }

    /// Starts a server of its own; `arguments` are added to etcd's command line.
    static func start(arguments: [String] = []) async throws -> EtcdTestServer {
        try await installed()
        var lastError: (any Error)?
        for _ in 0..<3 {  // ports found free can be taken by someone else before etcd binds them
            let ports = try freePorts(2)
            let directory = "/dev/shm/handoff-etcd-\(UUID().uuidString.prefix(8))"
            let server = EtcdTestServer(clientPort: ports[0], peerPort: ports[1], dataDirectory: directory, extraArguments: arguments)
            do {
                try await server.run()
                return server
            } catch {
                server.stop()
                lastError = error
            }
        }
        throw lastError ?? EtcdTestFailure("etcd did not start")
    }

    private init(clientPort: UInt16, peerPort: UInt16, dataDirectory: String, extraArguments: [String]) {
        self.clientPort = clientPort
        self.peerPort = peerPort
        self.dataDirectory = dataDirectory
        self.extraArguments = extraArguments
    }

    deinit { stop(removingData: true) }

    /// Starts etcd (again, with the same ports and data) and waits until it answers.
    func run() async throws {
        let peer = "http://127.0.0.1:\(peerPort)"
        let arguments = [
            "--name", "test", "--data-dir", dataDirectory,
            "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "test=\(peer)",
            "--heartbeat-interval", "50", "--election-timeout", "500",
        ] + extraArguments
        // etcd in the background; its end when our pipe closes (EOF on read) or on request.
        let script = """
            "$0" "$@" >>"$ETCD_LOG" 2>&1 & pid=$!
            read -r line
            kill -TERM "$pid" 2>/dev/null; wait "$pid"
            [ "$line" = keep ] || rm -rf "$ETCD_DATA"
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, EtcdTestServer.binary] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ETCD_LOG"] = dataDirectory + ".log"
        environment["ETCD_DATA"] = dataDirectory
        process.environment = environment
        let control = Pipe()
        process.standardInput = control
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        running.withLock { $0 = Running(process: process, control: control) }
        try await waitUntilHealthy(process)
    }

    /// Stops etcd and waits until it has exited; with `removingData` false, the data stays for
    /// ``run()`` to start it again.
    func stop(removingData: Bool = false) {
        guard let current = running.withLock({ state -> Running? in defer { state = nil }; return state }) else { return }
        let line = removingData ? "remove\n" : "keep\n"
        try? current.control.fileHandleForWriting.write(contentsOf: Data(line.utf8))
        try? current.control.fileHandleForWriting.close()
        current.process.waitUntilExit()
        if removingData { try? FileManager.default.removeItem(atPath: dataDirectory + ".log") }
    }

    /// What etcd logged, for failure messages.
    var log: String { (try? String(contentsOfFile: dataDirectory + ".log", encoding: .utf8)) ?? "" }

    private func waitUntilHealthy(_ process: Process) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { break }
            if let answer = try? await EtcdHTTP.post(endpoint, "/v3/kv/range", #"{"key":"AA=="}"#), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(20))  // polling with a deadline
        }
        throw EtcdTestFailure("etcd did not answer on \(endpoint) within 20 s; its log:\n\(log.suffix(2000))")
    }

    /// Loopback TCP ports that were free a moment ago.
    static func freePorts(_ count: Int) throws -> [UInt16] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        return try (0..<count).map { _ in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw EtcdTestFailure("socket: errno \(errno)") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else { throw EtcdTestFailure("bind: errno \(errno)") }
            return UInt16(bigEndian: address.sin_port)
        }
    }

    /// Installs `etcd-server` with apt if etcd is missing: once per test run.
    static func installed() async throws {
        try await Installer.instance.ensure()
    }
}

struct EtcdTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs the installation at most once, however many tests ask.
private actor Installer {
    static let instance = Installer()
    private let once = Once<Void>()

    func ensure() async throws {
        try await once.value {
            if FileManager.default.isExecutableFile(atPath: EtcdTestServer.binary) { return }
            try await Installer.run("apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server")
        }
    }

    private static func run(_ command: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " >/tmp/handoff-etcd-install.log 2>&1"]
        let (exit, exited) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.yield($0.terminationStatus); exited.finish() }
        try process.run()
        for await status in exit where status != 0 {
            throw EtcdTestFailure("installing etcd-server failed (status \(status)); see /tmp/handoff-etcd-install.log")
        }
        guard FileManager.default.isExecutableFile(atPath: EtcdTestServer.binary) else {
            throw EtcdTestFailure("etcd-server installed, but \(EtcdTestServer.binary) is missing")
        }
    }
}

/// Starts the shared server once.
private actor SharedServer {
    static let instance = SharedServer()
    private let once = Once<EtcdTestServer>()

    func get() async throws -> EtcdTestServer {
        try await once.value { try await EtcdTestServer.start() }
    }
}

/// A value made once by the first caller; later callers wait for it (or its error).
actor Once<Value: Sendable> {
    private var result: Result<Value, EtcdTestFailure>?
    private var waiters: [CheckedContinuation<Result<Value, EtcdTestFailure>, Never>] = []
    private var running = false

    func value(_ make: @Sendable () async throws -> Value) async throws -> Value {
        if let result { return try result.get() }
        if running {
            return try await withCheckedContinuation { waiters.append($0) }.get()
        }
        running = true
        let made: Result<Value, EtcdTestFailure>
        do { made = .success(try await make()) } catch { made = .failure(EtcdTestFailure("\(error)")) }
        result = made
        waiters.forEach { $0.resume(returning: made) }
        waiters = []
        return try made.get()
    }
}

/// Raw requests to the JSON gateway, for tests that look at or change keys behind the store.
enum EtcdHTTP {
    static func post(_ endpoint: String, _ path: String, _ body: String, token: String? = nil) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: endpoint + path)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.timeoutInterval = 5
        if let token { request.setValue(token, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// The keys under `prefix`, decoded, sorted.
    static func keys(_ endpoint: String, prefix: String, token: String? = nil) async throws -> [String] {
        let end = prefix.dropLast() + String(UnicodeScalar(prefix.unicodeScalars.last!.value + 1)!)
        let answer = try await post(endpoint, "/v3/kv/range", #"{"key":"\#(base64(prefix))","range_end":"\#(base64(String(end)))","keys_only":true}"#, token: token)
        struct Range: Decodable { struct KV: Decodable { var key: String }; var kvs: [KV]? }
        let range = try JSONDecoder().decode(Range.self, from: Data(answer.body.utf8))
        return (range.kvs ?? []).map { String(decoding: Data(base64Encoded: $0.key)!, as: UTF8.self) }.sorted()
    }
}
