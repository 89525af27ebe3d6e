"""The decision service: an ASGI application (Starlette) over a culture file.

`create_app` loads the culture (`crmculture.service.load_served`) and answers:

- ``POST /v1/decide``: one customer → its decision (`crmculture.Decision.to_dict`, the same
  bytes the library's encoder writes), the kept fields, and the explanation when asked;
- ``POST /v1/decide-batch``: a JSON array, NDJSON or CSV (a header row naming the fields) of
  customers → NDJSON, one line per record in input order, the lines ``crmculture decide``
  writes for the same text (errors in place, nothing dropped);
- ``GET /v1/culture``, ``GET /healthz``, ``GET /metrics``, ``GET /openapi.json``;
- ``POST /v1/reload``: the culture file loaded, compiled and checked again, then swapped in.

Every answer names the fingerprint of the culture that gave it (the ``Culture-Fingerprint``
header; ``culture_fingerprint`` in JSON bodies). A request reads the served culture once when
it arrives and is answered by it to its end, whatever reloads happen meanwhile. Anything a
client sends that is wrong is answered with an RFC 9457 problem (``application/problem+json``)
listing every problem, never with a 5xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import functools
import hmac
import io
import json
import logging
import math
import os
import signal
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any, cast

import anyio.to_thread
import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from crmculture.errors import (
    ConflictError,
    EvaluationError,
    InvalidCustomer,
    Problem,
    UnknownDepartmentError,
    did_you_mean,
)
from crmculture.evaluate.decision import Decision
from crmculture.evaluate.many import split_kept
from crmculture.io.decision_stream import CHUNK_SIZE, Emit, OutputChunk, decide_records
from crmculture.io.records import RecordError, read_records, typed_customer
from crmculture.log import DecisionLog
from crmculture.model.facts import Schema
from crmculture.model.policies import Policy
from crmculture.service.metrics import ServiceMetrics
from crmculture.service.openapi import PROBLEM_BASE
from crmculture.service.served import CultureRejected, ServedCulture, load_served

__all__ = ["Limits", "Service", "create_app"]

log = logging.getLogger("crmculture.service")

FINGERPRINT_HEADER = "Culture-Fingerprint"
_JSON = ("application/json",)
_NDJSON = ("application/x-ndjson", "application/ndjson", "application/jsonl")
_NDJSON_OUT = "application/x-ndjson"
_CSV = ("text/csv",)
_PROBLEM = "application/problem+json"
_PROBLEM_BYTES = _PROBLEM.encode("ascii")
_CHUNKED_FROM = 1024
"""Batches of this many records or more are read in chunks through Arrow (`decide_records`)."""
_REQUEST_KEYS = ("as_of", "customer", "department", "explain")
_BATCH_PARAMETERS = ("as_of", "department", "emit", "explain")


MAX_BODY_BYTES = 32 * 1024 * 1024
"""The default largest request body: 32 MiB."""
MAX_RECORDS = 100_000
"""The default most records in one batch."""
TIMEOUT = 30.0
"""The default time limit of a request, in seconds."""
BATCH_CHUNK = CHUNK_SIZE
"""The default number of records a batch decides at a time: as many as `crmculture decide`."""


@attrs.frozen
class Limits:
    """What one request may cost.

    Attributes:
        max_body_bytes: The largest request body, in bytes (413 above it).
        max_records: The most records in one batch (413 above it).
        timeout: Seconds a request may take: to send its body (408 after it), and for a
            batch, to be decided (records not decided in time get error lines in place).
        batch_chunk: Records a batch decides at a time, between looks at the clock.
    """

    max_body_bytes: int = MAX_BODY_BYTES
    max_records: int = MAX_RECORDS
    timeout: float = TIMEOUT
    batch_chunk: int = BATCH_CHUNK

    def __attrs_post_init__(self) -> None:
        for name in ("max_body_bytes", "max_records", "batch_chunk"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not (self.timeout > 0 and math.isfinite(self.timeout)):
            raise ValueError(f"timeout must be a positive number of seconds, not {self.timeout}")


class _Refusal(Exception):
    """A request answered with a problem: its status, kind (the last part of its ``type``
    URI and its label in the error counter), title, detail and problems."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str = "",
        problems: Sequence[Problem] = (),
        keep: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.problems = tuple(problems)
        self.keep = keep
        self.headers = headers


class _Endpoint:
    """A plain ASGI handler as a Starlette endpoint (Starlette calls functions with a
    request; it calls other objects as ASGI applications)."""

    def __init__(self, handler: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handler(scope, receive, send)


def _problem_body(refusal: _Refusal, fingerprint: str) -> bytes:
    document: dict[str, Any] = {
        "type": PROBLEM_BASE + refusal.kind,
        "title": refusal.title,
        "status": refusal.status,
        "problems": [{"path": p.path_text, "message": p.message} for p in refusal.problems],
        "culture_fingerprint": fingerprint,
    }
    if refusal.detail:
        document["detail"] = refusal.detail
    if refusal.keep is not None:
        document["keep"] = dict(refusal.keep)
    # ASCII: a value the client sent may hold a lone surrogate, which UTF-8 cannot carry.
    return json.dumps(document, sort_keys=True, default=_jsonable).encode("ascii")


def _jsonable(value: Any) -> Any:
    return str(value)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not JSON")


def _loads(body: bytes) -> Any:
    """The JSON document of a body (UTF-8, no NaN or Infinity), or a 400 problem."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as error:
        reason = f"the body is not UTF-8: byte {error.start}"
    except ValueError as error:
        reason = f"the body is not JSON: {error}"
    except RecursionError:
        reason = "the body is not JSON this service reads: it nests too deeply"
    raise _Refusal(400, "malformed-json", "malformed JSON", reason)


class Service:
    """One decision service, and its ASGI application: the culture served, its limits, its
    metrics. `create_app` builds one.

    Attributes:
        current: The culture served now: replaced whole by a reload, never changed.
        limits: The limits of a request.
        metrics: The application's metrics.
        app: The Starlette application that answers every route but the hot one,
            ``POST /v1/decide``, which the service answers itself.
    """

    def __init__(
        self,
        culture: str | os.PathLike[str],
        *,
        keep: Sequence[str] = (),
        limits: Limits | None = None,
        reload_token: str | None = None,
        sighup: bool = False,
        log: str | os.PathLike[str] | None = None,
        decision: str | None = None,
    ) -> None:
        self.path = culture
        self.decision = decision
        self.log_path = log
        # Opened here, so that a log that cannot be written stops the service before it
        # listens; closed when the server stops, opened again if it starts again.
        self.decision_log: DecisionLog | None = None if log is None else DecisionLog(log)
        self.keep = tuple(keep)
        self.limits = limits or Limits()
        self.reload_token = reload_token or None
        self.sighup = sighup
        self.metrics = ServiceMetrics()
        self.current: ServedCulture = load_served(culture, keep=self.keep, decision=decision)
        self.metrics.serving(**self.current.summary())
        self._reloading = asyncio.Lock()
        self.app = Starlette(
            routes=[
                Route("/v1/decide", _Endpoint(self.decide), methods=["POST"]),
                Route("/v1/decide-batch", self.decide_batch, methods=["POST"]),
                Route("/v1/culture", self.culture, methods=["GET"]),
                Route("/v1/reload", self.reload_route, methods=["POST"]),
                Route("/healthz", self.health, methods=["GET"]),
                Route("/metrics", self.metrics_route, methods=["GET"]),
                Route("/openapi.json", self.openapi, methods=["GET"]),
            ],
            exception_handlers={HTTPException: self._http_exception},
            lifespan=self._lifespan,
        )

    # -- answers ---------------------------------------------------------------------------

    def _json(self, served: ServedCulture, document: dict[str, Any], status: int = 200) -> Response:
        document["culture_fingerprint"] = served.fingerprint
        body = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return self._bytes(served, body, "application/json", status)

    @staticmethod
    def _bytes(
        served: ServedCulture,
        body: bytes,
        media: str,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        fields = {FINGERPRINT_HEADER: served.fingerprint}
        if headers:
            fields.update(headers)
        return Response(body, status, fields, media)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI application: ``POST /v1/decide``, the hot path, straight to its handler;
        everything else through Starlette's router."""
        if scope["type"] == "http" and scope["path"] == "/v1/decide" and scope["method"] == "POST":
            await self.decide(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _refuse(self, served: ServedCulture, refusal: _Refusal) -> Response:
        self.metrics.errors.labels(refusal.kind).inc()
        return self._bytes(
            served,
            _problem_body(refusal, served.fingerprint),
            _PROBLEM,
            refusal.status,
            refusal.headers,
        )

    async def _http_exception(self, request: Request, error: Exception) -> Response:
        """The router's 404 and 405 as problems."""
        assert isinstance(error, HTTPException)
        kind = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http")
        detail = f"{request.method} {request.url.path}: {error.detail}"
        headers = dict(error.headers or {})
        return self._refuse(
            self.current, _Refusal(error.status_code, kind, error.detail, detail, headers=headers)
        )

    # -- the body --------------------------------------------------------------------------

    async def _body(
        self, scope: Scope, receive: Receive, accepted: tuple[str, ...], started: float
    ) -> tuple[bytes, str]:
        """The request's body and its media type, within the limits; a problem otherwise."""
        content_type = b""
        declared = b""
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"content-length":
                declared = value
        media, _, parameters = content_type.decode("latin-1").partition(";")
        media = media.strip().lower()
        if media not in accepted:
            wanted = " or ".join(f"`{m}`" for m in accepted)
            given = f"`{media}`" if media else "no media type"
            raise _Refusal(
                415, "unsupported-media-type", "unsupported media type", f"{given}: send {wanted}"
            )
        for parameter in filter(None, (p.strip() for p in parameters.split(";"))):
            compact = parameter.lower().replace(" ", "")
            if compact in ("charset=utf-8", 'charset="utf-8"'):
                continue
            if media in _CSV and compact.startswith("header="):
                if compact == "header=present":
                    continue  # RFC 4180's parameter: the one form a CSV batch takes
                reason = "a CSV batch starts with a header row naming its fields"
            else:
                reason = "the body is read as UTF-8 only"
            raise _Refusal(
                415, "unsupported-media-type", "unsupported media type", f"`{parameter}`: {reason}"
            )
        limit = self.limits.max_body_bytes
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(int(declared))
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect
        body: bytes = message.get("body", b"")
        if len(body) > limit:
            raise self._too_large(len(body))
        if not message.get("more_body", False):
            return body, media  # the common case: the whole body at once
        chunks = [body]
        size = len(body)
        try:
            async with asyncio.timeout(
                max(0.0, started + self.limits.timeout - time.perf_counter())
            ):
                while message.get("more_body", False):
                    message = await receive()
                    if message["type"] != "http.request":
                        raise ClientDisconnect
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise self._too_large(size)
                    chunks.append(chunk)
        except TimeoutError:
            raise _Refusal(
                408,
                "timeout",
                "request timeout",
                f"the body did not arrive within {self.limits.timeout:g} s",
            ) from None
        return b"".join(chunks), media

    def _too_large(self, size: int) -> _Refusal:
        return _Refusal(
            413,
            "too-large",
            "content too large",
            f"the body has {size} bytes or more; the limit is {self.limits.max_body_bytes}",
        )

    # -- POST /v1/decide -------------------------------------------------------------------

    async def decide(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /v1/decide``, as a plain ASGI handler: the hot path."""
        served = self.current  # INVARIANT: the one culture this request sees
        started = time.perf_counter()
        status = 200
        media = b"application/json"
        extra: Mapping[str, str] | None = None
        try:
            body, _ = await self._body(scope, receive, _JSON, started)
            customer, department, explain, as_of = _decide_request(_loads(body), served)
            required_as_of(served, as_of)
            answer = self._decide(served, customer, department, explain, as_of)
        except _Refusal as refusal:
            self.metrics.errors.labels(refusal.kind).inc()
            status, media, extra = refusal.status, _PROBLEM_BYTES, refusal.headers
            answer = _problem_body(refusal, served.fingerprint)
        except ClientDisconnect:
            return
        headers = [
            (b"content-type", media),
            (b"content-length", b"%d" % len(answer)),
            (b"culture-fingerprint", served.fingerprint.encode("ascii")),
        ]
        if extra:
            headers.extend(
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()
            )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})
        self.metrics.latency_one.observe(time.perf_counter() - started)

    def _decide(
        self,
        served: ServedCulture,
        record: dict[str, Any],
        department: str | None,
        explain: bool,
        as_of: dt.date | None = None,
    ) -> bytes:
        kept: dict[str, Any] | None = None
        if served.keep:
            kept, record = split_kept(record, served.keep)
        policy = served.policy
        _known_department(policy, department, kept)
        try:
            # Typed as `Schema.parse` types text, then checked once, by the evaluator; a
            # record it rejects is parsed again for the problems in intake's words.
            decision = served.decide(typed_customer(policy.schema, record), department, as_of=as_of)
        except InvalidCustomer as rejected:
            error = _intake_problems(policy.schema, record, rejected)
            raise _Refusal(
                422,
                "invalid-customer",
                "invalid customer",
                f"{len(error.problems)} problems" if len(error.problems) > 1 else "1 problem",
                error.problems,
                kept,
            ) from None
        except EvaluationError as error:
            kind = "rule-conflict" if isinstance(error, ConflictError) else "undecided"
            title = "rule conflict" if kind == "rule-conflict" else "directive without value"
            directive = getattr(error, "directive", "")
            raise _Refusal(
                409, kind, title, str(error), [Problem(("directives", directive), str(error))], kept
            ) from None
        self.metrics.decided_one.inc()
        if self.decision_log is not None:
            self.decision_log.write(decision, keep=kept)
        return _decision_body(served, decision, explain, kept)

    # -- POST /v1/decide-batch -------------------------------------------------------------

    async def decide_batch(self, request: Request) -> Response:
        served = self.current  # INVARIANT: the one culture this request sees
        started = time.perf_counter()
        try:
            department, emit, explain, as_of = _batch_parameters(request, served)
            required_as_of(served, as_of)
            body, media = await self._body(
                request.scope, request.receive, (*_JSON, *_NDJSON, *_CSV), started
            )
            text = body.decode("utf-8", "surrogateescape")
            form = "json" if media in _JSON else "csv" if media in _CSV else "jsonl"
            count = _record_count(text, form, self.limits.max_records)
            if count > self.limits.max_records:
                raise _Refusal(
                    413,
                    "too-many-records",
                    "too many records",
                    f"the batch has more than {self.limits.max_records} records, the limit",
                )
        except _Refusal as refusal:
            self.metrics.latency_batch.observe(time.perf_counter() - started)
            return self._refuse(served, refusal)
        except ClientDisconnect:
            return Response(status_code=400)
        lines = self._batch_lines(
            served, text, form, department, emit, explain, started, count, as_of
        )
        return StreamingResponse(
            lines, media_type=_NDJSON_OUT, headers={FINGERPRINT_HEADER: served.fingerprint}
        )

    async def _batch_lines(
        self,
        served: ServedCulture,
        text: str,
        form: str,
        department: str | None,
        emit: Emit,
        explain: bool,
        started: float,
        count: int,
        as_of: dt.date | None = None,
    ) -> AsyncIterator[bytes]:
        """The answer lines, a chunk at a time, decided in a worker thread so that the event
        loop keeps answering other requests; past the time limit, an error line in place for
        each record not decided."""
        chunks = cast(
            "Generator[OutputChunk, None, None]",
            decide_records(
                served.policy,
                io.StringIO(text, newline=""),
                form,  # type: ignore[arg-type]
                department,
                emit=emit,
                explain=explain,
                keep=served.keep,
                # Reading through Arrow pays off for large batches only.
                chunked=None if count >= _CHUNKED_FROM else False,
                chunk_size=self.limits.batch_chunk,
                as_of=as_of,
                log=self.decision_log,
            ),
        )
        deadline = started + self.limits.timeout
        answered = 0
        metrics = self.metrics
        metrics.batches_in_flight.inc()
        try:
            while True:
                if time.perf_counter() > deadline:
                    overdue = _overdue_lines(served, text, form, answered, self.limits.timeout)
                    for piece, count in overdue:
                        metrics.errors.labels("timeout").inc(count)
                        yield piece
                    return
                chunk = await anyio.to_thread.run_sync(_next_chunk, chunks)
                if chunk is None:
                    return
                answered += chunk.records
                metrics.decided_batch.inc(chunk.records - chunk.failed)
                if chunk.failed:
                    metrics.errors.labels("batch-record").inc(chunk.failed)
                yield chunk.text.encode("utf-8")
        finally:
            chunks.close()
            metrics.batches_in_flight.dec()
            metrics.latency_batch.observe(time.perf_counter() - started)

    # -- the other routes ------------------------------------------------------------------

    async def culture(self, request: Request) -> Response:
        served = self.current
        return self._bytes(served, served.culture_json, "application/json")

    async def openapi(self, request: Request) -> Response:
        served = self.current
        return self._bytes(served, served.openapi_json, "application/json")

    async def health(self, request: Request) -> Response:
        served = self.current
        return self._json(served, {"status": "ok", "culture": served.summary()})

    async def metrics_route(self, request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST

        return self._bytes(self.current, self.metrics.text(), CONTENT_TYPE_LATEST)

    async def reload_route(self, request: Request) -> Response:
        served = self.current
        try:
            self._authorize(request)
            new = await self.reload("POST /v1/reload")
        except _Refusal as refusal:
            return self._refuse(served, refusal)
        except CultureRejected as error:
            return self._refuse(
                served,
                _Refusal(
                    422,
                    "culture-rejected",
                    "culture not reloaded",
                    f"`{self.path}` was not served: the culture {served.fingerprint} keeps serving",
                    error.problems,
                ),
            )
        return self._json(
            new,
            {
                "reloaded": True,
                "culture": new.summary(),
                "previous": served.summary(),
                "unproven_promises": list(new.unproven),
            },
        )

    def _authorize(self, request: Request) -> None:
        token = self.reload_token
        if token is None:
            raise _Refusal(
                403,
                "reload-off",
                "reload over HTTP is off",
                "start the service with a reload token (CRMCULTURE_RELOAD_TOKEN) to reload "
                "over HTTP, or send the process SIGHUP",
            )
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            value.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8")
        ):
            raise _Refusal(
                401,
                "unauthorized",
                "unauthorized",
                "send the reload token as `Authorization: Bearer TOKEN`",
                headers={"WWW-Authenticate": "Bearer"},
            )

    # -- reload ----------------------------------------------------------------------------

    async def reload(self, source: str = "reload") -> ServedCulture:
        """Load, compile and check the culture file again, and serve it.

        The new culture replaces the old in one assignment, and only when it loads, compiles
        and keeps its promises; otherwise the old one keeps serving. One reload runs at a
        time.

        Raises:
            CultureRejected: with every problem of the file; nothing changed.
        """
        async with self._reloading:
            load = functools.partial(load_served, self.path, keep=self.keep, decision=self.decision)
            try:
                new = await anyio.to_thread.run_sync(load)
            except CultureRejected as error:
                self.metrics.reloads.labels("rejected").inc()
                log.warning("%s: %s; the old culture keeps serving", source, error)
                raise
            old = self.current
            self.current = new
            self.metrics.reloads.labels("served").inc()
            self.metrics.serving(**new.summary())
            log.info(
                "%s: serving `%s` version %s (%s), was %s",
                source,
                new.policy.name,
                new.policy.version,
                new.fingerprint,
                old.fingerprint,
            )
            return new

    async def _reload_quietly(self, source: str) -> None:
        with contextlib.suppress(CultureRejected):
            await self.reload(source)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self._reloading = asyncio.Lock()
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[None]] = set()

        def hangup() -> None:
            task = loop.create_task(self._reload_quietly("SIGHUP"))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        handled = self.sighup and hasattr(signal, "SIGHUP")
        if handled:
            loop.add_signal_handler(signal.SIGHUP, hangup)
        if self.log_path is not None and self.decision_log is None:
            self.decision_log = DecisionLog(self.log_path)
        try:
            yield
        finally:
            if handled:
                loop.remove_signal_handler(signal.SIGHUP)
            if self.decision_log is not None:
                self.decision_log.close()
                self.decision_log = None


def create_app(
    culture: str | os.PathLike[str],
    *,
    keep: Sequence[str] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
    max_records: int = MAX_RECORDS,
    timeout: float = TIMEOUT,
    batch_chunk: int = BATCH_CHUNK,
    reload_token: str | None = None,
    sighup: bool = False,
    log: str | os.PathLike[str] | None = None,
    decision: str | None = None,
) -> Service:
    """The decision service for a culture file: an ASGI application.

    Args:
        culture: The culture file (loaded again by each reload), or a decision table: a DMN
            model, a CSV or XLSX sheet (`crmculture.io.tables`), served without an org.
        keep: Fields of a record that are not facts (a customer id): copied into its answer
            and its errors, never checked as facts.
        max_body_bytes: The largest request body (413 above it).
        max_records: The most records in one batch (413 above it).
        timeout: Seconds for a request's body to arrive (408 after it) and for a batch to
            be decided (records left undecided get an error line in place).
        batch_chunk: Records a batch decides at a time.
        reload_token: The bearer token ``POST /v1/reload`` wants; None turns HTTP reload off.
        sighup: Reload on SIGHUP (for `crmculture serve`: only one application per process
            should).
        log: A decision log (`crmculture.log.DecisionLog`) to append every decision to, with
            its kept fields and as-of date: what `crmculture replay`, `drift` and `report` read.
        decision: For a DMN model with several decision tables, the one to serve (its
            decision's name or id), at start and at every reload.

    Raises:
        CultureRejected: when the culture cannot be served (every problem listed).
        OSError: when the decision log cannot be opened for writing.

    Examples:
        >>> app = create_app("examples/acme-culture.yaml", keep=["customer_id"])
        >>> sorted(route.path for route in app.app.routes)[:3]
        ['/healthz', '/metrics', '/openapi.json']
        >>> app.current.policy.name
        'acme'
    """
    limits = Limits(max_body_bytes, max_records, timeout, batch_chunk)
    return Service(
        culture,
        keep=keep,
        limits=limits,
        reload_token=reload_token,
        sighup=sighup,
        log=log,
        decision=decision,
    )


# -- requests ------------------------------------------------------------------------------


def _decide_request(
    document: Any, served: ServedCulture
) -> tuple[dict[str, Any], str | None, bool, dt.date | None]:
    """The parts of a ``/v1/decide`` body: customer, department, explain, as_of; every
    problem of its shape at once (422)."""
    if not isinstance(document, dict):
        raise _Refusal(
            422,
            "invalid-request",
            "invalid request",
            f"a decide request is a JSON object, not {_json_type(document)}",
        )
    problems = [
        Problem((key,), f"unknown field `{key}`" + did_you_mean(key, _REQUEST_KEYS))
        for key in document
        if key not in _REQUEST_KEYS
    ]
    customer = document.get("customer")
    if "customer" not in document:
        problems.append(Problem(("customer",), "required field is missing"))
    elif not isinstance(customer, dict):
        problems.append(
            Problem(("customer",), f"a customer is a JSON object, not {_json_type(customer)}")
        )
    department = document.get("department")
    if department is not None and not isinstance(department, str):
        problems.append(
            Problem(("department",), f"a department is a string, not {_json_type(department)}")
        )
    explain = document.get("explain", False)
    if not isinstance(explain, bool):
        problems.append(Problem(("explain",), f"explain is true or false, not `{explain}`"))
    as_of, problem = _as_of(document.get("as_of"))
    if problem:
        problems.append(Problem(("as_of",), problem))
    if problems:
        kept = (
            {name: customer.get(name) for name in served.keep}
            if served.keep and isinstance(customer, dict)
            else None
        )
        raise _Refusal(422, "invalid-request", "invalid request", "", problems, kept)
    assert isinstance(customer, dict)
    return customer, department, explain, as_of


def _as_of(value: Any) -> tuple[dt.date | None, str | None]:
    """An ``as_of`` as sent (a ``YYYY-MM-DD`` string, or null): the date, or why not."""
    if value is None:
        return None, None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            if len(value) == 10:
                return dt.date.fromisoformat(value), None
    return None, f"as_of is a date written YYYY-MM-DD, not `{value}`"


def required_as_of(served: ServedCulture, as_of: dt.date | None) -> None:
    """Refuse a request without ``as_of`` for a culture that decides by the date (relative
    dates, rules' effective dates): the caller must say which day it asks about."""
    if as_of is None and served.policy.uses_as_of:
        users = ", ".join(f"`{name}`" for name in served.policy.as_of_users)
        raise _Refusal(
            422,
            "as-of-required",
            "as_of required",
            f"this culture decides by the date ({users}): send as_of, a date YYYY-MM-DD",
            [Problem(("as_of",), "required: the culture decides by the date")],
        )


def _batch_parameters(
    request: Request, served: ServedCulture
) -> tuple[str | None, Emit, bool, dt.date | None]:
    """The query of a ``/v1/decide-batch``: department, emit, explain, as_of."""
    query = request.query_params
    problems = [
        Problem((key,), f"unknown parameter `{key}`" + did_you_mean(key, _BATCH_PARAMETERS))
        for key in dict.fromkeys(query.keys())
        if key not in _BATCH_PARAMETERS
    ]
    problems.extend(
        Problem((key,), "given more than once")
        for key in _BATCH_PARAMETERS
        if len(query.getlist(key)) > 1
    )
    emit = query.get("emit", "full")
    if emit not in ("full", "directives"):
        problems.append(Problem(("emit",), f"emit is `full` or `directives`, not `{emit}`"))
    explain_text = query.get("explain", "false").lower()
    if explain_text not in ("true", "false", "1", "0"):
        problems.append(Problem(("explain",), f"explain is true or false, not `{explain_text}`"))
    explain = explain_text in ("true", "1")
    if explain and emit != "full":
        problems.append(Problem(("explain",), "an explanation goes with emit=full"))
    as_of, problem = _as_of(query.get("as_of"))
    if problem:
        problems.append(Problem(("as_of",), problem))
    if problems:
        raise _Refusal(400, "invalid-parameters", "invalid query parameters", "", problems)
    department = query.get("department")
    _known_department(served.policy, department)
    return department, emit, explain, as_of  # type: ignore[return-value]


def _known_department(
    policy: Policy, department: str | None, kept: Mapping[str, Any] | None = None
) -> None:
    """Refuse (404) a department the policy does not declare, with the record's kept fields."""
    if department is None or policy.departments is None or department in policy.departments:
        return
    unknown = UnknownDepartmentError(department, policy.departments)
    raise _Refusal(
        404,
        "unknown-department",
        "unknown department",
        str(unknown),
        [Problem(("department",), str(unknown))],
        kept,
    )


def _intake_problems(
    schema: Schema, record: dict[str, Any], rejected: InvalidCustomer
) -> InvalidCustomer:
    """The error `crmculture.Schema.parse` raises for a record the evaluator `rejected`
    (the same problems, in intake's words: ``"42.5" is not a whole number``)."""
    try:
        schema.parse(record)
    except InvalidCustomer as error:
        return error
    return rejected


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _record_count(text: str, form: str, limit: int) -> int:
    """How many records a batch holds: exactly for a JSON array; for NDJSON and CSV, at most
    (its line breaks, when that is within `limit`) or exactly up to one over `limit`. A
    problem when a JSON array batch is not a JSON array."""
    if form == "json":
        try:
            document = json.loads(text, parse_constant=_reject_constant)
        except ValueError as error:
            raise _Refusal(
                400, "malformed-json", "malformed JSON", f"the body is not JSON: {error}"
            ) from None
        except RecursionError:
            raise _Refusal(
                400, "malformed-json", "malformed JSON", "the body nests too deeply"
            ) from None
        if not isinstance(document, list):
            raise _Refusal(
                422,
                "invalid-request",
                "invalid request",
                f"a batch is a JSON array of customers, not {_json_type(document)} "
                "(or NDJSON: send it as application/x-ndjson)",
            )
        return len(document)
    breaks = text.count("\n") + text.count("\r") + 1
    if breaks <= limit:
        return breaks  # at most this many: under the limit, no need to count exactly
    if form == "csv":
        return _csv_record_count(text, limit)
    count = 0
    for line in io.StringIO(text, newline=""):
        if line.strip():
            count += 1
            if count > limit:
                break
    return count


def _csv_record_count(text: str, limit: int) -> int:
    """The records (and errors in place) `crmculture decide` reads from a CSV batch, counted
    up to one over `limit`: its rows after the header, a row in quotes over several lines
    once, blank lines not at all, and each row that does not parse as an error line."""
    # The reader `crmculture.io.records.read_records` uses, without typing the records.
    rows = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    count = 0
    while count <= limit:
        try:
            next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                return count + 1  # the rest of the input is one error line
        count += 1
    return count


def _next_chunk(chunks: Iterator[OutputChunk]) -> OutputChunk | None:
    return next(chunks, None)


def _overdue_lines(
    served: ServedCulture, text: str, form: str, answered: int, timeout: float
) -> Iterator[tuple[bytes, int]]:
    """An error line for every record after the first `answered`, in place: the records a
    batch did not decide within its time limit."""
    message = f"not decided: the request ran over its time limit of {timeout:g} s"
    keep = served.keep
    lines: list[str] = []
    for item in read_records(io.StringIO(text, newline=""), served.policy.schema, form):  # type: ignore[arg-type]
        if item.index < answered:
            continue
        line: dict[str, Any] = {
            "record": item.index,
            "line": item.line,
            "error": message,
            "problems": [],
        }
        if keep:
            values = {} if isinstance(item, RecordError) else item.customer
            line["keep"] = {name: values.get(name) for name in keep}
        lines.append(json.dumps(line, sort_keys=True) + "\n")
        if len(lines) >= 4096:
            yield "".join(lines).encode("utf-8"), len(lines)
            lines = []
    if lines:
        yield "".join(lines).encode("utf-8"), len(lines)


def _decision_body(
    served: ServedCulture, decision: Decision, explain: bool, kept: dict[str, Any] | None
) -> bytes:
    """``{"culture_fingerprint", "decision", "explanation"?, "keep"?}``: the decision's text
    from the library's encoder, byte for byte."""
    text = served.encoder(decision)
    parts = ['{"culture_fingerprint": "', served.fingerprint, '", "decision": ']
    try:
        if text is None:
            raise UnicodeEncodeError("utf-8", "", 0, 1, "a lone surrogate")
        parts.append(text)
        if explain:
            parts.append(', "explanation": ')
            parts.append(json.dumps(decision.explain(), ensure_ascii=False))
        if kept is not None:
            parts.append(', "keep": ')
            parts.append(json.dumps(kept, sort_keys=True, ensure_ascii=False))
        parts.append("}")
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (a `\ud800` escape in the request) has no UTF-8: JSON escapes.
        document: dict[str, Any] = {
            "culture_fingerprint": served.fingerprint,
            "decision": decision.to_dict(),
        }
        if explain:
            document["explanation"] = decision.explain()
        if kept is not None:
            document["keep"] = kept
        return json.dumps(document, sort_keys=True).encode("ascii")
