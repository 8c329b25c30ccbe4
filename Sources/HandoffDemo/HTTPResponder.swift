import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The demo's routes, writing whole responses into a connection's output buffer.
///
/// - `GET /` answers `pid=<pid> generation=<n>`.
/// - `GET /count` increments the counter and answers its new value.
/// - `PUT /kv/KEY` stores the request body under `KEY` (204); `GET /kv/KEY` answers it (404 if
///   absent). Keys are the raw path bytes after `/kv/`, not percent-decoded; keys and values
///   must be UTF-8 and within ``DemoState``'s bounds (414, 413, 507 otherwise).
/// - `POST /jobs` and `GET /jobs`: the jobs pipeline (`HTTPResponder+Jobs.swift`).
/// - Anything else is 404 (or 405 for a known path with another method).
///
/// Every response but 204 carries `Content-Length`. Lives on the event loop thread; the
/// counter and the map are in ``DemoState``, which the upgrader reads too.
struct HTTPResponder: Sendable {
    private let state: DemoState
    /// The jobs pipeline's mailboxes and counts; `nil` without `--jobs-log`.
    let jobs: DemoJobs?
    private let identityBody: [UInt8]
    /// The whole answer to a keep-alive HTTP/1.1 `GET /`, the path benchmarks hammer.
    private let identityResponse: [UInt8]

    /// - Parameters:
    ///   - pid: The process identifier to report.
    ///   - generation: The upgrade generation to report.
    ///   - state: The counter and the map.
    ///   - jobs: The jobs pipeline, if any.
    init(pid: Int, generation: Int, state: DemoState, jobs: DemoJobs? = nil) {
        self.state = state
        self.jobs = jobs
        identityBody = Array("pid=\(pid) generation=\(generation)\n".utf8)
        var response: [UInt8] = []
        Self.appendHead(
            .ok, bodyLength: identityBody.count, keepAlive: true, isHTTP11: true, into: &response)
        response.append(contentsOf: identityBody)
        identityResponse = response
    }

    /// Appends the response to `head`, whose path lies in `bytes`, to `output`.
    func respond(
        to head: HTTPRequestHead, in bytes: UnsafeRawBufferPointer, into output: inout [UInt8]
    ) {
        let path = UnsafeRawBufferPointer(rebasing: bytes[head.path])
        let withBody = head.method != .head
        if Self.equals(path, "/") {
            switch head.method {
            case .get where head.keepAlive && head.isHTTP11:
                output.append(contentsOf: identityResponse)
            case .get, .head:
                Self.appendHead(
                    .ok, bodyLength: identityBody.count, keepAlive: head.keepAlive,
                    isHTTP11: head.isHTTP11, into: &output)
                if withBody { output.append(contentsOf: identityBody) }
            default:
                appendMethodNotAllowed(head, allow: "Allow: GET, HEAD\r\n", into: &output)
            }
        } else if Self.equals(path, "/count") {
            switch head.method {
            case .get, .head:
                // HEAD describes what GET would answer without counting.
                let value = head.method == .get ? state.incrementCount() : state.count + 1
                Self.appendHead(
                    .ok, bodyLength: Self.decimalDigits(value) + 1, keepAlive: head.keepAlive,
                    isHTTP11: head.isHTTP11, into: &output)
                if withBody {
                    Self.appendDecimal(value, into: &output)
                    output.append(UInt8(ascii: "\n"))
                }
            default:
                appendMethodNotAllowed(head, allow: "Allow: GET, HEAD\r\n", into: &output)
            }
        } else if Self.equals(path, "/jobs") {
            respondToJobs(head, into: &output)
        } else if path.count >= 4 && Self.equals(UnsafeRawBufferPointer(rebasing: path[0..<4]), "/kv/") {
            let key = UnsafeRawBufferPointer(rebasing: path[4...])
            respondToKeyValue(head, key: key, body: UnsafeRawBufferPointer(rebasing: bytes[head.body]), into: &output)
        } else {
            Self.appendStatus(head.method == .other ? .notImplemented : .notFound, for: head, into: &output)
        }
    }

    /// `GET`, `HEAD` or `PUT /kv/KEY`.
    private func respondToKeyValue(
        _ head: HTTPRequestHead, key keyBytes: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer,
        into output: inout [UInt8]
    ) {
        guard head.method == .get || head.method == .head || head.method == .put else {
            appendMethodNotAllowed(head, allow: "Allow: GET, HEAD, PUT\r\n", into: &output)
            return
        }
        guard !keyBytes.isEmpty else { return Self.appendStatus(.notFound, for: head, into: &output) }
        guard keyBytes.count <= DemoState.maximumKeyBytes else {
            return Self.appendStatus(.uriTooLong, for: head, into: &output)
        }
        guard let key = String(validating: keyBytes, as: UTF8.self) else {
            return Self.appendStatus(.badRequest, for: head, into: &output)
        }
        if head.method == .put {
            guard body.count <= DemoState.maximumValueBytes else {
                return Self.appendStatus(.contentTooLarge, for: head, into: &output)
            }
            guard let value = String(validating: body, as: UTF8.self) else {
                return Self.appendStatus(.badRequest, for: head, into: &output)
            }
            switch state.store(value, forKey: key) {
            case .stored: Self.appendStatus(.noContent, for: head, into: &output)
            case .full: Self.appendStatus(.insufficientStorage, for: head, into: &output)
            }
            return
        }
        guard let value = state.value(forKey: key) else {
            return Self.appendStatus(.notFound, for: head, into: &output)
        }
        Self.appendHead(
            .ok, bodyLength: value.utf8.count, keepAlive: head.keepAlive, isHTTP11: head.isHTTP11,
            into: &output)
        if head.method != .head { output.append(contentsOf: value.utf8) }
    }

    /// Appends `status` with its short body (none for `HEAD`), keeping the connection as
    /// `head` asks.
    static func appendStatus(
        _ status: HTTPStatus, for head: HTTPRequestHead, into output: inout [UInt8]
    ) {
        appendHead(
            status, bodyLength: status.errorBody.utf8CodeUnitCount, keepAlive: head.keepAlive,
            isHTTP11: head.isHTTP11, into: &output)
        if head.method != .head { append(status.errorBody, into: &output) }
    }

    func appendMethodNotAllowed(
        _ head: HTTPRequestHead, allow: StaticString, into output: inout [UInt8]
    ) {
        let status = HTTPStatus.methodNotAllowed
        Self.appendHead(
            status, bodyLength: status.errorBody.utf8CodeUnitCount, keepAlive: head.keepAlive,
            isHTTP11: head.isHTTP11, extraField: allow, into: &output)
        if head.method != .head { Self.append(status.errorBody, into: &output) }
    }

    private static func appendHead(
        _ status: HTTPStatus, bodyLength: Int, keepAlive: Bool, isHTTP11: Bool,
        extraField: StaticString = "", into output: inout [UInt8]
    ) {
        HTTPResponseWriter.appendHead(
            status, bodyLength: bodyLength, keepAlive: keepAlive, isHTTP11: isHTTP11, extraFields: extraField,
            into: &output)
    }

    private static func append(_ text: StaticString, into output: inout [UInt8]) {
        HTTPResponseWriter.append(text, into: &output)
    }

    private static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        text.withUTF8Buffer { expected in
            guard expected.count == bytes.count else { return false }
            return expected.count == 0
                || Memory.compare(expected.baseAddress!, bytes.baseAddress!, count: expected.count) == 0
        }
    }

    private static func decimalDigits(_ value: Int) -> Int { HTTPResponseWriter.decimalDigits(value) }

    private static func appendDecimal(_ value: Int, into output: inout [UInt8]) {
        HTTPResponseWriter.appendDecimal(value, into: &output)
    }
}

extension HTTPResponder: HTTPRoutes {}
