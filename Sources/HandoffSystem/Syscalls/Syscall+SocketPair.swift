#if canImport(Glibc)
import Glibc
#endif

extension Syscall {
    /// A connected pair of Unix stream sockets, close-on-exec: two ends of one channel in one
    /// process (HandoffTesting's in-process handover).
    /// - Throws: ``HandoffError`` naming `socketpair` and its errno.
    package static func socketPair() throws(HandoffError) -> (CInt, CInt) {
        var pair: [CInt] = [-1, -1]
        try check("socketpair") { socketpair(AF_UNIX, streamSocket | closeOnExecSocket, 0, &pair) }
        return (pair[0], pair[1])
    }
}
