"""OpenTelemetry set-up from the environment, once per process.

`CHORUS_TRACES_EXPORTER` picks the exporter:
- `none` (default, and in tests): spans are created for context propagation only;
- `console`: pretty JSON on stderr, for development;
- `otlp`: OTLP over HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` (the collector);
- `jsonl:DIR`: one JSON line per span in `DIR/<service>-<pid>.jsonl` (written in
  batches, within a tenth of a second), which is how tests read a whole distributed
  trace back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)

_configured: str | None = None
_lock = threading.Lock()


class JsonLinesSpanExporter(SpanExporter):
    """Appends finished spans as JSON lines; one file per process, so writers never interleave."""

    def __init__(self, directory: Path, service: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{service}-{os.getpid()}.jsonl"
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        data = "".join(s.to_json(indent=None) + "\n" for s in spans)  # one line per span
        with self._lock, self.path.open("a") as out:
            out.write(data)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def tracing_enabled() -> bool:
    """Whether an SDK tracer provider is installed (an exporter was configured, or a test's)."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def configure_tracing(service: str, exporter: str | None = None) -> TracerProvider | None:
    """Install a tracer provider for `service` (idempotent; the first call in a process wins)."""
    global _configured
    with _lock:
        if _configured is not None:
            return None
        choice = exporter or os.environ.get("CHORUS_TRACES_EXPORTER", "none")
        if choice == "none":
            # No provider at all: OpenTelemetry's no-op tracer costs next to nothing,
            # and instrumentation checks `tracing_enabled()` to stay out of the way.
            _configured = choice
            return None
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        if choice == "console":
            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        elif choice == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif choice.startswith("jsonl:"):
            directory = Path(choice.split(":", 1)[1])
            # Written in batches by the processor's thread, a tenth of a second behind: a
            # file append per span on the request's own thread cost ~0.13 ms a span, which
            # showed up in the very timings the spans were exported to explain.
            provider.add_span_processor(
                BatchSpanProcessor(
                    JsonLinesSpanExporter(directory, service),
                    schedule_delay_millis=100,
                    max_queue_size=65536,
                )
            )
        else:
            raise ValueError(
                f"CHORUS_TRACES_EXPORTER={choice!r}: expected none, console, otlp or jsonl:DIR"
            )
        trace.set_tracer_provider(provider)
        _configured = choice
        return provider
