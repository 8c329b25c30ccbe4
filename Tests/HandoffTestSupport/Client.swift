#if DEBUG  // test support: built for the tests only (see Package.swift)
import Foundation
@testable import HandoffSystem

/// Plain TCP clients of 127.0.0.1.
enum Client {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Loopback TCP ports that were free a moment ago: all held at once while they are picked,
    /// so they differ.
    static func freePorts(_ count: Int) throws -> [UInt16] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        return try (0..<count).map { _ in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else { throw Failure(description: "bind: errno \(errno)") }
            return UInt16(bigEndian: address.sin_port)
        }
    }

    /// A loopback TCP port that was free a moment ago.
    static func freePort() throws -> UInt16 { try freePorts(1)[0] }

    /// A connected socket to 127.0.0.1:`port`, with a 10 s receive timeout; the caller closes it.
    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "connect to port \(port): errno \(errno)")
        }
        return fd
    }

    /// The fixture's answer, "pid=<pid> generation=<n>": connect and read until the server closes.
    static func ask(port: UInt16) throws -> String {
        let fd = try connect(port: port)
        defer { close(fd) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 { throw Failure(description: "recv: errno \(errno)") }
            if count == 0 { break }
            answer += buffer[0..<count]
        }
        return String(decoding: answer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Who answered: the "pid=<pid> generation=<n>" part of the fixture's answer.
    static func who(port: UInt16) throws -> String {
        try ask(port: port).split(separator: " ").prefix(2).joined(separator: " ")
    }

    /// The count the fixture answered with, and who answered.
    static func count(port: UInt16) throws -> (who: String, count: Int) {
        let answer = try ask(port: port)
        let fields = answer.split(separator: " ")
        let count = fields.first { $0.hasPrefix("count=") }.flatMap { Int($0.dropFirst(6)) } ?? -1
        return (fields.prefix(2).joined(separator: " "), count)
    }
}
#endif
