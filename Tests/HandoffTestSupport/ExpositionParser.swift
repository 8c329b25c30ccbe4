#if DEBUG  // test support: built for the tests only (see Package.swift)
@testable import HandoffSystem
/// A strict reader of the Prometheus text exposition format (0.0.4), line by line, for tests:
/// it refuses what a Prometheus server would refuse, and a little more (a sample before its
/// family's `# TYPE`, a family declared twice, a counter not named `_total`).
struct ExpositionParser {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Failure: Error, CustomStringConvertible {
        var line: Int
        var text: String
        var why: String
        var description: String { "line \(line) \(text.debugDescription): \(why)" }
    }

    private(set) var types: [String: String] = [:]
    private(set) var help: [String: String] = [:]
    private(set) var samples: [Sample] = []

    /// Parses `text` whole; throws at the first bad line.
    static func parse(_ text: String) throws -> ExpositionParser {
        var parser = ExpositionParser()
        guard text.hasSuffix("\n") else { throw Failure(line: 0, text: "", why: "the text must end with a line feed") }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            try parser.take(String(line), number: index + 1)
        }
        return parser
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    private mutating func take(_ line: String, number: Int) throws {
        func fail(_ why: String) -> Failure { Failure(line: number, text: line, why: why) }
        if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
            let rest = line.dropFirst(7)
            guard let space = rest.firstIndex(of: " ") else { throw fail("no text after the metric name") }
            let name = String(rest[..<space])
            let text = String(rest[rest.index(after: space)...])
            guard Self.isMetricName(name) else { throw fail("bad metric name") }
            if line.hasPrefix("# HELP ") {
                guard help[name] == nil else { throw fail("second HELP for \(name)") }
                guard try Self.unescape(text, quoted: false) != nil else { throw fail("bad escape in HELP") }
                help[name] = text
            } else {
                guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(text) else { throw fail("unknown type \(text)") }
                guard types[name] == nil else { throw fail("second TYPE for \(name)") }
                guard !samples.contains(where: { $0.name == name }) else { throw fail("TYPE after samples of \(name)") }
                if text == "counter" && !name.hasSuffix("_total") { throw fail("a counter's name ends in _total") }
                types[name] = text
            }
            return
        }
        if line.hasPrefix("#") || line.isEmpty { return }
        var rest = Substring(line)
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        guard Self.isMetricName(name) else { throw fail("bad metric name") }
        guard types[name] != nil else { throw fail("sample of \(name) before its TYPE") }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { throw fail("label without =") }
                let label = String(rest[..<equals])
                guard Self.isLabelName(label) else { throw fail("bad label name \(label)") }
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { throw fail("label value not quoted") }
                rest = rest.dropFirst()
                var raw = ""
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped { raw.append("\\"); raw.append(character); escaped = false; continue }
                    if character == "\\" { escaped = true; continue }
                    if character == "\"" { break }
                    raw.append(character)
                }
                guard let value = try Self.unescape(raw, quoted: true) else { throw fail("bad escape in a label value") }
                guard labels[label] == nil else { throw fail("label \(label) twice") }
                labels[label] = value
                if rest.first == "," { rest = rest.dropFirst() }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("no space before the value") }
        let fields = rest.dropFirst().split(separator: " ")
        guard fields.count == 1 || fields.count == 2 else { throw fail("value and at most a timestamp") }
        let value: Double
        switch fields[0] {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let parsed = Double(fields[0]) else { throw fail("bad value") }
            value = parsed
        }
        if fields.count == 2 && Int64(fields[1]) == nil { throw fail("bad timestamp") }
        if types[name] == "counter" && value < 0 { throw fail("negative counter") }
        samples.append(Sample(name: name, labels: labels, value: value))
    }

    private static func unescape(_ text: String, quoted: Bool) throws -> String? {
        var out = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            guard character == "\\" else {
                if character == "\n" { return nil }
                out.append(character)
                continue
            }
            switch iterator.next() {
            case "\\": out.append("\\")
            case "n": out.append("\n")
            case "\"" where quoted: out.append("\"")
            default: return nil
            }
        }
        return out
    }

    private static func isMetricName(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == ":" }
    }

    private static func isLabelName(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" }
    }
}
#endif
