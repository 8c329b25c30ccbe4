import HandoffSystem
import HandoffServices
import HandoffOperations
/// handoffctl's exit statuses (also in `handoffctl --help`).
enum CtlExit: Int32 {
    /// It worked: the upgrade took over, the envelope checks out, the listing was read.
    case success = 0
    /// It did not: the upgrade failed or was refused, an envelope is damaged or unreadable by
    /// this format, the process refused the request.
    case failed = 1
    /// The command line is wrong.
    case usage = 2
    /// The process, file or store could not be reached, or is not available in this build.
    case unavailable = 3
}

/// A failure that ends handoffctl with a status and a message on standard error.
struct CtlFailure: Error {
    var status: CtlExit
    var message: String
    /// What `--json` prints on standard output.
    var json: [String: JSONValue]?
    /// What to print on standard output all the same (`inspect`'s findings).
    var output: String? = nil
}
