import HandoffSystem
import HandoffServices
import HandoffOperations
/// handoffctl's help texts.
enum CtlHelp {
    static let exitStatuses = """
        Exit status:
          0  it worked (the upgrade took over; every envelope checks out; the store was listed)
          1  it did not (the upgrade failed or was refused; an envelope is damaged; the
             process refused the request), with the reason on standard error
          2  the command line is wrong
          3  the process, file or store cannot be reached, or is not in this build
        """

    static let socketOptions = """
          --socket PATH    The process's control socket (default: $HANDOFF_CONTROL_SOCKET).
          --program NAME   Use NAME's default socket path instead (see ControlConfiguration).
          --timeout SECS   Give up waiting for the answer after SECS seconds.
        """

    static let general = """
        Usage: handoffctl [--json] COMMAND [OPTIONS]

        Operate a Handoff process: upgrade it, ask where it stands, read its state files.

        Commands:
          upgrade    Upgrade the process now and wait: prints the new pid, or why it failed.
          status     Pid, generation, upgrade state, services and listeners of the process.
          inspect    What an envelope file holds and whether it checks out.
          offers     The state waiting in a store for a process to claim it.
          help       Help on a command (or --help after it).

        Options everywhere:
          --json           Print one JSON document on standard output.
          --help, -h       Print help.

        \(exitStatuses)
        """

    static let upgrade = """
        Usage: handoffctl upgrade [--socket PATH | --program NAME] [--timeout SECS] [--json]

        Asks the process to upgrade (as SIGHUP does) and waits until it is over. Prints the
        pid of the process that took over; on failure prints the reason and exits 1: the old
        process serves on.

        \(socketOptions)

        \(exitStatuses)
        """

    static let status = """
        Usage: handoffctl status [--socket PATH | --program NAME] [--timeout SECS] [--json]

        Prints the process's pid, generation, upgrade state (serving, upgrading, taking-over,
        awaiting-predecessor-exit, replaced…), its services with their state and health,
        and the named descriptors it passes to successors.

        \(socketOptions)

        \(exitStatuses)
        """

    static let inspect = """
        Usage: handoffctl inspect FILE... [--json]

        Reads envelope files (a DirectoryStore's offers, Fixtures/envelopes) and prints each
        one's label, key, state version, codec, sizes, checksum verdict, producer and creation
        time. Exits 1 if any is damaged (bad magic, checksum mismatch, truncated…).

        \(exitStatuses)
        """

    static let offers = """
        Usage: handoffctl offers --store dir:PATH|etcd://HOST:PORT [--label LABEL] [--json]

        Lists the state offers waiting in a store — offered, expired, claimed, or abandoned by
        a claimer that died — without taking any. etcd:// is refused while this build has no
        etcd store.

        \(exitStatuses)
        """

    static func text(for command: String?) -> String? {
        switch command {
        case nil, "help": general
        case "upgrade": upgrade
        case "status": status
        case "inspect": inspect
        case "offers": offers
        default: nil
        }
    }
}
