#if canImport(Glibc)
import Glibc
#endif

/// How ``Syscall/open(_:_:mode:)`` opens a file; every descriptor is opened close-on-exec.
public struct OpenFlags: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `O_RDWR | O_CREAT | O_APPEND`: the default of `Descriptors.file`.
    public static let appendOrCreate: OpenFlags = [.readWrite, .create, .append]

    /// `O_RDONLY` (the empty set).
    public static let readOnly: OpenFlags = []
    /// `O_WRONLY`.
    public static let writeOnly = OpenFlags(rawValue: O_WRONLY)
    /// `O_RDWR`.
    public static let readWrite = OpenFlags(rawValue: O_RDWR)
    /// `O_CREAT`.
    public static let create = OpenFlags(rawValue: O_CREAT)
    /// `O_EXCL`: with ``create``, fail with `EEXIST` if the name is taken.
    public static let exclusive = OpenFlags(rawValue: O_EXCL)
    /// `O_TRUNC`.
    public static let truncate = OpenFlags(rawValue: O_TRUNC)
    /// `O_APPEND`.
    public static let append = OpenFlags(rawValue: O_APPEND)
    /// `O_DIRECTORY`.
    public static let directory = OpenFlags(rawValue: O_DIRECTORY)
    /// `O_NONBLOCK`.
    public static let nonBlocking = OpenFlags(rawValue: O_NONBLOCK)
}

/// What `stat(2)` says of a file, in Swift types.
public struct FileStatus: Sendable, Equatable {
    /// The file's type, from `st_mode & S_IFMT`.
    public enum Kind: Sendable, Equatable {
        case regular, directory, socket, other
    }

    public var kind: Kind
    /// The permission bits (`st_mode & 0o7777`).
    public var permissions: UInt32
    public var size: Int
    /// `st_mtim` in nanoseconds since the epoch.
    public var modificationNanoseconds: Int64
    public var linkCount: Int
    public var owner: UInt32
    public var device: UInt64
    public var inode: UInt64

    @inlinable
    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFSOCK: kind = .socket
        default: kind = .other
        }
        permissions = UInt32(info.st_mode & 0o7777)
        size = Int(info.st_size)
        modificationNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        linkCount = Int(info.st_nlink)
        owner = UInt32(info.st_uid)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

extension Syscall {
    /// open(2), close-on-exec, retrying `EINTR`.
    /// - Throws: ``HandoffError`` naming `open(path)` and its errno.
    package static func open(_ path: String, _ flags: OpenFlags, mode: UInt32 = 0o600) throws(HandoffError) -> CInt {
        try check("open(\(path))") { Glibc.open(path, flags.rawValue | O_CLOEXEC, mode_t(mode)) }
    }

    /// open(2) of a path already in C form (a loop that must not allocate).
    package static func open(_ path: UnsafePointer<CChar>, _ flags: OpenFlags) throws(HandoffError) -> CInt {
        try check("open(\(String(cString: path)))") { Glibc.open(path, flags.rawValue | O_CLOEXEC) }
    }

    /// open(2) *without* close-on-exec: a descriptor a spawned program inherits. Only for tests
    /// of what happens to a descriptor the application forgot to mark.
    package static func openInheritable(_ path: String, _ flags: OpenFlags) throws(HandoffError) -> CInt {
        try check("open(\(path))") { Glibc.open(path, flags.rawValue) }
    }

    /// open(2) as ``open(_:_:mode:)``, but `nil` where the file does not exist (`ENOENT`).
    package static func openIfPresent(_ path: String, _ flags: OpenFlags, mode: UInt32 = 0o600) throws(HandoffError) -> CInt? {
        do {
            return try open(path, flags, mode: mode)
        } catch where error.errno == .noSuchFileOrDirectory {
            return nil
        }
    }

    /// read(2) into `buffer`, retrying `EINTR`: the bytes read, 0 at the end.
    @inlinable
    public static func read(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer, _ name: @autoclosure () -> String = "read") throws(HandoffError) -> Int {
        try check(name()) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// read(2) from a non-blocking descriptor: the bytes read (0 at the end), or `nil` if none
    /// are ready.
    @inlinable
    public static func readAvailable(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer, _ name: @autoclosure () -> String = "read") throws(HandoffError) -> Int? {
        try checkUnlessWouldBlock(name()) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// pread(2) at `offset`, retrying `EINTR`.
    package static func read(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, _ name: @autoclosure () -> String = "pread") throws(HandoffError) -> Int {
        try check(name()) { pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// write(2) of `buffer`, retrying `EINTR`: the bytes written (perhaps fewer).
    @inlinable
    public static func write(_ fd: CInt, _ buffer: UnsafeRawBufferPointer, _ name: @autoclosure () -> String = "write") throws(HandoffError) -> Int {
        try check(name()) { Glibc.write(fd, buffer.baseAddress, buffer.count) }
    }

    /// write(2) until all of `bytes` is written.
    /// - Throws: ``HandoffError`` naming the call; a write of nothing is a ``HandoffError/Code/systemCall`` too.
    package static func writeAll(_ fd: CInt, _ bytes: some Collection<UInt8>, _ name: @autoclosure () -> String = "write") throws(HandoffError) {
        let bytes = Array(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = try check(name()) {
                bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            }
            if written == 0 { throw HandoffError(.systemCall, "\(name()): wrote nothing") }
            offset += written
        }
    }

    /// Reads `fd` to its end (or its first `limit` bytes).
    package static func readAll(_ fd: CInt, limit: Int = .max, _ name: @autoclosure () -> String = "read") throws(HandoffError) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: Swift.min(limit, 16 * 1024))
        while bytes.count < limit {
            let wanted = Swift.min(buffer.count, limit - bytes.count)
            let count = try check(name()) {
                buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, wanted) }
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return bytes
    }

    /// pread(2) of the first `count` bytes of `fd` (fewer at its end).
    package static func readAll(_ fd: CInt, count: Int, fromOffset offset: Int = 0, _ name: @autoclosure () -> String = "pread") throws(HandoffError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = try check(name()) {
                bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            }
            if n == 0 { break }
            done += n
        }
        return Array(bytes.prefix(done))
    }

    /// fsync(2).
    package static func fsync(_ fd: CInt, _ name: @autoclosure () -> String = "fsync") throws(HandoffError) {
        try check(name()) { Glibc.fsync(fd) }
    }

    /// fsync(2) of a directory, best effort: so the names just made or removed in it survive a
    /// crash. Failing cannot undo a change other processes already see, so nothing is reported.
    package static func syncDirectory(_ path: String) {
        let fd = Glibc.open(path.isEmpty ? "/" : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = Glibc.fsync(fd)
        close(fd)
    }

    /// futimens(2): sets the access and modification times to `nanoseconds` since the epoch.
    package static func setTimes(_ fd: CInt, nanoseconds: Int64, _ name: @autoclosure () -> String = "futimens") throws(HandoffError) {
        let time = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var times = [time, time]
        try check(name()) { futimens(fd, &times) }
    }

    /// close(2) that reports its failure (not `EINTR`: on Linux the descriptor is gone either
    /// way), for a file whose close may report a failed write-back.
    package static func closeChecked(_ fd: CInt, _ name: @autoclosure () -> String = "close") throws(HandoffError) {
        if let injected = SyscallFaults.armed.load(ordering: .relaxed) ? SyscallFaults.current?.take(name()) : nil {
            Glibc.close(fd)
            throw HandoffError.system(name(), errno: injected.rawValue)
        }
        if Glibc.close(fd) != 0, errno != EINTR { throw HandoffError.system(name(), errno: errno) }
    }

    /// fstat(2).
    @inlinable
    public static func status(_ fd: CInt, _ name: @autoclosure () -> String = "fstat") throws(HandoffError) -> FileStatus {
        var info = stat()
        try check(name()) { fstat(fd, &info) }
        return FileStatus(info)
    }

    /// stat(2) (following symbolic links); `nil` if `path` does not exist or cannot be reached.
    package static func status(ofPath path: String) -> FileStatus? {
        var info = stat()
        return stat(path, &info) == 0 ? FileStatus(info) : nil
    }

    /// lstat(2); `nil` if `path` does not exist or cannot be reached.
    package static func linkStatus(_ path: String) -> FileStatus? {
        var info = stat()
        return lstat(path, &info) == 0 ? FileStatus(info) : nil
    }

    /// unlink(2).
    package static func unlink(_ path: String) throws(HandoffError) {
        try check("unlink(\(path))") { Glibc.unlink(path) }
    }

    /// unlink(2); `false` if it did not exist.
    @discardableResult
    package static func unlinkIfPresent(_ path: String) throws(HandoffError) -> Bool {
        do {
            try unlink(path)
            return true
        } catch where error.errno == .noSuchFileOrDirectory {
            return false
        }
    }

    /// unlink(2), best effort: for cleanup after another failure.
    package static func removeQuietly(_ path: String) {
        _ = Glibc.unlink(path)
    }

    /// rmdir(2), best effort: for cleanup.
    package static func removeDirectoryQuietly(_ path: String) {
        _ = Glibc.rmdir(path)
    }

    /// rename(2), which replaces `to`.
    package static func rename(_ from: String, _ to: String) throws(HandoffError) {
        try check("rename(\(from), \(to))") { Glibc.rename(from, to) }
    }

    /// link(2).
    package static func link(_ from: String, _ to: String) throws(HandoffError) {
        try check("link(\(from), \(to))") { Glibc.link(from, to) }
    }

    /// mkdir(2); `false` if the name existed already.
    @discardableResult
    package static func makeDirectory(_ path: String, mode: UInt32 = 0o700) throws(HandoffError) -> Bool {
        do {
            try check("mkdir(\(path))") { mkdir(path, mode_t(mode)) }
            return true
        } catch where error.errno == .fileExists {
            return false
        }
    }

    /// mkdtemp(3): a new directory, mode 0700, from `template` (ending in `XXXXXX`).
    package static func makeTemporaryDirectory(_ template: String) throws(HandoffError) -> String {
        var buffer = Array(template.utf8CString)
        try check("mkdtemp(\(template))") {
            buffer.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil ? Int32(0) : -1 }
        }
        return string(fromNulTerminated: buffer)
    }

    /// The names in `directory` (opendir/readdir), without `.` and `..`.
    package static func directoryNames(_ directory: String) throws(HandoffError) -> [String] {
        guard let stream = opendir(directory) else { throw HandoffError.system("opendir(\(directory))", errno: errno) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// readlink(2); `nil` if it fails.
    package static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// getcwd(3); `nil` if it fails.
    package static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return string(fromNulTerminated: buffer)
    }

    /// access(path, X_OK).
    package static func isExecutable(_ path: String) -> Bool {
        access(path, X_OK) == 0
    }

    /// dup(2) as fcntl(F_DUPFD_CLOEXEC): a close-on-exec copy of `fd`.
    @inlinable
    public static func duplicate(_ fd: CInt, _ name: @autoclosure () -> String = "fcntl(F_DUPFD_CLOEXEC)") throws(HandoffError) -> CInt {
        try check(name()) { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
    }

    /// Standard error's descriptor.
    package static let standardError: CInt = STDERR_FILENO
    /// Standard output's descriptor.
    package static let standardOutput: CInt = STDOUT_FILENO
    /// Standard input's descriptor.
    package static let standardInput: CInt = STDIN_FILENO

    /// Writes all of `text` to standard error, retrying `EINTR`; a failure is dropped (there is
    /// nowhere left to report it).
    /// chmod(2).
    package static func changeMode(_ path: String, _ mode: UInt32) throws(HandoffError) {
        try check("chmod(\(path), 0\(String(mode, radix: 8)))") { chmod(path, mode_t(mode)) }
    }

    package static func writeToStandardError(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
