// handoff-store-fixture: one claimer or offerer of a DirectoryStore or an EtcdStore in its own
// process, for the tests of concurrent and crashed claimers. STORE is a directory, or an
// etcd://host:port/prefix URL (claims then held under a 2 s lease, renewed every 2/3 s).
//
//   handoff-store-fixture claim STORE LABEL KEY [--hold]
//       Claims with reader version 1000 and prints one line: `claimed <payload as UTF-8>`,
//       `none`, or `error <code>`. Commits and exits 0; with --hold, prints the line and then
//       blocks forever without committing (the test kills it).
//   handoff-store-fixture offer STORE LABEL KEY TEXT
//       Offers TEXT's UTF-8 as a binary-codec envelope (state version 1, oldest reader 1) and
//       prints `offered` or `error <code>`.
//
// Exit status: 0 for `claimed`, `none` and `offered`; 1 for `error`; 2 for bad usage.
import Handoff
import HandoffEtcd
import HandoffSystem
import HandoffServices
import HandoffOperations

/// Writes one whole line to `fd` with write(2): unbuffered, so it is out before any kill.
func writeLine(_ text: String, to fd: Int32) {
    try? Syscall.writeAll(fd, Array((text + "\n").utf8))
}

func say(_ line: String) { writeLine(line, to: 1) }
func complain(_ text: String) { writeLine(text, to: 2) }

func hostName() -> String {
    let name = Syscall.hostName
    return name == "unknown" ? "" : name
}

func nowNanoseconds() -> Int64 {
    SystemClock.realtimeNanoseconds()
}

func code(of error: any Error) -> String {
    (error as? HandoffError)?.code.name ?? "unknown"
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 4 else {
    complain("usage: handoff-store-fixture claim DIR LABEL KEY [--hold] | offer DIR LABEL KEY TEXT")
    Syscall.exit(2)
}
let (command, directory, label, key) = (arguments[0], arguments[1], arguments[2], arguments[3])

/// The store `STORE` names.
func openStore(_ spec: String) throws -> any HandoffStore {
    guard spec.hasPrefix("etcd://") else { return try DirectoryStore(directory: spec) }
    var configuration = try EtcdConfiguration(parsing: spec)
    configuration.claimTTL = .seconds(2)
    return try EtcdStore(configuration: configuration)
}

do {
    let store = try openStore(directory)
    switch command {
    case "claim":
        let hold = arguments.dropFirst(4).contains("--hold")
        guard let claim = try await store.claim(label: label, key: key, readerVersion: 1000) else {
            say("none")
            Syscall.exit(0)
        }
        say("claimed \(String(decoding: claim.envelope.payload, as: UTF8.self))")
        if hold {
            Syscall.pauseForever()
        }
        try await store.commit(claim)
        Syscall.exit(0)
    case "offer":
        guard arguments.count == 5 else {
            complain("usage: handoff-store-fixture offer DIR LABEL KEY TEXT")
            Syscall.exit(2)
        }
        let header = EnvelopeHeader(
            label: label, key: key, stateVersion: 1, oldestReaderVersion: 1, codec: .binary,
            createdAtNanoseconds: nowNanoseconds(),
            producer: Envelope.Producer(pid: Syscall.processID, host: hostName(), build: "handoff-store-fixture"))
        try await store.offer(Envelope(header: header, payload: Array(arguments[4].utf8)), ttl: nil)
        say("offered")
        Syscall.exit(0)
    default:
        complain("unknown command \(command)")
        Syscall.exit(2)
    }
} catch {
    complain("\(error)")
    say("error \(code(of: error))")
    Syscall.exit(1)
}
