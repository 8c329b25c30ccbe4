#if canImport(Glibc)
import Glibc
#endif
import Handoff
import HandoffHummingbird
import Hummingbird
import Logging
import ServiceLifecycle

// handoff-hummingbird: the demo's routes on Hummingbird, upgraded on SIGHUP.
//   --listen HOST:PORT   (repeatable; default 127.0.0.1:8080)
//   --pid-file PATH      the PID file the upgrader keeps
//   --state-dir PATH     where the state is offered on a stop (default: the library's)
//   --drain handover|quiesce   hand idle connections over (default) or Hummingbird's own drain
// Every log line is "handoff-hummingbird pid=<pid> <message>" on stderr. For the tests: with
// HANDOFF_HUMMINGBIRD_FAULT_FILE naming a file that exists, a successor exits right after READY.

struct Options {
    var listen: [String] = []
    var pidFile: String?
    var stateDirectory: String?
    var drain = HandoffDrainMode.handOver

    init(_ arguments: [String]) throws {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            guard let value = iterator.next() else { throw HandoffError(.invalidArgument, "\(argument) needs a value") }
            switch argument {
            case "--listen": listen.append(value)
            case "--pid-file": pidFile = value
            case "--state-dir": stateDirectory = value
            case "--drain":
                switch value {
                case "handover": drain = .handOver
                case "quiesce": drain = .quiesce
                default: throw HandoffError(.invalidArgument, "--drain takes handover or quiesce, not \(value)")
                }
            default: throw HandoffError(.invalidArgument, "unknown option \(argument)")
            }
        }
        if listen.isEmpty { listen = ["127.0.0.1:8080"] }
    }
}

/// `HOST:PORT` of a listening socket, for the `listening=` log line.
func localName(of fd: CInt) -> String {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let rc = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard rc == 0, address.sin_family == sa_family_t(AF_INET) else { return "?" }
    var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
    var inAddress = address.sin_addr
    inet_ntop(AF_INET, &inAddress, &text, socklen_t(text.count))
    return "\(text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }):\(UInt16(bigEndian: address.sin_port))"
}

/// One line per message on stderr: "handoff-hummingbird pid=<pid> <message>".
struct LineLogHandler: LogHandler {
    var logLevel = Logger.Level.info
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let line = Array("handoff-hummingbird pid=\(getpid()) \(event.message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}

LoggingSystem.bootstrap { _ in LineLogHandler() }
let logger = Logger(label: "handoff-hummingbird")
let status: CInt
do {
    let options = try Options(CommandLine.arguments)
    var configuration = UpgraderConfiguration(pidFile: options.pidFile)
    if let directory = options.stateDirectory { configuration.store = try DirectoryStore(directory: directory) }
    let upgrader = try await Upgrader(configuration: configuration)
    let state = CounterState()
    try upgrader.state.register(state)
    let listeners = try options.listen.map { SharedListener(descriptor: try upgrader.descriptors.listener(try SocketEndpoint(parsing: $0))) }

    let pid = getpid()
    let generation = upgrader.generation
    let router = Router()
    router.get("/") { _, _ in "pid=\(pid) generation=\(generation)\n" }
    router.get("/count") { _, _ in "\(state.incrementCount())\n" }
    router.get("/kv/:key") { _, context -> Response in
        guard let value = state.value(forKey: try context.parameters.require("key")) else { return Response(status: .notFound) }
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: value)))
    }
    router.put("/kv/:key") { request, context -> HTTPResponse.Status in
        let key = try context.parameters.require("key")
        let body = try await request.body.collect(upTo: 64 * 1024)
        return state.store(String(buffer: body), forKey: key) ? .noContent : HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
    }
    let server = HandoffHTTPServer(
        listeners: listeners,
        responder: HandoffHTTPServer.responder(router.buildResponder()) { _ = await upgrader.state.restored() },
        mode: options.drain,
        logger: logger)
    let faultFile = getenv("HANDOFF_HUMMINGBIRD_FAULT_FILE").map { String(cString: $0) }
    let runner = UpgraderRunner(
        upgrader: upgrader, server: server, logger: logger,
        onListening: {
            for listener in listeners { logger.info("listening=\(localName(of: listener.descriptor))") }
        },
        afterReady: {
            if generation > 1, let faultFile, access(faultFile, F_OK) == 0 {
                logger.info("fault=die-after-ready")
                exit(3)
            }
        })
    let group = ServiceGroup(configuration: .init(
        services: [
            .init(service: server),
            .init(service: runner, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
        ],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    try await group.run()
    if upgrader.isReplaced { logger.info("state=replaced") }
    try await upgrader.shutdown()
    status = 0
} catch {
    logger.error("state=failed error=\(error)")
    status = 1
}
exit(status)
