#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Handoff
import HandoffServices
import HandoffSystem

/// The options every Handoff program understands, from the command line, a configuration file
/// and the environment.
///
/// - `--config PATH`: a JSON configuration file (below).
/// - `--feature.enable NAME`: turns a feature flag on; repeatable.
/// - `HANDOFF_LOG_FORMAT=json|text` and `HANDOFF_LOG_LEVEL=debug|info|warn|error`: how to log;
///   they win over the configuration file, so an operator can change logging without touching
///   it.
///
/// Everything else on the command line is left in ``remainingArguments`` for the program's own
/// parser. The configuration file is one JSON object. Handoff reads the keys below; the program
/// decodes its own from the same document with ``configuration(as:)`` (unknown keys are
/// ignored):
///
/// ```json
/// {
///   "log": { "format": "json", "level": "debug" },
///   "features": ["new-cache"],
///   "admin": { "enabled": true, "address": "127.0.0.1:9090" },
///   "app": { "greeting": "hello" }
/// }
/// ```
///
/// ```swift
/// let options = try HandoffOptions.parse(CommandLine.arguments.dropFirst())
/// struct AppConfig: Decodable { var app: App }
/// let config = try options.configuration(as: AppConfig.self)
/// var runnerConfiguration = RunnerConfiguration()
/// runnerConfiguration.logger = options.logWriter
/// ```
public struct HandoffOptions: Sendable {
    /// The `--config` path, if given.
    public var configPath: String?
    /// The features turned on, by `--feature.enable` or the file's `features`, in order, once each.
    public var enabledFeatures: [String] = []
    /// The log format: the environment's, else the file's, else text.
    public var logFormat: HandoffLogFormat = .text
    /// The least important level logged: the environment's, else the file's, else info.
    public var logLevel: HandoffLogLevel = .info
    /// The admin endpoint, from the file's `admin` (off by default).
    public var admin = AdminConfiguration()
    /// The arguments Handoff did not take, in order, for the program's own parser.
    public var remainingArguments: [String] = []
    /// The configuration file's bytes, for ``configuration(as:)``.
    private var document: [UInt8]?

    /// Creates the defaults.
    public init() {}

    /// Whether the feature `name` is turned on.
    /// - Parameter name: The feature's name.
    /// - Returns: `true` if `--feature.enable name` was given or the file lists it.
    public func isEnabled(_ name: String) -> Bool { enabledFeatures.contains(name) }

    /// A ``StderrLogWriter`` with the format and level in force.
    public var logWriter: StderrLogWriter { StderrLogWriter(format: logFormat, minimumLevel: logLevel) }

    /// Decodes the program's own configuration from the configuration file.
    /// - Parameter type: The program's configuration type; it sees the whole JSON document.
    /// - Returns: The decoded value, or `nil` without `--config`.
    /// - Throws: ``HandoffError/Code/invalidConfiguration`` naming the file and what does not
    ///   decode.
    public func configuration<T: Decodable>(as type: T.Type) throws -> T? {
        guard let document else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(document))
        } catch {
            throw HandoffError(.invalidConfiguration, "\(configPath ?? "the configuration file"): \(error)")
        }
    }

    /// Parses `arguments` as ``parse(_:environment:)`` does, reading only the variables it
    /// needs from the process's environment (`HANDOFF_LOG_FORMAT`, `HANDOFF_LOG_LEVEL`): a
    /// dictionary of the whole environment is the costliest step of a process's start-up
    /// (first use of its generic types), and an upgrade waits for that start.
    /// - Parameter arguments: The command line without the program's name.
    /// - Returns: The options; nothing is half-applied if this throws.
    /// - Throws: What ``parse(_:environment:)`` throws.
    @inlinable
    public static func parse(_ arguments: some Sequence<String>) throws(HandoffError) -> HandoffOptions {
        // Inlined into the caller, so the sequence becomes an array there, specialized: done
        // here, unspecialized, it made the runtime look up the sequence's conformances at
        // every start (a scan of every conformance record, ~0.1 ms of an upgrade).
        try parseFromEnvironment(Array(arguments))
    }

    @usableFromInline
    static func parseFromEnvironment(_ arguments: [String]) throws(HandoffError) -> HandoffOptions {
        try parse(arguments, variable: Environment.value)
    }

    /// Parses the arguments after the program's name, reads the configuration file, and applies
    /// the environment.
    /// - Parameters:
    ///   - arguments: The command line without the program's name; `--name=value` works too.
    ///   - environment: The environment.
    /// - Returns: The options; nothing is half-applied if this throws.
    /// - Throws: ``HandoffError/Code/invalidArgument`` for an option without its value;
    ///   ``HandoffError/Code/invalidConfiguration`` for a file that cannot be read or parsed, or
    ///   a `HANDOFF_LOG_*` value that is not one of the allowed ones.
    public static func parse(_ arguments: some Sequence<String>, environment: [String: String]) throws(HandoffError) -> HandoffOptions {
        try parse(Array(arguments)) { environment[$0] }
    }

    /// The parsing itself, on an array.
    private static func parse(_ arguments: [String], variable: (String) -> String?) throws(HandoffError) -> HandoffOptions {
        var options = HandoffOptions()
        var commandLineFeatures: [String] = []
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            var name = argument
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            guard name == "--config" || name == "--feature.enable" else {
                options.remainingArguments.append(argument)
                continue
            }
            guard let value = inline ?? iterator.next(), !value.isEmpty else {
                throw HandoffError(.invalidArgument, "\(name) needs a value")
            }
            if name == "--config" { options.configPath = value } else { commandLineFeatures.append(value) }
        }
        if let path = options.configPath {
            try options.read(path)
        }
        for feature in commandLineFeatures where !options.enabledFeatures.contains(feature) {
            options.enabledFeatures.append(feature)
        }
        if let format = variable("HANDOFF_LOG_FORMAT") {
            guard let parsed = HandoffLogFormat(rawValue: format.lowercased()) else {
                throw HandoffError(.invalidConfiguration, "HANDOFF_LOG_FORMAT=\(format): expected json or text")
            }
            options.logFormat = parsed
        }
        if let level = variable("HANDOFF_LOG_LEVEL") {
            guard let parsed = HandoffLogLevel(rawValue: level.lowercased()) else {
                throw HandoffError(.invalidConfiguration, "HANDOFF_LOG_LEVEL=\(level): expected debug, info, warn or error")
            }
            options.logLevel = parsed
        }
        return options
    }

    /// The keys of the configuration file that Handoff reads.
    private struct Document: Decodable {
        struct Log: Decodable {
            var format: HandoffLogFormat?
            var level: HandoffLogLevel?
        }
        var log: Log?
        var features: [String]?
        var admin: AdminConfiguration?
    }

    private mutating func read(_ path: String) throws(HandoffError) {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path)
        } catch {
            throw HandoffError(.invalidConfiguration, "cannot read the configuration file: \(error.reason)", errno: error.errno)
        }
        let parsed: Document
        do {
            parsed = try JSONDecoder().decode(Document.self, from: Data(bytes))
        } catch {
            throw HandoffError(.invalidConfiguration, "\(path) is not a valid configuration: \(error)")
        }
        document = bytes
        if let format = parsed.log?.format { logFormat = format }
        if let level = parsed.log?.level { logLevel = level }
        for feature in parsed.features ?? [] where !enabledFeatures.contains(feature) { enabledFeatures.append(feature) }
        if let admin = parsed.admin { self.admin = admin }
    }

    /// The process's environment as a dictionary.
    /// - Returns: Every variable; for a name set twice, the first.
    public static func processEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        for text in Environment.entries() {
            if let equals = text.firstIndex(of: "="), environment[String(text[..<equals])] == nil {
                environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
        }
        return environment
    }
}
