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
    /// - Throws: ``SystemCallError`` naming `open`.
    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemCallError("open(\(path))") }
    }

    deinit { close(fd) }

    /// Appends each id on a line of its own, with one `write(2)`.
    /// - Throws: ``SystemCallError`` naming `write` if it failed or wrote short.
    func append(_ ids: [Int]) async throws {
        let line = Array(ids.map { "\($0)\n" }.joined().utf8)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async { [fd] in
                let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written == line.count {
                    continuation.resume()
                } else {
                    continuation.resume(throwing: SystemCallError(written < 0 ? "write" : "write (short)"))
                }
            }
        }
    }
}
