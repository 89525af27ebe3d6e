"""``crmculture decide`` (streamed records, or Parquet through the batch layer) and
``crmculture explain`` (one customer)."""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from crmculture.cli.arguments import _customer, _load, _open_output
from crmculture.cli.exit_codes import EXIT_FINDINGS, EXIT_OK, _UsageError
from crmculture.cli.problems import _write_json
from crmculture.evaluate.reference import check_department
from crmculture.io.decision_stream import decide_records
from crmculture.io.records import RecordFormat
from crmculture.log import DecisionLog
from crmculture.model.policies import Policy

# -- decide ---------------------------------------------------------------------------------


def _record_format(path: str, given: str | None) -> RecordFormat:
    if given:
        return given  # type: ignore[return-value]
    suffix = Path(path).suffix.lower()
    return {".json": "json", ".csv": "csv"}.get(suffix, "jsonl")  # type: ignore[return-value]


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Progress:
    """A one-line count of decided records on standard error, only when it is a terminal.

    The clock is read every `every` records and the line rewritten at most every `interval`
    seconds; nothing is shown for an input decided within the first `interval`. The clock
    only ever changes this display, never what is decided or written.
    """

    def __init__(
        self,
        stream: IO[str],
        *,
        active: bool,
        clock: Callable[[], float] | None = None,
        interval: float = 0.25,
        every: int = 256,
    ) -> None:
        self.stream = stream
        self.active = active
        # Looked up per progress, not bound at import: the display's only source of time.
        self.clock = clock or time.monotonic
        self.interval = interval
        self.every = every
        self.count = 0
        self.failed = 0
        self.shown = False
        self.due = self.clock() + interval if active else 0.0

    def tick(self, failed: bool) -> None:
        self.add(1, int(failed))

    def add(self, records: int, failed: int) -> None:
        before = self.count
        self.count += records
        self.failed += failed
        if self.active and self.count // self.every > before // self.every:
            now = self.clock()
            if now >= self.due:
                self.stream.write("\r" + self._text())
                self.stream.flush()
                self.shown = True
                self.due = now + self.interval

    def _text(self) -> str:
        text = f"decided {self.count:,} records"
        return text + (f", {self.failed:,} failed" if self.failed else "")

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r" + self._text() + "\n")
            self.stream.flush()


def _decide(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    policy = _load(args.culture, args.decision)
    check_department(policy, args.department)
    if args.input_format == "parquet" or (
        args.input_format is None and Path(args.customers).suffix.lower() in _PARQUET
    ):
        return _decide_parquet(args, policy, err)
    if args.errors is not None:
        raise _UsageError("--errors applies to Parquet input only")
    if args.explain and args.emit != "full":
        raise _UsageError("--explain goes with --emit full")
    facts = [name for name in args.keep if name in policy.schema]
    if facts:
        raise _UsageError(f"--keep `{facts[0]}` is a fact: keep fields that are not facts")
    fmt = _record_format(args.customers, args.input_format)
    stream = _open_records(args.customers)
    try:
        target = _open_output(args.output, out)
    except _UsageError:
        _close_records(stream, args.customers)
        raise
    log = None
    if args.log is not None:
        try:
            log = DecisionLog(args.log)
        except OSError as error:
            _close_records(stream, args.customers)
            raise _UsageError(f"cannot write the log `{args.log}`: {error.strerror}") from None
    # Never draw over the decisions themselves when they go to the same terminal.
    progress = _Progress(err, active=_isatty(err) and not (target is out and _isatty(out)))
    try:
        for chunk in decide_records(
            policy,
            stream,
            fmt,
            args.department,
            emit=args.emit,
            explain=args.explain,
            keep=args.keep,
            chunked=None if os.environ.get("CRMCULTURE_CHUNKED", "") != "0" else False,
            log=log,
            as_of=args.as_of,
        ):
            _write(target, chunk.text)
            progress.add(chunk.records, chunk.failed)
    finally:
        progress.done()
        if log is not None:
            log.close()
        _close_records(stream, args.customers)
        if target is not out:
            target.close()
    if progress.failed:
        err.write(
            f"crmculture: {progress.failed} of {progress.count} records could not be decided\n"
        )
    return EXIT_FINDINGS if progress.failed else EXIT_OK


def _write(target: IO[str], text: str, piece: int = 1 << 16) -> None:
    """Write in pieces: one large write to a pipe whose reader goes away can end without
    an error, where the next piece's write raises the `BrokenPipeError` the caller handles."""
    for start in range(0, len(text), piece):
        target.write(text[start : start + piece])


_PARQUET = (".parquet", ".pq")


def _open_records(path: str) -> IO[str]:
    """The customers' text. Undecodable bytes are kept as lone surrogates (the readers make
    each one its record's error), so that one bad byte does not stop the stream."""
    if path == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:  # a text stream given in place of standard input
            return sys.stdin
        return io.TextIOWrapper(buffer, encoding="utf-8", errors="surrogateescape", newline="")
    try:
        return open(path, encoding="utf-8", errors="surrogateescape", newline="")
    except OSError as error:
        raise _UsageError(f"cannot read `{path}`: {error.strerror}") from None


def _close_records(stream: IO[str], path: str) -> None:
    if path != "-":
        stream.close()
    elif stream is not sys.stdin and isinstance(stream, io.TextIOWrapper):
        stream.detach()  # standard input stays open for whoever called us


def _decide_parquet(args: argparse.Namespace, policy: Policy, err: IO[str]) -> int:
    """Parquet in, Parquet out, through the columnar evaluator; nothing is dropped."""
    if args.customers == "-":
        raise _UsageError("Parquet cannot be read from standard input: give the file")
    if args.output is None or Path(args.output).suffix.lower() not in _PARQUET:
        raise _UsageError("Parquet customers are decided into Parquet: give --output FILE.parquet")
    if args.explain:
        raise _UsageError("--explain is not available for Parquet; use JSON Lines or CSV")
    if args.log is not None:
        raise _UsageError("--log is for JSON Lines output; decide Parquet into Parquet")
    if args.emit != "full":
        raise _UsageError(
            "--emit is for JSON Lines output: Parquet decisions always hold each directive "
            "and the rule that set it"
        )
    try:
        import pyarrow

        from crmculture.batch import decide_parquet
    except ImportError:
        raise _UsageError(
            "Parquet needs the batch extra: pip install 'crmculture[batch]'"
        ) from None
    output = Path(args.output)
    errors = Path(args.errors) if args.errors else output.with_suffix(".errors.parquet")
    if not Path(args.customers).is_file():
        raise _UsageError(f"cannot read `{args.customers}`: no such file")
    try:
        summary = decide_parquet(
            policy,
            args.customers,
            output,
            args.department,
            errors=errors,
            on_error="report",
            keep=args.keep,
            as_of=args.as_of,
        )
    except (OSError, pyarrow.ArrowException) as error:
        raise _UsageError(f"cannot decide `{args.customers}`: {error}") from None
    if summary.failed:
        err.write(
            f"crmculture: {summary.failed} of {summary.rows} records could not be decided; "
            f"their problems are in {errors}\n"
        )
        return EXIT_FINDINGS
    return EXIT_OK


# -- explain --------------------------------------------------------------------------------


def _explain(args: argparse.Namespace, out: IO[str]) -> int:
    policy = _load(args.culture, args.decision)
    customer = _customer(args.customer, policy.schema)
    check_department(policy, args.department)
    decision = policy.compile()(customer, args.department, as_of=args.as_of)
    if args.json:
        _write_json(out, {"decision": decision.to_dict(), "explanation": decision.explain()})
    else:
        out.write(decision.explain() + "\n")
    return EXIT_OK


# -- replay ---------------------------------------------------------------------------------


def _replay(args: argparse.Namespace, out: IO[str]) -> int:
    from crmculture.log import replay

    policy = _load(args.culture, args.decision)
    if not Path(args.log).is_file():
        raise _UsageError(f"cannot read the log `{args.log}`: no such file")
    found = replay(args.log, policy)
    if args.json:
        _write_json(out, found.to_dict())
    else:
        out.write(found.text() + "\n")
    attention = found.changed or found.rejected or found.problems
    return EXIT_FINDINGS if attention else EXIT_OK
