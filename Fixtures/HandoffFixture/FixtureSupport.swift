import FoundationEssentials
import Glibc
import HandoffSystem
import HandoffServices
import HandoffOperations

/// Small pieces the fixture needs: reading its plan, listing its descriptors, printing lines.
enum FixtureSupport {
    /// The descriptors open right now, from /proc/self/fd (without the directory's own).
    static func openDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        let own = dirfd(directory)
        var result: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let fd = Int32(name), fd != own { result.append(fd) }
        }
        return result.sorted()
    }

    static func readPlan(_ path: String?) -> String {
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "ready" }
        let plan = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        return plan.isEmpty ? "ready" : plan
    }

    static func raiseDescriptorLimit() {
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
    }

    static func say(_ text: String, generation: Int) {
        let line = "handoff-fixture pid=\(getpid()) generation=\(generation) \(text)\n"
        _ = line.withCString { write(1, $0, strlen($0)) }
    }

    static func port(of fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: &storage) { Int(UInt16(bigEndian: $0.load(as: sockaddr_in.self).sin_port)) }
        case AF_INET6:
            return withUnsafeBytes(of: &storage) { Int(UInt16(bigEndian: $0.load(as: sockaddr_in6.self).sin6_port)) }
        default:
            return 0
        }
    }
}
