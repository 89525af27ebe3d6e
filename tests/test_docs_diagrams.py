"""The docs site draws every diagram as SVG at build time, and shows it without network.

The site is built (mkdocs, strict) into a temporary directory; every page whose Markdown has
a ```dot fence is opened in headless Chromium (Debian's ``chromium``; ``make test-setup``
installs it and Graphviz), and the page as the browser sees it must hold one SVG diagram per
fence, no fence left as text, and no script from another site. Then the condensed ACME
diagram and the generated 20-department org, taken from the built pages, are shown at page
width (800 pixels) and screenshotted; with ``CRMCULTURE_UPDATE_GOLDEN=1`` the screenshots are
written to docs/images/, where the docs show them.

It builds the site once (about half a minute), and runs with the default suite: the diagrams
are what the docs show, so `make test` checks them.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
IMAGES = DOCS / "images"
WIDTH = 800
SHOTS = {
    # screenshot: (page, position of the diagram on it)
    "acme-condensed.png": ("concepts/org-graph.md", 0),
    "twenty-condensed.png": ("concepts/org-graph.md", 2),
}


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "the docs test needs Debian's chromium: run `make test-setup`"
    return found


def browse(*args: str) -> str:
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert shutil.which("dot"), "the docs need Graphviz's dot: run `make test-setup`"
    target = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(target)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    return target


def pages_with_diagrams() -> dict[str, int]:
    """Every docs page with ```dot fences, and how many."""
    found = {}
    for page in sorted(DOCS.rglob("*.md")):
        count = len(re.findall(r"^```dot$", page.read_text(encoding="utf-8"), flags=re.M))
        if count:
            found[page.relative_to(DOCS).as_posix()] = count
    return found


def built(site: Path, page: str) -> Path:
    return site / page.removesuffix(".md") / "index.html"


def test_there_are_diagrams_to_check() -> None:
    """The tutorial, the concepts page and the how-to draw diagrams."""
    assert sum(pages_with_diagrams().values()) >= 5


def test_every_diagram_is_an_svg_in_the_browser(site: Path) -> None:
    """In the browser, each fence is an SVG; nothing is loaded from another site."""
    for page, count in pages_with_diagrams().items():
        dom = browse("--dump-dom", built(site, page).as_uri())
        diagrams = re.findall(r'<div class="org-diagram"><svg', dom)
        assert len(diagrams) == count, page
        assert 'class="dot"' not in dom, page
        assert 'class="mermaid"' not in dom, page
        sources = re.findall(r'<script[^>]+src="([^"]+)"', dom)
        assert [s for s in sources if s.startswith(("http:", "https:", "//"))] == [], page


def png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def test_screenshots_at_page_width(site: Path, tmp_path: Path) -> None:
    """The condensed ACME diagram and the 20-department org, as the site draws them, at
    page width; written to docs/images with CRMCULTURE_UPDATE_GOLDEN=1."""
    update = bool(os.environ.get("CRMCULTURE_UPDATE_GOLDEN"))
    for name, (page, position) in SHOTS.items():
        html = built(site, page).read_text(encoding="utf-8")
        diagrams = re.findall(r'<div class="org-diagram">.*?</svg>\s*</div>', html, flags=re.S)
        svg = diagrams[position]
        box = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"', svg)
        assert box is not None
        height = int(WIDTH * float(box.group(4)) / float(box.group(3))) + 16
        frame = tmp_path / f"{name}.html"
        frame.write_text(
            f'<html><body style="margin:8px;width:{WIDTH}px;background:white">'
            f"<style>.org-diagram svg{{width:100%;height:auto}}</style>{svg}</body></html>",
            encoding="utf-8",
        )
        shot = (IMAGES if update else tmp_path) / name
        shot.parent.mkdir(exist_ok=True)
        browse(f"--screenshot={shot}", f"--window-size={WIDTH + 16},{height}", frame.as_uri())
        assert png_size(shot)[0] == WIDTH + 16
        assert (IMAGES / name).exists(), f"docs/images/{name} is missing: update the screenshots"
