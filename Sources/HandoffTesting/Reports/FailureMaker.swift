/// Makes the ``HandoffCheckFailure``s of one property.
struct FailureMaker {
    let property: String
    let prefix: String

    func callAsFunction(_ reason: String) -> HandoffCheckFailure {
        HandoffCheckFailure(property: property, reason: prefix + reason)
    }

    /// Runs `body`, turning what it throws into this property's failure, named by `what`.
    func catching<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let failure as HandoffCheckFailure {
            throw HandoffCheckFailure(property: property, reason: prefix + failure.reason)
        } catch {
            throw self("\(what) failed: \(error)")
        }
    }
}
