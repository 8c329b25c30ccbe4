// handoff-fixture: a small server the tests run through real upgrades.
//
// Every generation serves on the listener "main" (FIXTURE_LISTEN, default 127.0.0.1:0): a client
// that connects reads "pid=<pid> generation=<n>\n". Each line the fixture prints on stdout starts
// with "handoff-fixture pid=<pid> generation=<n>", so a test reading the shared stdout knows who spoke.
//
// A successor's behaviour is scripted by the plan file FIXTURE_PLAN (read once at its start),
// so a test can "deploy" a bad binary and then a good one:
//   ready             behave (the default)
//   exit-before-ready exit with status 3 before READY
//   hang              never become ready
//   garbage           write bytes that are not a frame on the control channel
//   die-after-ready   say READY, then exit with status 4 before taking over
//   refuse            say READY, then refuse the handover with NACK
// Other knobs: FIXTURE_KINDS=DIR (the first generation opens one descriptor of every kind under
// DIR; successors claim and report them), FIXTURE_EXTRA_FDS=N (N extra files to pass on),
// FIXTURE_LEAK_FD=1 (open a descriptor without close-on-exec, to prove it does not leak),
// FIXTURE_UPGRADE_TIMEOUT_MS, FIXTURE_PID_FILE.
import Foundation
import Handoff

let entryDescriptors = FixtureSupport.openDescriptors()
signal(SIGPIPE, SIG_IGN)
FixtureSupport.raiseDescriptorLimit()

let environment = ProcessInfo.processInfo.environment
let isSuccessor = environment["HANDOFF_CONTROL_FD"] != nil
let plan = isSuccessor ? FixtureSupport.readPlan(environment["FIXTURE_PLAN"]) : "ready"
// A raw handle on the control channel, for the plans that misbehave on it.
let rawControl: CInt = isSuccessor && plan != "ready" ? dup(3) : -1

var configuration = UpgraderConfiguration(pidFile: environment["FIXTURE_PID_FILE"])
if let timeout = environment["FIXTURE_UPGRADE_TIMEOUT_MS"].flatMap(Int.init) {
    configuration.upgradeTimeout = .milliseconds(timeout)
}

let upgrader: Upgrader
do {
    upgrader = try await Upgrader(configuration: configuration)
} catch {
    FixtureSupport.say("inherit-failed reason=\"\(error)\"", generation: 0)
    exit(2)
}
let generation = upgrader.generation
func say(_ text: String) { FixtureSupport.say(text, generation: generation) }

let eventTask = Task {
    for await event in upgrader.events() { say("event \(event)") }
}

if environment["FIXTURE_LEAK_FD"] == "1" { _ = open("/dev/null", O_RDONLY) }  // no O_CLOEXEC, on purpose

let listener = try upgrader.descriptors.listener(try SocketAddress(parsing: environment["FIXTURE_LISTEN"] ?? "127.0.0.1:0"), name: "main")
let server = FixtureServer(listener: listener, generation: generation)
server.start()

if let directory = environment["FIXTURE_KINDS"] {
    for line in try DescriptorKinds.obtainAll(upgrader.descriptors, directory: directory, port: FixtureSupport.port(of: listener)) {
        say(line)
    }
}
if let count = environment["FIXTURE_EXTRA_FDS"].flatMap(Int.init) {
    var claimed = 0
    for index in 0..<count {
        _ = try upgrader.descriptors.file("/dev/null", name: "extra-\(index)", flags: O_RDONLY)
        claimed += 1
    }
    say("extra=\(claimed)")
}

say("started port=\(FixtureSupport.port(of: listener)) plan=\(plan) entry-fds=\(entryDescriptors.map(String.init).joined(separator: ","))")

switch plan {
case "exit-before-ready":
    exit(3)
case "hang":
    while true { pause() }
case "garbage":
    _ = write(rawControl, "this is not a frame at all\n", 27)
    while true { pause() }
default:
    break
}

try await upgrader.ready()
say("ready")

switch plan {
case "die-after-ready":
    exit(4)
case "refuse":
    let nack = Frame(.nack, payload: [0, 7] + Array("refused".utf8)).encoded()
    _ = write(rawControl, nack, nack.count)
    while true { pause() }
default:
    break
}

let terminate = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .main)
signal(SIGTERM, SIG_IGN)
terminate.setEventHandler {
    say("stopping")
    upgrader.descriptors.closeAll()
    exit(0)
}
terminate.resume()

do {
    try await upgrader.run(participant: server)
    say("exiting replaced")
    exit(0)
} catch {
    say("run-failed reason=\"\(error)\"")
    exit(1)
}
