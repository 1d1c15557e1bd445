"""Prometheus metrics of one service instance (a registry per app, so tests stay isolated)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """Counters and gauges exported on /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "leadintake_http_requests_total",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "leadintake_http_request_duration_seconds",
            "HTTP request duration by route",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.intake_requests = Counter(
            "leadintake_intake_requests_total",
            "Inbound requests by channel and outcome"
            " (accepted, duplicate, honeypot, test, rejected, ignored, confirmation,"
            " rate_limited)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.leads_created = Counter(
            "leadintake_leads_created_total",
            "Leads created by channel",
            ["channel"],
            registry=self.registry,
        )
        self.messages_attached = Counter(
            "leadintake_messages_attached_total",
            "Messages logged on a person's open lead or deal instead of a new lead, by channel",
            ["channel"],
            registry=self.registry,
        )
        # Channels that fetch their own events (pollers, IMAP, AMI), read at each scrape.
        self.channel_up = Gauge(
            "leadintake_channel_up",
            "1 when the channel's platform answered its last call, else 0",
            ["channel"],
            registry=self.registry,
        )
        self.channel_failing = Gauge(
            "leadintake_channel_failing_seconds",
            "How long the channel has been failing (0 while it works)",
            ["channel"],
            registry=self.registry,
        )
        self.channel_last_event = Gauge(
            "leadintake_channel_last_event_timestamp_seconds",
            "When the channel last stored an event (Unix time; 0 if never)",
            ["channel"],
            registry=self.registry,
        )
        self.channel_stored = Gauge(
            "leadintake_channel_events_stored",
            "Events the channel stored in the inbox since the service started",
            ["channel"],
            registry=self.registry,
        )
        self.channel_backlog = Gauge(
            "leadintake_channel_backlog",
            "Events waiting at the channel's platform or in memory for the inbox",
            ["channel"],
            registry=self.registry,
        )
        self.errors = Counter(
            "leadintake_errors_total", "Errors by kind", ["kind"], registry=self.registry
        )
        self.inbox_pending = Gauge(
            "leadintake_inbox_pending", "Inbox rows waiting for the worker", registry=self.registry
        )
        self.inbox_failed = Gauge(
            "leadintake_inbox_failed",
            "Inbox rows parked after repeated failures",
            registry=self.registry,
        )
        self.inbox_lag = Gauge(
            "leadintake_inbox_lag_seconds",
            "Age of the oldest pending inbox row",
            registry=self.registry,
        )
        self.commit_batch = Histogram(
            "leadintake_inbox_commit_batch_size",
            "Requests per durable inbox commit",
            registry=self.registry,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
        )
        self.webhook_deliveries = Counter(
            "leadintake_webhook_deliveries_total",
            "Webhook delivery attempts by result (delivered, retry, dead, gone)",
            ["result"],
            registry=self.registry,
        )
        self.webhook_latency = Histogram(
            "leadintake_webhook_delivery_seconds",
            "Time a receiver took to answer a webhook delivery attempt",
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.webhook_pending = Gauge(
            "leadintake_webhook_pending",
            "Webhook deliveries waiting to be delivered",
            registry=self.registry,
        )
        self.webhook_dead_letters = Gauge(
            "leadintake_webhook_dead_letters",
            "Webhook deliveries given up on (dead letters a head may replay)",
            registry=self.registry,
        )
        connector = ["connector", "kind"]
        self.connector_last_success = Gauge(
            "leadintake_connector_last_success_timestamp_seconds",
            "When a CRM connector last delivered an event (Unix time)",
            connector,
            registry=self.registry,
        )
        self.connector_last_failure = Gauge(
            "leadintake_connector_last_failure_timestamp_seconds",
            "When a CRM connector's delivery last failed, of those still on record (Unix time)",
            connector,
            registry=self.registry,
        )
        self.connector_pending = Gauge(
            "leadintake_connector_pending",
            "CRM connector deliveries waiting to be delivered",
            connector,
            registry=self.registry,
        )
        self.connector_dead_letters = Gauge(
            "leadintake_connector_dead_letters",
            "CRM connector deliveries given up on (dead letters a head may replay)",
            connector,
            registry=self.registry,
        )
