import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

@Suite("Options, configuration file and logging knobs", .offCooperativePool)
struct HandoffOptionsTests {
    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-config-\(UUID().uuidString.prefix(8)).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("--config and repeatable --feature.enable are taken; the rest is left for the program, in order")
    func commandLine() throws {
        let path = try Self.file(#"{"features": ["a"], "log": {"format": "json", "level": "warn"}, "admin": {"enabled": true, "address": "127.0.0.1:9999"}, "app": {"greeting": "hi"}}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let options = try HandoffOptions.parse(["--listen", "x", "--config", path, "--feature.enable=b", "--feature.enable", "a", "--pid-file=p"], environment: [:])
        #expect(options.remainingArguments == ["--listen", "x", "--pid-file=p"])
        #expect(options.enabledFeatures == ["a", "b"])
        #expect(options.isEnabled("b") && !options.isEnabled("c"))
        #expect(options.logFormat == .json && options.logLevel == .warn)
        #expect(options.admin.isEnabled && options.admin.address == "127.0.0.1:9999")
        struct App: Decodable { struct Inner: Decodable { var greeting: String }; var app: Inner }
        #expect(try options.configuration(as: App.self)?.app.greeting == "hi")
    }

    @Test("HANDOFF_LOG_FORMAT and HANDOFF_LOG_LEVEL win over the configuration file")
    func environmentWins() throws {
        let path = try Self.file(#"{"log": {"format": "json", "level": "error"}}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let options = try HandoffOptions.parse(["--config", path], environment: ["HANDOFF_LOG_FORMAT": "text", "HANDOFF_LOG_LEVEL": "DEBUG"])
        #expect(options.logFormat == .text && options.logLevel == .debug)
    }

    @Test("bad input is a typed error that says what was wrong")
    func refusals() throws {
        let broken = try Self.file(#"{"log": {"level": "loud"}}"#)
        defer { try? FileManager.default.removeItem(atPath: broken) }
        let cases: [([String], [String: String], HandoffError.Code, String)] = [
            (["--config"], [:], .invalidArgument, "--config needs a value"),
            (["--config", "/nonexistent/handoff.json"], [:], .invalidConfiguration, "No such file"),
            (["--config", broken], [:], .invalidConfiguration, "is not a valid configuration"),
            ([], ["HANDOFF_LOG_LEVEL": "verbose"], .invalidConfiguration, "expected debug, info, warn or error"),
            ([], ["HANDOFF_LOG_FORMAT": "xml"], .invalidConfiguration, "expected json or text"),
        ]
        for (arguments, environment, code, words) in cases {
            let error = #expect(throws: HandoffError.self) { try HandoffOptions.parse(arguments, environment: environment) }
            #expect(error?.code == code)
            #expect(error?.reason.contains(words) == true, "\(error?.reason ?? "")")
        }
    }

    @Test("the stderr writer writes text lines and JSON lines, escaping what needs it")
    func logLines() throws {
        let text = StderrLogWriter(format: .text).render(.info, "service running", metadata: ["service": "http", "note": "two words"], time: "T")
        #expect(text == #"T info service running note="two words" service=http"#)
        let json = StderrLogWriter(format: .json).render(.warn, "line\n\"two\"", metadata: ["service": "a"], time: "T")
        #expect(json == #"{"time":"T","level":"warn","message":"line\n\"two\"","service":"a"}"#)
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(decoded?["message"] == "line\n\"two\"")
        #expect(HandoffLogLevel.debug < .info && HandoffLogLevel.warn < .error)
    }
}
