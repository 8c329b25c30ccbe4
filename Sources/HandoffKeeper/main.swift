// handoff-keeper: the keeper as a container's entrypoint in front of a Handoff program.
//
//   handoff-keeper [--] PROGRAM [ARGS…]
//
// Runs PROGRAM (searched in $PATH unless it has a '/') as its child and stays PID 1: follows the
// current main process through MAINPID=, forwards SIGHUP/SIGTERM/SIGINT/SIGUSR1/SIGUSR2/SIGQUIT,
// reaps every child, and exits with the main process's status. The program's own Upgrader sees
// HANDOFF_KEEPER_PID and does not keep a second time. Not PID 1, it makes itself the child
// subreaper. The same loop as the keeper the Upgrader starts by itself (Sources/Handoff/Keeper).
import Handoff
import HandoffSystem

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--" { arguments.removeFirst() }
guard let program = arguments.first, !program.isEmpty, !program.hasPrefix("-") else {
    Syscall.writeToStandardError("usage: handoff-keeper [--] PROGRAM [ARGS...]\n")
    Syscall.exit(2)
}

/// PROGRAM as posix_spawn needs it: a path, looked up in $PATH when it names no directory.
func resolve(_ program: String) -> String {
    if program.contains("/") { return program }
    let path = Environment.value("PATH") ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") where !directory.isEmpty {
        let candidate = "\(directory)/\(program)"
        if Syscall.isExecutable(candidate) { return candidate }
    }
    return program  // posix_spawn reports ENOENT, and the keeper exits 127
}

Keeper.run(executablePath: resolve(program), arguments: arguments)
