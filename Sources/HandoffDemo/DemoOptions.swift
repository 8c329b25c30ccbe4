import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The demo's command line.
struct DemoOptions: Sendable {
    /// A command line the demo cannot run with.
    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static let defaultListenAddress = "127.0.0.1:8080"

    static let usage = """
        Usage: handoff-demo [--listen HOST:PORT]... [--pid-file PATH] [--store STORE]
                            [--admin HOST:PORT] [--jobs-log PATH] [--config PATH]
                            [--feature.enable NAME]... [--control PATH] [--fd-store]
                            [--checkpoint-interval SECONDS]

        An HTTP/1.1 server that upgrades itself without downtime: send it SIGHUP after
        replacing its binary. SIGTERM or SIGINT stops it gracefully. Its counter and map
        survive both: handed to the new process, or kept in a state store for the next start.

        Options:
          --listen HOST:PORT  Address to serve on; repeatable (default \(defaultListenAddress),
                              "[::1]:8080" for IPv6, port 0 for any free port, fd:NAME for
                              the socket systemd passed as NAME: FileDescriptorName=).
          --pid-file PATH     File kept holding the pid of the process currently serving.
          --store STORE       Where the state waits between a stop and the next start:
                              dir:PATH, a directory on this host (default: the library's
                              store in the runtime directory); or
                              etcd://HOST:PORT[,HOST:PORT...][/PREFIX], an etcd cluster, so
                              an instance on another host can take it over (etcds:// for
                              https; USER:PASSWORD@ before the hosts for credentials). If etcd
                              cannot be reached at a stop, the state goes to the directory.
          --state-dir PATH    The same as --store dir:PATH; with an etcd store, the
                              directory it falls back to.
          --admin HOST:PORT   Serve the admin endpoint there (GET /health, /ready,
                              /metrics, /debug/services); off without it.
          --jobs-log PATH     Run the jobs pipeline (POST /jobs, GET /jobs): workers under a
                              supervisor append each job's id to PATH, exactly once across
                              upgrades.
          --config PATH       A JSON configuration file ("log", "features", "admin").
          --feature.enable NAME
                              Turn a feature flag on; repeatable.
          --control PATH      Answer handoffctl on a control socket at PATH (its directory
                              is made 0700).
          --fd-store          Keep the listeners and a state checkpoint in systemd's file
                              descriptor store (FileDescriptorStoreMax= in the unit).
          --checkpoint-interval SECONDS
                              Write the state to the store as a crash-durable checkpoint
                              this often (e.g. 0.5): if this instance is killed, a running
                              instance (or the next start) takes its last checkpoint once
                              it is gone (etcd: after the lease TTL, 10 s).
          --header-timeout-ms N
                              Close a client whose request header (or body) has not
                              arrived N ms after its first byte, with 408; the demo
                              server's and the admin endpoint's (default 10000).
          --help              Print this help.

        Environment: HANDOFF_LOG_FORMAT=json|text and HANDOFF_LOG_LEVEL=debug|info|warn|error
        set the lifecycle log on standard error (they win over --config).

        Routes: GET / (pid and generation), GET /count (increments a counter),
        PUT /kv/KEY (stores the body, at most 64 KiB) and GET /kv/KEY; with --jobs-log,
        POST /jobs (enqueues a job, 202 {"id":N}) and GET /jobs (accepted, done, pending,
        restarts as JSON).
        """

    /// Where to listen, in the order given.
    var listenAddresses: [String] = []
    var pidFile: String?
    /// The state store's directory; `nil` for the library's default store.
    var stateDirectory: String?
    /// An etcd store URL (`etcd://…`); `nil` for a directory store.
    var etcdStore: String?
    var showHelp = false
    /// Where the admin endpoint listens; `nil` for none.
    var adminAddress: String?
    /// Where the control socket listens; `nil` for none.
    var controlSocket: String?
    /// Whether to use systemd's file descriptor store.
    var storesDescriptors = false
    /// How often to checkpoint the state to the store; `nil`: never.
    var checkpointInterval: Duration?
    /// Where the jobs pipeline appends persisted job ids; `nil`: no pipeline.
    var jobsLog: String?
    /// How long a request's header or body may take to arrive; `nil` for the default.
    var headerTimeout: Duration?
    /// The lifecycle log on standard error, from `--config` and the environment.
    var logWriter = StderrLogWriter()

    /// Parses the arguments after the program name. `--name=value` works too.
    /// - Throws: ``UsageError`` for an unknown option or a missing value.
    static func parse(_ arguments: some Sequence<String>) throws(UsageError) -> DemoOptions {
        var options = DemoOptions()
        let common: HandoffOptions
        do {
            common = try HandoffOptions.parse(arguments)
        } catch {
            throw UsageError(description: error.reason)
        }
        options.logWriter = common.logWriter
        if common.admin.isEnabled { options.adminAddress = common.admin.address }
        var iterator = common.remainingArguments.makeIterator()
        while let argument = iterator.next() {
            var name = argument
            var inlineValue: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            func value() throws(UsageError) -> String {
                if let inlineValue { return inlineValue }
                guard let next = iterator.next() else {
                    throw UsageError(description: "\(name) needs a value")
                }
                return next
            }
            switch name {
            case "--listen": options.listenAddresses.append(try value())
            case "--pid-file": options.pidFile = try value()
            case "--state-dir": options.stateDirectory = try value()
            case "--admin": options.adminAddress = try value()
            case "--store":
                let store = try value()
                if store.hasPrefix("dir:") && store.count > 4 {
                    options.stateDirectory = String(store.dropFirst(4))
                } else if store.hasPrefix("etcd://") || store.hasPrefix("etcds://") {
                    options.etcdStore = store
                } else {
                    throw UsageError(description: "--store takes dir:PATH or etcd://HOST:PORT[,HOST:PORT...]; not \(store)")
                }
            case "--control": options.controlSocket = try value()
            case "--fd-store": options.storesDescriptors = true
            case "--checkpoint-interval":
                let text = try value()
                guard let seconds = Double(text), seconds > 0, seconds <= 86_400 else {
                    throw UsageError(description: "--checkpoint-interval takes a number of seconds between 0 and 86400; not \(text)")
                }
                options.checkpointInterval = .milliseconds(Int64((seconds * 1000).rounded(.up)))
            case "--jobs-log": options.jobsLog = try value()
            case "--header-timeout-ms":
                let text = try value()
                guard let milliseconds = Int(text), milliseconds > 0 else {
                    throw UsageError(description: "--header-timeout-ms takes a positive number of milliseconds; not \(text)")
                }
                options.headerTimeout = .milliseconds(milliseconds)
            case "--help", "-h": options.showHelp = true
            default: throw UsageError(description: "unknown argument \(argument)")
            }
        }
        if options.listenAddresses.isEmpty { options.listenAddresses = [defaultListenAddress] }
        return options
    }
}
