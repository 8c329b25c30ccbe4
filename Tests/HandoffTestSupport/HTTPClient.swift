#if DEBUG  // test support: built for the tests only (see Package.swift)
import Foundation
@testable import HandoffSystem

/// One keep-alive HTTP/1.1 connection to 127.0.0.1, written and read by hand so a test controls
/// exactly which bytes go when.
final class HTTPClient {
    typealias Failure = Client.Failure

    private let fd: Int32
    private var pending: [UInt8] = []

    init(port: UInt16) throws {
        fd = try Client.connect(port: port)
    }

    deinit { close(fd) }

    /// Sends raw bytes.
    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw Failure(description: "send: errno \(errno)")
        }
    }

    /// Reads one response and returns its status and body.
    func response() throws -> (status: Int, body: String) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let end = headerEnd() {
                let head = String(decoding: pending[..<end], as: UTF8.self)
                let lines = head.components(separatedBy: "\r\n")
                guard let status = Int(lines[0].dropFirst(9).prefix(3)) else { throw Failure(description: "bad status line \(lines[0])") }
                let length = lines.dropFirst().compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    return parts.count == 2 && parts[0].lowercased() == "content-length" ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
                }.first ?? 0
                if pending.count >= end + 4 + length {
                    let body = String(decoding: pending[(end + 4)..<(end + 4 + length)], as: UTF8.self)
                    pending.removeFirst(end + 4 + length)
                    return (status, body.trimmingCharacters(in: .whitespacesAndNewlines))
                }
            }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { throw Failure(description: "the server closed the connection") }
            if count < 0 { throw Failure(description: "recv: errno \(errno)") }
            pending += buffer[0..<count]
        }
    }

    /// Sends a GET and reads its response.
    func get(_ path: String) throws -> (status: Int, body: String) {
        try send("GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n")
        return try response()
    }

    private func headerEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for index in 0...(pending.count - 4) where pending[index..<index + 4].elementsEqual([13, 10, 13, 10]) {
            return index
        }
        return nil
    }
}
#endif
