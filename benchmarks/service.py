"""The decision service over loopback: requests per second and latency for ``/v1/decide``,
records per second for ``/v1/decide-batch`` (NDJSON and CSV).

Starts ``crmculture serve`` (one uvicorn worker) on 127.0.0.1 in a subprocess, then, for
each of ``--rounds`` rounds:

- ``/v1/decide``: ``--requests`` requests from ``--clients`` concurrent clients (each a
  keep-alive HTTP/1.1 connection sending its next request when the answer to the last one has
  arrived), each a generated customer as text (``"yes"``, ``"42210.0"``, as an ERP sends
  them) with a customer id kept; throughput, and p50 / p99 latency as a client sees it;
- ``/v1/decide-batch``: ``--batch`` records as NDJSON, then the same records as CSV, each with
  ``emit=directives`` and full decisions; records per second from the first byte sent to the
  last byte received.

Baselines, measured in the same run in this process: the library deciding the same records
one by one (``Schema.parse``, the compiled policy, the decision encoder: what the service
does per request, without HTTP), and ``crmculture.io.decision_stream.decide_records`` on the
same NDJSON or CSV text (what the batch route does, without HTTP). The ratios say what HTTP costs.

Stops by itself: each measurement has a fixed count and a time budget (``--budget``
seconds), and the server is stopped at the end. Loopback only. Targets of issue 19: 2,000
requests/s with 16 clients and p99 under 20 ms; 100,000 records/s for the batch.
The machine may be shared: the medians of the rounds are the figures to quote.

Run with ``python benchmarks/service.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent
CULTURE = ROOT / "examples" / "acme-culture.yaml"
TIERS = ["bronze", "silver", "gold", "platinum"]
DEPARTMENTS = ["sales", "support", "engineering", "billing", "shipping"]


def records(count: int, seed: int = 20261205) -> list[dict[str, object]]:
    """`count` generated customer records, with values as text as often as not."""
    rng = random.Random(seed)
    found = []
    for number in range(count):
        record: dict[str, object] = {
            "customer_id": f"c-{number}",
            "credit_hold": rng.choice([True, False, "yes", "no"]),
            "days_overdue": rng.choice([0, 0, "0", 5, "20", 45, 90]),
            "annual_volume": rng.choice([rng.randrange(0, 2_000_000), "42210.0"]),
            "tier": rng.choice(TIERS),
            "balance": rng.choice(["120.50", 99.5, "0"]),
        }
        if rng.random() < 0.5:
            record["satisfaction"] = round(rng.uniform(0, 10), 1)
        found.append(record)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crmculture",
            "serve",
            str(CULTURE),
            "--port",
            str(port),
            "--keep",
            "customer_id",
            "--max-records",
            "1000000",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the service did not start within 30 s")


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


async def _client(port: int, requests: list[bytes], latencies: list[float], deadline: float) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    failed = 0
    clock = time.perf_counter
    try:
        for request in requests:
            if clock() > deadline:
                break
            started = clock()
            writer.write(request)
            status, _ = await _read_answer(reader)
            latencies.append(clock() - started)
            failed += status != 200
    finally:
        writer.close()
    return failed


def server_cpu(pid: int) -> float | None:
    """The CPU seconds the server process has used (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(coroutine: Any) -> Any:
    """Run the load generator on uvloop when it is installed (the client then takes less of
    the machine the server shares), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def decide_requests(port: int, bodies: list[bytes]) -> list[bytes]:
    return [
        b"POST /v1/decide HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (port, len(body), body)
        for body in bodies
    ]


async def _decide_round(
    port: int, requests: list[bytes], clients: int, budget: float
) -> tuple[float, float, float, int, int]:
    latencies: list[float] = []
    deadline = time.perf_counter() + budget
    shares = [requests[k::clients] for k in range(clients)]
    started = time.perf_counter()
    failed = await asyncio.gather(*(_client(port, share, latencies, deadline) for share in shares))
    elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / elapsed, p50, p99, len(latencies), sum(failed)


def batch_records(count: int, seed: int = 11) -> list[dict[str, object]]:
    """`count` generated customer records with JSON-typed values, as an export writes them."""
    rng = random.Random(seed)
    return [
        {
            "customer_id": f"c-{number}",
            "credit_hold": rng.random() < 0.05,
            "days_overdue": rng.choice([0, 0, 0, 5, 20, 45, 90]),
            "annual_volume": rng.randrange(0, 2_000_000),
            "tier": rng.choice(TIERS),
            "satisfaction": round(rng.uniform(0, 10), 1),
            "open_tickets": rng.randrange(0, 6),
        }
        for number in range(count)
    ]


MEDIA = {"jsonl": b"application/x-ndjson", "csv": b"text/csv"}
FORMS = {"jsonl": "NDJSON", "csv": "CSV"}


def csv_text(items: list[dict[str, object]]) -> str:
    """The records as CSV with a header row, as a spreadsheet export writes them."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(items[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(items)
    return text.getvalue()


def batch_round(
    port: int, body: bytes, budget: float, emit: str, form: str = "jsonl"
) -> tuple[float, int]:
    """Records per second for one batch (NDJSON or CSV), and the lines answered."""
    request = (
        b"POST /v1/decide-batch?department=sales&emit=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        % emit.encode()
        + b"Content-Type: %s\r\nConnection: close\r\n" % MEDIA[form]
        + b"Content-Length: %d\r\n\r\n" % len(body)
    )
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=budget) as connection:
        connection.sendall(request + body)
        received = bytearray()
        while chunk := connection.recv(1 << 20):
            received += chunk
    elapsed = time.perf_counter() - started
    head, _, rest = bytes(received).partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"the batch failed: {head[:200]!r}")
    lines = _dechunk(rest).count(b"\n")
    return lines / elapsed, lines


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    position = 0
    while True:
        end = data.index(b"\r\n", position)
        size = int(data[position:end], 16)
        if size == 0:
            return bytes(out)
        out += data[end + 2 : end + 2 + size]
        position = end + 2 + size + 2


def baseline_decide(items: list[dict[str, object]], departments: list[str]) -> float:
    """Decisions per second in this process: parse, decide, encode, as the service does."""
    from crmculture import load

    policy = load(CULTURE).policy
    decide = policy.compile()
    from crmculture.evaluate.decision_text import DecisionText

    encoder = DecisionText(policy)
    schema = policy.schema
    started = time.perf_counter()
    for record, department in zip(items, departments, strict=True):
        facts = {name: value for name, value in record.items() if name != "customer_id"}
        parsed = schema.parse(facts)
        decision = decide({name: parsed[name] for name in facts}, department)
        encoder(decision)
    return len(items) / (time.perf_counter() - started)


def baseline_batch(text: str, emit: str, form: str = "jsonl") -> float:
    """Records per second in this process through `decide_records`."""
    from crmculture import load
    from crmculture.io.decision_stream import decide_records

    policy = load(CULTURE).policy
    started = time.perf_counter()
    count = sum(
        chunk.records
        for chunk in decide_records(
            policy,
            io.StringIO(text, newline=""),
            form,  # type: ignore[arg-type]
            "sales",
            emit=emit,  # type: ignore[arg-type]
            keep=["customer_id"],
            chunk_size=4096,
        )
    )
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per measurement")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))

    items = records(args.requests)
    rng = random.Random(7)
    departments = [rng.choice(DEPARTMENTS) for _ in items]
    bodies = [
        json.dumps({"customer": record, "department": department}).encode()
        for record, department in zip(items, departments, strict=True)
    ]
    batch_items = batch_records(args.batch)
    batch_texts = {
        "jsonl": "".join(json.dumps(record) + "\n" for record in batch_items),
        "csv": csv_text(batch_items),
    }

    port = free_port()
    server = start_server(port)
    requests = decide_requests(port, bodies)
    rates: list[float] = []
    p50s: list[float] = []
    p99s: list[float] = []
    base_rates: list[float] = []
    cpus: list[float] = []
    cases = [(form, emit) for form in ("jsonl", "csv") for emit in ("directives", "full")]
    batch_rates: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
    base_batch: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
    try:
        # A short warm-up: the first requests fill the encoder's tables.
        run(_decide_round(port, requests[:2000], args.clients, args.budget))
        for round_ in range(1, args.rounds + 1):
            cpu_before = server_cpu(server.pid)
            rate, p50, p99, done, failed = run(
                _decide_round(port, requests, args.clients, args.budget)
            )
            cpu_after = server_cpu(server.pid)
            if cpu_before is not None and cpu_after is not None:
                cpus.append((cpu_after - cpu_before) / done)
            if failed:
                raise SystemExit(f"{failed} requests were not answered 200")
            base = baseline_decide(items, departments)
            rates.append(rate)
            p50s.append(p50)
            p99s.append(p99)
            base_rates.append(base)
            print(
                f"round {round_}: /v1/decide {rate:,.0f} req/s ({done:,} requests, "
                f"{args.clients} clients), p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms; "
                f"in-process {base:,.0f} decisions/s",
                flush=True,
            )
            for form, emit in cases:
                text = batch_texts[form]
                batch_rate, lines = batch_round(port, text.encode(), args.budget, emit, form)
                if lines != args.batch:
                    raise SystemExit(f"the batch answered {lines} lines for {args.batch} records")
                base_b = baseline_batch(text, emit, form)
                batch_rates[form, emit].append(batch_rate)
                base_batch[form, emit].append(base_b)
                print(
                    f"round {round_}: /v1/decide-batch {FORMS[form]} emit={emit} "
                    f"{batch_rate:,.0f} records/s ({lines:,} records); in-process "
                    f"decide_records {base_b:,.0f} records/s",
                    flush=True,
                )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    median = statistics.median
    print()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"medians of {args.rounds} rounds (one uvicorn worker, loopback; "
        f"{os.cpu_count()} cores, load average {load:.1f} at the end):"
    )
    print(
        f"  /v1/decide        {median(rates):>10,.0f} req/s   p50 {median(p50s) * 1000:.2f} ms   "
        f"p99 {median(p99s) * 1000:.2f} ms   (target >= 2,000 req/s, p99 < 20 ms)"
    )
    if cpus:
        print(
            f"  server CPU        {median(cpus) * 1e6:>10,.0f} us per /v1/decide request "
            f"(capacity {1 / median(cpus):,.0f} req/s on one free core)"
        )
    print(
        f"  baseline          {median(base_rates):>10,.0f} decisions/s in-process "
        f"(parse + decide + encode); service/baseline {median(rates) / median(base_rates):.2f}"
    )
    for form, emit in cases:
        rate, base = median(batch_rates[form, emit]), median(base_batch[form, emit])
        print(
            f"  /v1/decide-batch  {rate:>10,.0f} records/s   {FORMS[form]}, emit={emit}"
            + ("   (target >= 100,000)" if (form, emit) == ("jsonl", "directives") else "")
        )
        print(
            f"  baseline          {base:>10,.0f} records/s in-process (decide_records, "
            f"{FORMS[form]}, emit={emit}); service/baseline {rate / base:.2f}"
        )


if __name__ == "__main__":
    main()
