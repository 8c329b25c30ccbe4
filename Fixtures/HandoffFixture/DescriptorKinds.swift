import FoundationEssentials
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// One descriptor of every kind, opened by the first generation and claimed by every later one,
/// each reported as a line "kind name=<name> ok=<local address>".
enum DescriptorKinds {
    static func obtainAll(_ descriptors: Descriptors, directory: String, port: Int) throws -> [String] {
        var lines: [String] = []
        func report(_ name: String, _ fd: Int32) {
            lines.append("kind name=\(name) port=\(FixtureSupport.port(of: fd)) fd-ok=\(Syscall.descriptorFlags(fd).open) cloexec=\(Syscall.descriptorFlags(fd).closeOnExec)")
        }
        let tcp4 = try descriptors.listener(try SocketEndpoint(parsing: "127.0.0.1:0"), name: "tcp4")
        report("tcp4", tcp4)
        report("tcp6", try descriptors.listener(try SocketEndpoint(parsing: "[::1]:0"), name: "tcp6"))
        report("udp4", try descriptors.datagram(try SocketEndpoint(parsing: "127.0.0.1:0"), name: "udp4"))
        report("udp6", try descriptors.datagram(try SocketEndpoint(parsing: "[::1]:0"), name: "udp6"))
        report("unix-path", try descriptors.listener(try SocketEndpoint(parsing: "unix:\(directory)/stream.sock"), name: "unix-path"))
        report("unix-abstract", try descriptors.listener(try SocketEndpoint(parsing: "@handoff-fixture-\(port)"), name: "unix-abstract"))
        report("unix-datagram", try descriptors.datagram(try SocketEndpoint(parsing: "unix:\(directory)/datagram.sock"), name: "unix-datagram"))
        report("file", try descriptors.file("\(directory)/file.txt", name: "file"))
        if let connection = try descriptors.inherited("connection", kind: .connection) {
            report("connection", connection)
        } else {
            // The first generation connects to the tcp4 listener, on which nobody accepts: the
            // connection stays established in its queue for every generation.
            let fd = try Syscall.connectedSocket(to: .ipv4(host: "127.0.0.1", port: UInt16(FixtureSupport.port(of: tcp4))))
            try descriptors.register(fd, name: "connection", kind: .connection)
            report("connection", fd)
        }
        return lines
    }
}
