import Handoff
import HandoffServices
import HandoffSystem
/// Builds HTTP/1.1 response heads and short error responses into an output buffer, without
/// going through `String` on the hot path.
///
/// Server SPI: shared by the admin endpoint and `handoff-demo`, not part of the stable API.
package enum HTTPResponseWriter {
    /// Appends a status line and header fields: `Content-Type` and `Content-Length` (none for
    /// 204), `Connection` as `keepAlive` and the version ask, then `extraFields` (each ending in
    /// CRLF) and the blank line.
    /// - Parameters:
    ///   - status: The status.
    ///   - contentType: The body's media type.
    ///   - bodyLength: The body's length in bytes.
    ///   - keepAlive: Whether the connection stays open after this response.
    ///   - isHTTP11: Whether the request was HTTP/1.1 (keep-alive is then implicit).
    ///   - extraFields: More header fields, each ending in CRLF.
    ///   - output: Where the bytes go.
    package static func appendHead(
        _ status: HTTPStatus, contentType: StaticString = "text/plain", bodyLength: Int, keepAlive: Bool,
        isHTTP11: Bool, extraFields: StaticString = "", into output: inout [UInt8]
    ) {
        append(status.statusLine, into: &output)
        if status != .noContent {  // RFC 9110 §8.6: no Content-Length in a 204
            append("Content-Type: ", into: &output)
            append(contentType, into: &output)
            append("\r\nContent-Length: ", into: &output)
            appendDecimal(bodyLength, into: &output)
            append("\r\n", into: &output)
        }
        if !keepAlive {
            append("Connection: close\r\n", into: &output)
        } else if !isHTTP11 {
            append("Connection: keep-alive\r\n", into: &output)
        }
        append(extraFields, into: &output)
        append("\r\n", into: &output)
    }

    /// Appends a whole response with a `String` media type and body (for answers built per
    /// request, like the admin endpoint's), without the body for `HEAD`.
    /// - Parameters:
    ///   - status: The status.
    ///   - contentType: The body's media type.
    ///   - body: The body.
    ///   - head: The request, for keep-alive, version and method.
    ///   - extraFields: More header fields, each ending in CRLF.
    ///   - output: Where the bytes go.
    package static func appendResponse(
        _ status: HTTPStatus, contentType: String, body: String, for head: HTTPRequestHead,
        extraFields: String = "", into output: inout [UInt8]
    ) {
        append(status.statusLine, into: &output)
        output.append(contentsOf: "Content-Type: \(contentType)\r\nContent-Length: ".utf8)
        appendDecimal(body.utf8.count, into: &output)
        append("\r\n", into: &output)
        if !head.keepAlive {
            append("Connection: close\r\n", into: &output)
        } else if !head.isHTTP11 {
            append("Connection: keep-alive\r\n", into: &output)
        }
        output.append(contentsOf: extraFields.utf8)
        append("\r\n", into: &output)
        if head.method != .head { output.append(contentsOf: body.utf8) }
    }

    /// Appends an error response with the status's short body that closes the connection.
    /// - Parameters:
    ///   - status: The status.
    ///   - output: Where the bytes go.
    package static func appendError(_ status: HTTPStatus, into output: inout [UInt8]) {
        appendHead(
            status, contentType: "text/plain; charset=utf-8", bodyLength: status.errorBody.utf8CodeUnitCount,
            keepAlive: false, isHTTP11: true, into: &output)
        append(status.errorBody, into: &output)
    }

    /// Appends static text.
    /// - Parameters:
    ///   - text: The text.
    ///   - output: Where the bytes go.
    package static func append(_ text: StaticString, into output: inout [UInt8]) {
        text.withUTF8Buffer { output.append(contentsOf: $0) }
    }

    /// The number of decimal digits of a non-negative integer.
    /// - Parameter value: The integer.
    /// - Returns: At least 1.
    package static func decimalDigits(_ value: Int) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits
    }

    /// Appends a non-negative integer in decimal.
    /// - Parameters:
    ///   - value: The integer.
    ///   - output: Where the digits go.
    package static func appendDecimal(_ value: Int, into output: inout [UInt8]) {
        let digits = decimalDigits(value)
        let start = output.count
        output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var rest = value
        var index = start + digits - 1
        while index >= start {
            output[index] = UInt8(ascii: "0") &+ UInt8(rest % 10)
            rest /= 10
            index -= 1
        }
    }
}
