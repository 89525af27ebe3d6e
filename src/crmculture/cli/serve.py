"""``crmculture serve``: the decision service (`crmculture.service`) under uvicorn.

The service extra is imported here only, when the command runs: every other command works
on the core install.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
from typing import IO

from crmculture.cli.arguments import _check_decision, _culture_file
from crmculture.cli.exit_codes import EXIT_OK, _UsageError

RELOAD_TOKEN_VARIABLE = "CRMCULTURE_RELOAD_TOKEN"
"""The environment variable whose value turns on ``POST /v1/reload`` (as its bearer token)."""


def _serve(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    try:
        import uvicorn

        from crmculture.service import create_app
    except ImportError:
        raise _UsageError(
            "crmculture serve needs the service extra: pip install 'crmculture[service]'"
        ) from None
    path = _culture_file(args.culture)
    _check_decision(path, args.decision)
    token = os.environ.get(RELOAD_TOKEN_VARIABLE) or None
    # A culture the service will not serve (it does not load, or breaks a promise) stops the
    # command here, with its problems, before anything listens.
    app = create_app(
        path,
        keep=args.keep,
        max_body_bytes=args.max_body_bytes,
        max_records=args.max_records,
        timeout=args.timeout,
        reload_token=token,
        sighup=True,
        log=args.log,
        decision=args.decision,
    )
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    service_log = logging.getLogger("crmculture.service")
    service_log.addHandler(handler)
    service_log.setLevel(logging.INFO)
    served = app.current
    err.write(
        f"crmculture: serving `{served.policy.name}` version {served.policy.version} "
        f"({served.fingerprint}) on http://{args.host}:{args.port}; reload with SIGHUP"
        + (" or POST /v1/reload\n" if token else f" (set {RELOAD_TOKEN_VARIABLE} for HTTP)\n")
    )
    err.flush()
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        workers=1,
        access_log=args.access_log,
        log_level="info",
        timeout_graceful_shutdown=5,
    )
    # What is loaded now lives as long as the process: the collector need not scan it again
    # and again, which shortens the pauses that show in the slowest answers.
    gc.collect()
    gc.freeze()
    try:
        uvicorn.Server(config).run()
    finally:
        service_log.removeHandler(handler)
    return EXIT_OK
