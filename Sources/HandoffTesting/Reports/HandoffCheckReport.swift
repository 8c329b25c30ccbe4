import Handoff

/// What a run of checks found: one result per property, in the order they ran.
///
/// Thrown by `run()` when any property failed, so a test that only calls `run()` fails with the
/// whole list in its message.
public struct HandoffCheckReport: Error, Sendable, Hashable, CustomStringConvertible {
    /// How one property fared.
    public enum Outcome: Sendable, Hashable {
        /// The property holds.
        case passed
        /// The property is broken.
        case failed(HandoffCheckFailure)
        /// The property was not checked; the reason says why (the store has no TTLs…).
        case skipped(String)
    }

    /// One property and its outcome.
    public struct Result: Sendable, Hashable {
        /// The property's name.
        public var property: String
        /// How it fared.
        public var outcome: Outcome
    }

    /// Every property, in the order checked.
    public var results: [Result]

    /// Creates a report.
    public init(results: [Result]) { self.results = results }

    /// The failures, in order.
    public var failures: [HandoffCheckFailure] {
        results.compactMap { if case .failed(let failure) = $0.outcome { failure } else { nil } }
    }

    /// The names of the properties that passed.
    public var passed: [String] { results.filter { $0.outcome == .passed }.map(\.property) }

    /// Whether no property failed.
    public var succeeded: Bool { failures.isEmpty }

    public var description: String {
        let lines = results.map { result in
            switch result.outcome {
            case .passed: "  passed   \(result.property)"
            case .failed(let failure): "  FAILED   \(result.property): \(failure.reason)"
            case .skipped(let why): "  skipped  \(result.property): \(why)"
            }
        }
        let verdict = succeeded ? "all \(passed.count) checked properties hold" : "\(failures.count) of \(results.count) properties failed"
        return ([verdict] + lines).joined(separator: "\n")
    }

    /// Runs `body` and records its outcome under `property`: passed if it returns, failed with
    /// its ``HandoffCheckFailure`` (or any other error, named) if it throws.
    static func record(_ property: String, into results: inout [Result], _ body: () async throws -> Void) async {
        do {
            try await body()
            results.append(Result(property: property, outcome: .passed))
        } catch let failure as HandoffCheckFailure {
            results.append(Result(property: property, outcome: .failed(failure)))
        } catch let skip as Skip {
            results.append(Result(property: property, outcome: .skipped(skip.reason)))
        } catch {
            let what = (error as? HandoffError)?.description ?? "\(error)"
            results.append(Result(property: property, outcome: .failed(HandoffCheckFailure(property: property, reason: "unexpected error: \(what)"))))
        }
    }

    /// Thrown by a check that does not apply.
    struct Skip: Error {
        let reason: String
    }
}
