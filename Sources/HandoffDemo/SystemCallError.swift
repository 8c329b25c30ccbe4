import HandoffSystem
import HandoffServices
import HandoffOperations

/// A system call that failed, with the `errno` it left.
struct SystemCallError: Error, CustomStringConvertible {
    /// The C function that failed, such as `"epoll_ctl"`.
    var call: String
    /// The `errno` value it set.
    var errorNumber: CInt

    /// Captures the current `errno` for a call that has just failed.
    init(_ call: String, errorNumber: CInt = errno) {
        self.call = call
        self.errorNumber = errorNumber
    }

    var description: String {
        "\(call): \(String(cString: strerror(errorNumber))) (errno \(errorNumber))"
    }
}
