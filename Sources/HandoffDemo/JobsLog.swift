import Dispatch
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The file `--jobs-log` names: one persisted job id per line. Appends run on a queue of
/// their own, so the workers never block the cooperative pool on the disk.
final class JobsLog: Sendable {
    private let fd: CInt
    private let queue = DispatchQueue(label: "handoff-demo.jobs-log")

    /// Opens (creating it if needed) `path` for appending; every generation appends to it.
    /// - Throws: ``HandoffError`` naming `open` and its errno.
    init(path: String) throws {
        fd = try Syscall.open(path, [.writeOnly, .create, .append], mode: 0o644)
    }

    deinit { Syscall.close(fd) }

    /// Appends each id on a line of its own, with one `write(2)`.
    /// - Throws: ``HandoffError`` naming `write` if it failed or wrote short.
    func append(_ ids: [Int]) async throws {
        let line = Array(ids.map { "\($0)\n" }.joined().utf8)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async { [fd] in
                let written = Result { () throws(HandoffError) in
                    try line.withUnsafeBytes { bytes in Result { () throws(HandoffError) in try Syscall.write(fd, bytes) } }.get()
                }
                switch written {
                case .success(line.count): continuation.resume()
                case .success: continuation.resume(throwing: HandoffError(.systemCall, "write: wrote short"))
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        }
    }
}
