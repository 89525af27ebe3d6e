"""The service's Prometheus metrics, in a registry of their own.

Each application has its own `prometheus_client.CollectorRegistry`, never the process-wide
default one, so that several applications (tests start many) count apart.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["LATENCY_BUCKETS", "ServiceMetrics"]

LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
"""The latency histogram's buckets, in seconds: a decision takes well under a millisecond."""


class ServiceMetrics:
    """The counters, gauges and histogram of one application.

    Attributes:
        registry: The registry they are in (what ``GET /metrics`` writes).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.decisions = Counter(
            "crmculture_decisions",
            "Customers decided, by route.",
            ["route"],
            registry=registry,
        )
        self.errors = Counter(
            "crmculture_errors",
            "Requests answered with a problem, and batch records answered with an error "
            "line, by kind.",
            ["kind"],
            registry=registry,
        )
        self.latency = Histogram(
            "crmculture_request_seconds",
            "Time from a request's arrival to its answer (a batch: to its last line), by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.reloads = Counter(
            "crmculture_reloads",
            "Reloads of the culture file, by result (served or rejected).",
            ["result"],
            registry=registry,
        )
        self.batches_in_flight = Gauge(
            "crmculture_batches_in_flight",
            "Batches being answered now.",
            registry=registry,
        )
        self.culture = Gauge(
            "crmculture_culture_info",
            "The culture served: 1 for its name, version and fingerprint.",
            ["name", "version", "fingerprint"],
            registry=registry,
        )
        self.decided_one = self.decisions.labels("decide")
        self.decided_batch = self.decisions.labels("decide-batch")
        self.latency_one = self.latency.labels("decide")
        self.latency_batch = self.latency.labels("decide-batch")

    def serving(self, name: str, version: str, fingerprint: str) -> None:
        """Say which culture is served now (the previous one's series is removed)."""
        self.culture.clear()
        self.culture.labels(name, version, fingerprint).set(1)

    def text(self) -> bytes:
        """The metrics as Prometheus text."""
        return generate_latest(self.registry)
