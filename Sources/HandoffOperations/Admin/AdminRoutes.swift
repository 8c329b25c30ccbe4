import Handoff
import HandoffServices
import HandoffSystem
/// The admin endpoint's answers, built from the runner's state at each request.
///
/// - `GET /health`: 200 unless a service is unhealthy (then 503); JSON with each service's health.
/// - `GET /ready`: 200 only when every service is running and ready; 503 while starting,
///   draining for an upgrade, or stopping.
/// - `GET /metrics`: the Prometheus text exposition format.
/// - `GET /debug/services`: JSON, each service's name, state and health.
///
/// `HEAD` answers the same without the body; other methods get 405, other paths 404.
struct AdminRoutes: Sendable {
    let runner: ServiceRunner

    struct Answer {
        var status: HTTPStatus
        var contentType: String
        var body: String
    }

    func answer(path: String) -> Answer? {
        switch path {
        case "/ready":
            if let reason = runner.notReadyReason {
                return Answer(status: .serviceUnavailable, contentType: "text/plain; charset=utf-8", body: "not ready: \(reason)\n")
            }
            return Answer(status: .ok, contentType: "text/plain; charset=utf-8", body: "ready\n")
        case "/health":
            let snapshot = runner.snapshot
            let worst = snapshot.map(\.health.status).max() ?? .healthy
            let services = snapshot.map { service in
                "{\"name\":\(JSONText.string(service.name)),\"status\":\(JSONText.string(service.health.status.rawValue))"
                    + (service.health.reason.map { ",\"reason\":\(JSONText.string($0))" } ?? "") + "}"
            }
            let body = "{\"status\":\(JSONText.string(worst.rawValue)),\"services\":[\(services.joined(separator: ","))]}\n"
            return Answer(status: worst == .unhealthy ? .serviceUnavailable : .ok, contentType: "application/json", body: body)
        case "/metrics":
            return Answer(status: .ok, contentType: PrometheusText.contentType, body: metrics())
        case "/debug/services":
            let services = runner.snapshot.map { service in
                "{\"name\":\(JSONText.string(service.name)),\"state\":\(JSONText.string(service.state.rawValue)),\"health\":\(JSONText.string(service.health.status.rawValue))"
                    + (service.health.reason.map { ",\"reason\":\(JSONText.string($0))" } ?? "") + "}"
            }
            return Answer(status: .ok, contentType: "application/json", body: "[\(services.joined(separator: ","))]\n")
        default:
            return nil
        }
    }

    /// The registry's families, then the runner's and the process's.
    func metrics() -> String {
        var out = runner.metrics.render()
        let snapshot = runner.snapshot
        PrometheusText.appendFamily(
            "handoff_service_state", type: "gauge", help: "1 for the state each service is in, 0 for the others.",
            samples: snapshot.flatMap { service in ServiceState.allCases.map { ([("service", service.name), ("state", $0.rawValue)], $0 == service.state ? 1 : 0) } },
            into: &out)
        PrometheusText.appendFamily(
            "handoff_service_health", type: "gauge", help: "1 for the health each service last reported, 0 for the others.",
            samples: snapshot.flatMap { service in ServiceHealth.Status.allCases.map { ([("service", service.name), ("status", $0.rawValue)], $0 == service.health.status ? 1 : 0) } },
            into: &out)
        PrometheusText.appendFamily("handoff_ready", type: "gauge", help: "1 when every service is running and ready.", samples: [([], runner.isReady ? 1 : 0)], into: &out)
        PrometheusText.appendFamily("process_start_time_seconds", type: "gauge", help: "Start time of the process since the Unix epoch, in seconds.", samples: [([], ProcessMetrics.startTimeSeconds)], into: &out)
        PrometheusText.appendFamily("process_open_fds", type: "gauge", help: "Number of open file descriptors.", samples: [([], ProcessMetrics.openDescriptors())], into: &out)
        PrometheusText.appendFamily("process_resident_memory_bytes", type: "gauge", help: "Resident memory size in bytes.", samples: [([], ProcessMetrics.residentBytes())], into: &out)
        return out
    }
}
