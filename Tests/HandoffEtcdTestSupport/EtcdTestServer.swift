#if DEBUG  // test support: built for the tests only (see Package.swift)
import Foundation
import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffEtcd
@testable import HandoffTestSupport

/// A private etcd for tests: installed from the system's packages if missing (once per run),
/// started on free loopback ports with a temporary data directory, and stopped by ``stop()`` or
/// at the end of the test process.
///
/// Beside each etcd runs a watchdog shell that reads its standard input from a pipe this
/// process holds: when this process exits for any reason (a crash included), the pipe closes
/// and the watchdog kills etcd and removes its data directory. Heartbeat 50 ms and election
/// timeout 500 ms make etcd elect itself quickly and honour a lease TTL of 1 s (its minimum TTL
/// is 1.5 election timeouts, rounded up to whole seconds).
final class EtcdTestServer: Sendable {
    static let binary = "/usr/bin/etcd"

    let clientPort: UInt16
    let peerPort: UInt16
    let dataDirectory: String
    let extraArguments: [String]
    private struct Running: @unchecked Sendable {  // used under the lock only
        var etcd: Process
        var exited: AsyncStream<Int32>
        var watchdog: Process
        var control: Pipe
    }
    private let running = Mutex<Running?>(nil)

    var endpoint: String { "http://127.0.0.1:\(clientPort)" }
    var url: String { "etcd://127.0.0.1:\(clientPort)" }

    /// The one server that tests without needs of their own share (each uses its own prefix).
    static func shared() async throws -> EtcdTestServer {
        try await SharedServer.instance.get()
    }

    /// Runs `body` with a server of its own, stopped (and its data removed) afterwards.
    static func with(_ body: (EtcdTestServer) async throws -> Void) async throws {
        let server = try await start()
        do { try await body(server) } catch {
            await server.stop(removingData: true)
            throw error
        }
        await server.stop(removingData: true)
    }

    /// Runs `body` with a server of its own started with `arguments(endpoint)` added to etcd's
    /// command line (its plain `http` endpoint, for arguments that name it), stopped afterwards.
    static func with(arguments: @escaping @Sendable (String) -> [String], _ body: (EtcdTestServer) async throws -> Void) async throws {
        let server = try await start(arguments: arguments)
        do { try await body(server) } catch {
            await server.stop(removingData: true)
            throw error
        }
        await server.stop(removingData: true)
    }

    /// Starts a server of its own; `arguments` are added to etcd's command line.
    static func start(arguments: [String] = []) async throws -> EtcdTestServer {
        try await start(arguments: { _ in arguments })
    }

    /// Starts a server of its own; `arguments(endpoint)` are added to etcd's command line.
    static func start(arguments: @Sendable (String) -> [String]) async throws -> EtcdTestServer {
        try await installed()
        var lastError: (any Error)?
        for _ in 0..<3 {  // ports found free can be taken by someone else before etcd binds them
            let ports = try Client.freePorts(2)
            let directory = "/dev/shm/handoff-etcd-\(UUID().uuidString.prefix(8))"
            let server = EtcdTestServer(clientPort: ports[0], peerPort: ports[1], dataDirectory: directory,
                                        extraArguments: arguments("http://127.0.0.1:\(ports[0])"))
            do {
                try await server.run()
                return server
            } catch {
                await server.stop(removingData: true)
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

    deinit {
        // Last resort (a test that did not stop its server): the watchdog kills it.
        running.withLock { $0.map { try? $0.control.fileHandleForWriting.close() } }
    }

    /// Starts etcd (again, with the same ports and data) and waits until it answers.
    func run() async throws {
        let peer = "http://127.0.0.1:\(peerPort)"
        let etcd = Process()
        etcd.executableURL = URL(fileURLWithPath: EtcdTestServer.binary)
        etcd.arguments = [
            "--name", "test", "--data-dir", dataDirectory,
            "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "test=\(peer)",
            "--heartbeat-interval", "50", "--election-timeout", "500",
        ] + extraArguments
        if !FileManager.default.fileExists(atPath: dataDirectory + ".log") {
            _ = FileManager.default.createFile(atPath: dataDirectory + ".log", contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + ".log"))
        try log.seekToEnd()
        etcd.standardOutput = log
        etcd.standardError = log
        etcd.standardInput = FileHandle.nullDevice
        let (exited, exit) = AsyncStream<Int32>.makeStream()
        etcd.terminationHandler = { exit.yield($0.terminationStatus); exit.finish() }
        try etcd.run()
        try? log.close()

        // The watchdog: the end of its input (this process gone) kills etcd and removes its data.
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = ["-c", #"read -r line; [ "$line" = stopped ] || { kill -9 "$1"; rm -rf "$2" "$2.log"; }"#,
                              "watchdog", String(etcd.processIdentifier), dataDirectory]
        let control = Pipe()
        // Our end must not leak into other children, or the watchdog would not see the end of
        // its input when this process exits.
        let flags = fcntl(control.fileHandleForWriting.fileDescriptor, F_GETFD)
        guard flags >= 0, fcntl(control.fileHandleForWriting.fileDescriptor, F_SETFD, flags | FD_CLOEXEC) == 0 else {
            throw EtcdTestFailure("fcntl(FD_CLOEXEC): errno \(errno)")
        }
        watchdog.standardInput = control
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try watchdog.run()
        running.withLock { $0 = Running(etcd: etcd, exited: exited, watchdog: watchdog, control: control) }
        try await waitUntilHealthy(etcd)
    }

    /// Stops etcd (SIGTERM) and waits until it has exited; with `removingData` false, the data
    /// stays for ``run()`` to start it again.
    func stop(removingData: Bool = false) async {
        guard let current = running.withLock({ state -> Running? in defer { state = nil }; return state }) else {
            if removingData { removeData() }
            return
        }
        if current.etcd.isRunning { kill(current.etcd.processIdentifier, SIGTERM) }
        for await _ in current.exited {}
        try? current.control.fileHandleForWriting.write(contentsOf: Data("stopped\n".utf8))
        try? current.control.fileHandleForWriting.close()
        if removingData { removeData() }
    }

    private func removeData() {
        try? FileManager.default.removeItem(atPath: dataDirectory)
        try? FileManager.default.removeItem(atPath: dataDirectory + ".log")
    }

    /// What etcd logged, for failure messages.
    var log: String { (try? String(contentsOfFile: dataDirectory + ".log", encoding: .utf8)) ?? "" }

    private func waitUntilHealthy(_ process: Process) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { break }
            // Up and with a leader: it answers a read, or refuses it for want of credentials.
            if let answer = try? await EtcdHTTP.post(endpoint, "/v3/kv/range", #"{"key":"AA=="}"#),
               answer.status == 200 || answer.body.contains("user name is empty") { return }
            try await Task.sleep(for: .milliseconds(20))  // polling with a deadline
        }
        throw EtcdTestFailure("etcd did not answer on \(endpoint) within 20 s; its log:\n\(log.suffix(2000))")
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

/// Raw requests to the JSON gateway, for tests that look at or change keys behind the store
/// (through the store's own HTTP/1.1 transport: `URLSession` stops the process on the trailers
/// of the gateway's error answers).
enum EtcdHTTP {
    static let transport = EtcdSocketTransport()

    static func post(_ endpoint: String, _ path: String, _ body: String, token: String? = nil) async throws -> (status: Int, body: String) {
        let request = EtcdHTTPRequest(endpoint: EtcdEndpoint(URL(string: endpoint)!)!, path: path, body: Data(body.utf8), token: token, timeout: .seconds(5))
        let result = await withCheckedContinuation { continuation in
            transport.post(request) { continuation.resume(returning: $0) }
        }
        let response = try result.get()
        return (response.status, String(decoding: response.body, as: UTF8.self))
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
#endif
