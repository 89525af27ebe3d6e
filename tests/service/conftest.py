"""The service over real HTTP: uvicorn on 127.0.0.1, on a free port, in a thread.

`running(app)` serves an application until the block ends; the `acme` fixture serves the
ACME culture (customer ids kept, HTTP reload on with the token ``TOKEN``) for a whole module,
and `client` is an httpx client for it (module-wide too, so that hypothesis tests may use
it). Tests that change the culture (reloads) copy it to a file of their own and start their
own server.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from crmculture.service import Service, create_app

ROOT = Path(__file__).parent.parent.parent
ACME = ROOT / "examples" / "acme-culture.yaml"
HERE = Path(__file__).parent
TOKEN = "s3cret-token"


class Served:
    """A running service: its application and its base URL."""

    def __init__(self, app: Service, url: str) -> None:
        self.app = app
        self.url = url


@contextlib.contextmanager
def running(app: Service) -> Iterator[Served]:
    """Serve `app` with uvicorn on 127.0.0.1 (a free port) in a thread; stop it after."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield Served(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def acme() -> Iterator[Served]:
    """The ACME culture served, customer ids kept, HTTP reload on with `TOKEN`."""
    with running(create_app(ACME, keep=["customer_id"], reload_token=TOKEN)) as served:
        yield served


@pytest.fixture(scope="module")
def client(acme: Served) -> Iterator[httpx.Client]:
    """An httpx client for the `acme` service."""
    with httpx.Client(base_url=acme.url, timeout=30) as session:
        yield session


@pytest.fixture
def culture_copy(tmp_path: Path) -> Path:
    """A copy of the ACME culture file that a test may edit and reload."""
    target = tmp_path / "culture.yaml"
    shutil.copyfile(ACME, target)
    return target


def retitled(path: Path, version: str) -> None:
    """Give the culture file at `path` another version (so another fingerprint)."""
    text = path.read_text()
    path.write_text(text.replace('version: "2026.11"', f'version: "{version}"', 1))
