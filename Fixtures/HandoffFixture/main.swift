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
//   old-reader        know only state version 1 (the first generation writes FIXTURE_STATE_VERSION)
//   peer SCENARIO     become Fixtures/peer/handoff_peer.py (FIXTURE_PEER_SCRIPT) as a hostile new binary
//   fault SIDE:STEP:ACTION  kill, stop or write a malformed frame at one step of an upgrade,
//                     as the old process (read at each step) or the new one (FixtureFault)
// State: each answer counts ("count=<n>"); the count is handoff state (FixtureCounter), stored in
// FIXTURE_STATE_DIR when the process stops for good.
// FIXTURE_STATE_BYTES=N adds N bytes of bulk state, for the handoff benchmarks
// (FIXTURE_MAX_STATE_BYTES raises the cap on one instance's state).
// Other knobs: FIXTURE_KINDS=DIR (the first generation opens one descriptor of every kind under
// DIR; successors claim and report them), FIXTURE_EXTRA_FDS=N (N extra files to pass on),
// FIXTURE_LEAK_FD=1 (open a descriptor without close-on-exec, to prove it does not leak),
// FIXTURE_UPGRADE_TIMEOUT_MS, FIXTURE_INHERIT_TIMEOUT_MS, FIXTURE_PID_FILE,
// FIXTURE_CONTROL_SOCKET=PATH (answer handoffctl there; every generation), FIXTURE_EXIT_IMMEDIATELY=1
// (exit at once: the upgrade benchmark's bare-start baseline).
import FoundationEssentials
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

// The upgrade benchmark's baseline: this binary's bare start → exit.
if Environment.value("FIXTURE_EXIT_IMMEDIATELY") != nil { Syscall.exit(0) }
let entryDescriptors = FixtureSupport.openDescriptors()
Syscall.ignore(.pipe)
FixtureSupport.raiseDescriptorLimit()

let environment = ProcessInfo.processInfo.environment
let isSuccessor = environment["HANDOFF_CONTROL_FD"] != nil
let plan = isSuccessor ? FixtureSupport.readPlan(environment["FIXTURE_PLAN"]) : "ready"
_ = FixtureStateConfig.version
if isSuccessor, plan.hasPrefix("peer "), let script = environment["FIXTURE_PEER_SCRIPT"] {
    // Become the Python peer (same pid, fd 3 still the control channel): Fixtures/peer.
    let arguments = ["env", "python3", script, "child", String(plan.dropFirst(5))]
    do { try Syscall.execute("/usr/bin/env", arguments) } catch {
        FixtureSupport.say("exec-failed errno=\(error.errno?.rawValue ?? 0)", generation: 0)
    }
    Syscall.exit(5)
}
// A raw handle on the control channel, for the plans that misbehave on it.
let rawControl: CInt = isSuccessor && (plan == "garbage" || plan == "refuse") ? ((try? Syscall.duplicate(3)) ?? -1) : -1

var configuration = UpgraderConfiguration(pidFile: environment["FIXTURE_PID_FILE"])
if let timeout = environment["FIXTURE_UPGRADE_TIMEOUT_MS"].flatMap(Int.init) {
    configuration.upgradeTimeout = .milliseconds(timeout)
}
if let cap = environment["FIXTURE_MAX_STATE_BYTES"].flatMap(Int.init) {
    configuration.maxStateSize = cap
}
if let directory = environment["FIXTURE_STATE_DIR"] {
    configuration.store = try DirectoryStore(directory: directory)
}
configuration.stepHook = FixtureFault.hook(startPlan: plan, planFile: environment["FIXTURE_PLAN"])
if let timeout = environment["FIXTURE_INHERIT_TIMEOUT_MS"].flatMap(Int.init) {
    configuration.inheritTimeout = .milliseconds(timeout)
}

let upgrader: Upgrader
do {
    upgrader = try await Upgrader(configuration: configuration)
} catch {
    FixtureSupport.say("inherit-failed reason=\"\(error)\"", generation: 0)
    Syscall.exit(2)
}
let generation = upgrader.generation
func say(_ text: String) { FixtureSupport.say(text, generation: generation) }

let eventTask = Task {
    for await event in upgrader.events() { say("event \(event)") }
}

if environment["FIXTURE_LEAK_FD"] == "1" { _ = try? Syscall.openInheritable("/dev/null", .readOnly) }  // no O_CLOEXEC, on purpose

let counter = FixtureCounter()
let note = FixtureNote()
note.text.withLock { $0 = "written by generation \(generation)" }
try upgrader.state.register(counter)
try upgrader.state.register(note)
let blob = environment["FIXTURE_STATE_BYTES"].flatMap(Int.init).map { FixtureBlob(count: $0) }
if let blob { try upgrader.state.register(blob) }

let listener = try upgrader.descriptors.listener(try SocketEndpoint(parsing: environment["FIXTURE_LISTEN"] ?? "127.0.0.1:0"), name: "main")
let server = FixtureServer(listener: listener, generation: generation, counter: counter)
server.start()
Task {
    let outcome = await upgrader.state.restored()
    say("restored \(outcome) count=\(counter.value)" + (blob.map { " blob=\($0.count)" } ?? ""))
    server.open()
}

if let directory = environment["FIXTURE_KINDS"] {
    for line in try DescriptorKinds.obtainAll(upgrader.descriptors, directory: directory, port: FixtureSupport.port(of: listener)) {
        say(line)
    }
}
if let count = environment["FIXTURE_EXTRA_FDS"].flatMap(Int.init) {
    var claimed = 0
    for index in 0..<count {
        _ = try upgrader.descriptors.file("/dev/null", name: "extra-\(index)", flags: OpenFlags.readOnly.rawValue)
        claimed += 1
    }
    say("extra=\(claimed)")
}

// The control socket, for handoffctl: every generation answers on the same inherited socket.
let control = try environment["FIXTURE_CONTROL_SOCKET"].map {
    try ControlServer(configuration: ControlConfiguration(socketPath: $0), upgrader: upgrader)
}
let controlTask = control.map { control in Task { try await control.run() } }

say("started port=\(FixtureSupport.port(of: listener)) plan=\(plan) entry-fds=\(entryDescriptors.map(String.init).joined(separator: ","))")

switch plan {
case "exit-before-ready":
    Syscall.exit(3)
case "hang":
    Syscall.pauseForever()
case "garbage":
    try? Syscall.writeAll(rawControl, Array("this is not a frame at all\n".utf8))
    Syscall.pauseForever()
default:
    break
}

try await upgrader.ready()
say("ready")

switch plan {
case "die-after-ready":
    Syscall.exit(4)
case "refuse":
    let nack = Frame(.nack, payload: [0, 7] + Array("refused".utf8)).encoded()
    try? Syscall.writeAll(rawControl, nack)
    Syscall.pauseForever()
default:
    break
}

let termination = TrappedSignals([Signal.terminate.rawValue])
Task {
    for await _ in termination.stream {
        say("stopping")
        do {
            try await upgrader.shutdown()
            say("stopped count=\(counter.value)")
            Syscall.exit(0)
        } catch {
            say("shutdown-failed reason=\"\(error)\"")
        }
    }
}

do {
    try await upgrader.run(participant: server)
    // Answer the upgrade request in hand before exiting.
    await control?.requestStop()
    _ = await controlTask?.result
    say("exiting replaced")
    Syscall.exit(0)
} catch {
    say("run-failed reason=\"\(error)\"")
    Syscall.exit(1)
}
