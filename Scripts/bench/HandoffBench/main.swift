// handoff-bench: drives the benchmarks under Scripts/bench and the traffic of Scripts/demo.sh.
//
//   handoff-bench upgrades --binary PATH [--count N] [--extra-fds N] [--keeper] [-- ARGS…]
//       Starts PATH (the demo, or the fixture with --extra-fds), upgrades it N times with SIGHUP
//       and prints SIGHUP → new process READY and SIGHUP → old process gone (median, max). With
//       --keeper, then does the same through the keeper (HANDOFF_KEEPER=always) and prints the ratio.
//   handoff-bench pause --binary FIXTURE --bytes N [--count K]
//       Upgrades the fixture carrying N bytes of state K times; prints the handoff pause (old
//       process stops accepting → new process applied the state) and bytes/pause.
//   handoff-bench traffic --port P [--connections C] [--seconds S] [--path /count] [--method POST]
//       Keep-alive HTTP/1.1 GETs (or empty POSTs) from C connections for S seconds (or until SIGTERM/SIGINT);
//       prints requests, failures by kind, and the last /count value seen.
//   handoff-bench codec [--count N] [--runs R] [--ours-only]
//       Encodes and decodes N small records (default 200000) with HandoffBinaryEncoder/Decoder,
//       JSONEncoder/Decoder and binary PropertyListEncoder/Decoder; prints the best ms of R runs
//       (default 5) and the ratios.
//   handoff-bench stop-deadline [--services N] [--count K] [--deadline-ms D]
//       Stops N services (default 10) that ignore the graceful stop, K times (default 20), with
//       per-service deadlines of D ms and with a total deadline of N × D ms; prints how far past
//       the deadline each stop ended (median, max), and a cooperative stop for comparison.
//   handoff-bench etcd --endpoint URL --directory DIR [--secure-endpoint URL --ca F --cert F --key F]
//       Offer → claim → commit through an EtcdStore at URL for 1 KiB, 1 MiB and 5 MiB of state,
//       and through a DirectoryStore in DIR as the baseline: p50, p99, each step's p50, ratio;
//       with --secure-endpoint, also over https with that CA and client certificate, and its
//       ratio to plain http.
//   handoff-bench control --binary DEMO [--upgrades N] [--statuses M] [--notifications K]
//       status round trips over the control socket; upgrades by control request against
//       upgrades by SIGHUP (alternating); one sd_notify message against a send on a kept socket.
//   handoff-bench mailbox [--messages N] [--runs R] [--capacity C]
//       Messages/s through a Mailbox (each received and acknowledged) with 1 producer/1 consumer
//       and 4/4, against AsyncStream in the same run; prints the ratio.
//   handoff-bench slow-clients --port P [--count N] [--seconds S]
//       Keeps N connections (default 1000) sending one header byte a second to port P, a new
//       one for each the server closes, for S seconds (default 30) or until SIGTERM.
//   handoff-bench restart [--count N]
//       Time from a supervised worker's failure to its replacement running, with no backoff
//       (median, p99, max), one-for-one and one-for-all.
//   handoff-bench merge --endpoint URL --directory DIR [--rounds N]
//       A offers 1 KiB of state; running B (watching) claims, merges and commits it: offer →
//       merged p50, p99, through etcd and through a DirectoryStore (the baseline), with the ratio.
//   handoff-bench checkpoint [--checkpoints N]
//       The request-path pause per state checkpoint (snapshot + encode) for 1 KiB and 10 MiB,
//       against the same windows with no checkpoint.
import Foundation
import HandoffEtcd
import HandoffSystem
import HandoffServices
import HandoffOperations

signal(SIGPIPE, SIG_IGN)
let arguments = Array(CommandLine.arguments.dropFirst())

func option(_ name: String, in arguments: [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

switch arguments.first {
case "upgrades":
    guard let binary = option("--binary", in: arguments) else {
        complain("handoff-bench upgrades: --binary PATH is required\n")
        exit(2)
    }
    let passThrough = arguments.firstIndex(of: "--").map { Array(arguments[($0 + 1)...]) } ?? []
    let bench = UpgradeLatency(
        binary: binary,
        arguments: passThrough,
        count: option("--count", in: arguments).flatMap(Int.init) ?? 20,
        extraDescriptors: option("--extra-fds", in: arguments).flatMap(Int.init),
        keeper: arguments.contains("--keeper"))
    do {
        try bench.run()
    } catch {
        complain("handoff-bench upgrades: \(error)\n")
        exit(1)
    }
case "pause":
    guard let binary = option("--binary", in: arguments), let bytes = option("--bytes", in: arguments).flatMap(Int.init) else {
        complain("handoff-bench pause: --binary PATH and --bytes N are required\n")
        exit(2)
    }
    do {
        try HandoffPause(binary: binary, bytes: bytes, count: option("--count", in: arguments).flatMap(Int.init) ?? 5).run()
    } catch {
        complain("handoff-bench pause: \(error)\n")
        exit(1)
    }
case "traffic":
    guard let port = option("--port", in: arguments).flatMap(UInt16.init) else {
        complain("handoff-bench traffic: --port P is required\n")
        exit(2)
    }
    var traffic = Traffic(
        port: port,
        connections: option("--connections", in: arguments).flatMap(Int.init) ?? 8,
        seconds: option("--seconds", in: arguments).flatMap(Double.init) ?? 10,
        path: option("--path", in: arguments) ?? "/count")
    traffic.method = option("--method", in: arguments) ?? "GET"
    let report = traffic.run()
    say("\(report)")
    exit(report.failed == 0 ? 0 : 1)
case "codec":
    var bench = CodecBenchmark()
    bench.count = option("--count", in: arguments).flatMap(Int.init) ?? bench.count
    bench.runs = option("--runs", in: arguments).flatMap(Int.init) ?? bench.runs
    bench.oursOnly = arguments.contains("--ours-only")
    do {
        try bench.run()
    } catch {
        complain("handoff-bench codec: \(error)\n")
        exit(1)
    }
case "stop-deadline":
    var bench = StopDeadline()
    bench.services = option("--services", in: arguments).flatMap(Int.init) ?? bench.services
    bench.count = option("--count", in: arguments).flatMap(Int.init) ?? bench.count
    bench.deadline = .milliseconds(option("--deadline-ms", in: arguments).flatMap(Int.init) ?? 20)
    do {
        try await bench.run()
    } catch {
        complain("handoff-bench stop-deadline: \(error)\n")
        exit(1)
    }
case "etcd":
    guard let endpoint = option("--endpoint", in: arguments), let directory = option("--directory", in: arguments) else {
        complain("handoff-bench etcd: --endpoint URL and --directory DIR are required\n")
        exit(2)
    }
    var bench = EtcdStoreBenchmark(endpoint: endpoint, directory: directory)
    bench.secureEndpoint = option("--secure-endpoint", in: arguments)
    bench.tls = EtcdTLSConfiguration(
        trustedCAFile: option("--ca", in: arguments),
        certificateFile: option("--cert", in: arguments),
        privateKeyFile: option("--key", in: arguments))
    do {
        try await bench.run()
    } catch {
        complain("handoff-bench etcd: \(error)\n")
        exit(1)
    }
case "control":
    guard let binary = option("--binary", in: arguments) else {
        complain("handoff-bench control: --binary PATH is required\n")
        exit(2)
    }
    var bench = ControlBenchmark(binary: binary)
    bench.upgrades = option("--upgrades", in: arguments).flatMap(Int.init) ?? bench.upgrades
    bench.statuses = option("--statuses", in: arguments).flatMap(Int.init) ?? bench.statuses
    bench.notifications = option("--notifications", in: arguments).flatMap(Int.init) ?? bench.notifications
    do {
        try await bench.run()
    } catch {
        complain("handoff-bench control: \(error)\n")
        exit(1)
    }
case "mailbox":
    var bench = MailboxBenchmark()
    bench.messages = option("--messages", in: arguments).flatMap(Int.init) ?? bench.messages
    bench.runs = option("--runs", in: arguments).flatMap(Int.init) ?? bench.runs
    bench.capacity = option("--capacity", in: arguments).flatMap(Int.init) ?? bench.capacity
    do {
        try await bench.run()
    } catch {
        complain("handoff-bench mailbox: \(error)\n")
        exit(1)
    }
case "restart":
    var bench = RestartBenchmark()
    bench.count = option("--count", in: arguments).flatMap(Int.init) ?? bench.count
    do {
        try await bench.run()
    } catch {
        complain("handoff-bench restart: \(error)\n")
        exit(1)
    }
case "merge":
    guard let endpoint = option("--endpoint", in: arguments), let directory = option("--directory", in: arguments) else {
        complain("handoff-bench merge: --endpoint URL and --directory DIR are required\n")
        exit(2)
    }
    var bench = MergeBenchmark(endpoint: endpoint, directory: directory)
    bench.rounds = option("--rounds", in: arguments).flatMap(Int.init) ?? bench.rounds
    do {
        try await bench.run()
    } catch {
        complain("handoff-bench merge: \(error)\n")
        exit(1)
    }
case "checkpoint":
    var bench = CheckpointBenchmark()
    bench.checkpoints = option("--checkpoints", in: arguments).flatMap(Int.init) ?? bench.checkpoints
    do {
        try await bench.run()
    } catch {
        complain("handoff-bench checkpoint: \(error)\n")
        exit(1)
    }
case "slow-clients":
    guard let port = option("--port", in: arguments).flatMap(UInt16.init) else {
        complain("handoff-bench slow-clients: --port P is required\n")
        exit(2)
    }
    let bench = SlowClients(
        port: port, count: option("--count", in: arguments).flatMap(Int.init) ?? 1000,
        seconds: option("--seconds", in: arguments).flatMap(Int.init) ?? 30)
    do {
        try bench.run()
    } catch {
        complain("handoff-bench slow-clients: \(error)\n")
        exit(1)
    }
default:
    complain("usage: handoff-bench upgrades --binary PATH [--count N] [--extra-fds N] [-- ARGS...]\n       handoff-bench traffic --port P [--connections C] [--seconds S] [--path /count] [--method POST]\n       handoff-bench codec [--count N] [--runs R] [--ours-only]\n       handoff-bench stop-deadline [--services N] [--count K] [--deadline-ms D]\n       handoff-bench etcd --endpoint URL --directory DIR\n       handoff-bench control --binary DEMO [--upgrades N] [--statuses M] [--notifications K]\n       handoff-bench mailbox [--messages N] [--runs R] [--capacity C]\n       handoff-bench restart [--count N]\n       handoff-bench merge --endpoint URL --directory DIR [--rounds N]\n       handoff-bench checkpoint [--checkpoints N]\n       handoff-bench slow-clients --port P [--count N] [--seconds S]\n")
    exit(2)
}

/// Writes a line to stdout at once (the demo script reads it through a pipe).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func complain(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
