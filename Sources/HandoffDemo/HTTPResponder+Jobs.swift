import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

// `POST /jobs` and `GET /jobs`.
extension HTTPResponder {
    /// `POST /jobs` enqueues a job: 202 with `{"id":N}`, or 503 with the reason when the
    /// mailbox is full (or handing its jobs over). `GET /jobs` answers the counts as JSON. 404
    /// without `--jobs-log`.
    func respondToJobs(_ head: HTTPRequestHead, into output: inout [UInt8]) {
        guard let jobs else { return Self.appendStatus(.notFound, for: head, into: &output) }
        switch head.method {
        case .post:
            switch jobs.accept() {
            case .success(let id): Self.appendJSON(.accepted, #"{"id":\#(id)}"#, for: head, into: &output)
            case .failure(let error): Self.appendJSON(.serviceUnavailable, #"{"error":"\#(error.code)"}"#, for: head, into: &output)
            }
        case .get, .head:
            Self.appendJSON(.ok, jobs.json, for: head, into: &output)
        default:
            appendMethodNotAllowed(head, allow: "Allow: GET, HEAD, POST\r\n", into: &output)
        }
    }

    private static func appendJSON(_ status: HTTPStatus, _ body: String, for head: HTTPRequestHead, into output: inout [UInt8]) {
        let bytes = Array((body + "\n").utf8)
        var text = "Content-Type: application/json\r\nContent-Length: \(bytes.count)\r\n"
        if !head.keepAlive {
            text += "Connection: close\r\n"
        } else if !head.isHTTP11 {
            text += "Connection: keep-alive\r\n"
        }
        status.statusLine.withUTF8Buffer { output.append(contentsOf: $0) }
        output.append(contentsOf: (text + "\r\n").utf8)
        if head.method != .head { output.append(contentsOf: bytes) }
    }
}
