// The HTTP engine's fuzz target: a connection sequence played against the real loop handler,
// on the calling thread, over a socketpair. Compiled with FuzzTargets.swift (see there).
import CHandoff
#if canImport(Glibc)
import Glibc
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffOperations
@testable import HandoffEtcd
#endif

extension FuzzTargets {
    /// Answers every request with an empty 200.
    struct EmptyRoutes: HTTPRoutes {
        func respond(to head: HTTPRequestHead, in request: UnsafeRawBufferPointer, into output: inout [UInt8]) {
            HTTPResponseWriter.appendHead(.ok, bodyLength: 0, keepAlive: head.keepAlive, isHTTP11: head.isHTTP11, into: &output)
        }
    }

    /// The input is a script: each step's control byte picks what the client does next — send
    /// the next 1 to 64 bytes of the input as request bytes, read what the server wrote, or
    /// half-close — and the handler handles the socket's events after each step. Nothing may
    /// trap; every byte the server writes belongs to a response beginning `HTTP/1.1 `; the
    /// buffered start of a request never outgrows the parser's bounds; a half-closed or refused
    /// connection ends closed.
    static func httpServer(_ bytes: [UInt8]) {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &pair) == 0 else { return }
        guard let epoll = try? EpollSet() else {
            close(pair[0])
            close(pair[1])
            return
        }
        defer {
            close(pair[1])
            epoll.close()
        }
        let handler = HTTPServerHandler(epoll: epoll, listeners: [], routes: EmptyRoutes(), configuration: HTTPServerConfiguration(), counters: HTTPServerCounters())
        handler.serve([HandoffConnection(descriptor: pair[0], unreadBytes: [])])
        let bound = HTTPRequestParser.maximumRequestLine + HTTPRequestParser.maximumHeaderBytes + HTTPRequestParser.maximumBodyBytes + 64 * 1024
        var output: [UInt8] = []
        var cursor = 0
        var halfClosed = false
        func collect() {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(pair[1], &buffer, buffer.count, 0)
                guard count > 0 else { return }
                output += buffer[0..<count]
            }
        }
        func step() {
            handler.handle(events: EPOLLIN.rawValue | EPOLLOUT.rawValue | (halfClosed ? EPOLLHUP.rawValue : 0), on: pair[0])
            if let connection = handler.connections.indices.contains(Int(pair[0])) ? handler.connections[Int(pair[0])] : nil {
                check(connection.inbound.count <= bound, "\(connection.inbound.count) bytes buffered for one request")
            }
        }
        while cursor < bytes.count {
            let control = bytes[cursor]
            cursor += 1
            switch control % 8 {
            case 0...5 where !halfClosed:
                let length = min(Int(control / 8) + 1, bytes.count - cursor)
                let sent = bytes[cursor..<(cursor + length)].withUnsafeBytes { send(pair[1], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                cursor += length
                if sent < 0 { collect() }
            case 6:
                collect()
            default:
                if !halfClosed {
                    shutdown(pair[1], Int32(SHUT_WR))
                    halfClosed = true
                }
            }
            step()
        }
        if !halfClosed {
            shutdown(pair[1], Int32(SHUT_WR))
            halfClosed = true
        }
        for _ in 0..<64 where handler.connectionCount > 0 {
            collect()
            step()
        }
        collect()
        check(handler.connectionCount == 0, "a half-closed connection stayed open")
        check(output.isEmpty || output.starts(with: Array("HTTP/1.1 ".utf8)), "the server wrote something that is not a response")
        let answered = handler.counters.snapshot
        check(answered.requests + answered.rejected <= bytes.count, "more answers than bytes sent")
    }
}
