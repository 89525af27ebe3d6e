"""A mkdocs hook: every ```dot fence of the docs becomes an inline SVG when the site is built.

Graphviz (Debian's ``graphviz`` package, the ``dot`` program) lays the diagrams out at build
time, so the site shows them without network and without JavaScript. The fence is written by
pymdownx.superfences as ``<pre class="dot"><code>...</code></pre>`` (see mkdocs.yml); the hook
replaces it with ``<div class="org-diagram">`` holding the SVG, scaled to the page width. A
diagram Graphviz cannot lay out fails the build, naming the page.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from typing import Any

_FENCE = re.compile(r'<pre class="dot"><code>(.*?)</code></pre>', re.DOTALL)
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def _svg(source: str, page: str) -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(
            f"{page}: the docs need Graphviz's `dot` to draw diagrams: apt-get install graphviz"
        )
    result = subprocess.run(
        [dot, "-Tsvg"], input=source, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{page}: Graphviz cannot draw a diagram: {result.stderr.strip()}")
    svg = _PROLOGUE.sub("", result.stdout, count=1)
    # Scale to the page: the SVG keeps its proportions (viewBox) and never overflows.
    svg = re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg role="img"', svg, count=1)
    return f'<div class="org-diagram">{svg}</div>'


def on_page_content(output: str, page: Any, **_: Any) -> str:
    """Replace each DOT fence of the page with its SVG."""
    where = str(page.file.src_uri)
    return _FENCE.sub(lambda found: _svg(html.unescape(found.group(1)), where), output)
