import Foundation

/// The baseline of an upgrade: the same binary started and run to its exit with nothing to do
/// (`--help` for the demo, `FIXTURE_EXIT_IMMEDIATELY=1` for the fixture), spawned with
/// `posix_spawn` and reaped with `waitpid`, so loading, the runtime's start and `exit` are
/// counted and the handoff protocol is not. READY minus this is the protocol's own cost.
struct BareStart {
    let binary: String
    let arguments: [String]
    let environment: [String: String]

    /// One start → exit.
    func measure() throws -> Duration {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let start = ContinuousClock.now
        let spawned = posix_spawn(&pid, binary, &actions, nil, argv, envp)
        guard spawned == 0 else { throw LineWatcher.Timeout(description: "posix_spawn(\(binary)) failed: errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let end = ContinuousClock.now
        guard status == 0 else { throw LineWatcher.Timeout(description: "\(binary) \(arguments) exited with status \(status)") }
        return end - start
    }
}
