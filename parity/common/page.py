"""The HTML page every report shares: ``parity/templates/base.html`` (one
stylesheet for the parity report, the backtest report and the sweep)."""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

__all__ = ["TEMPLATES", "render_page"]

#: The folder of the HTML templates (package data).
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def render_page(title: str, body: str, heading: str | None = None) -> str:
    """A self-contained HTML page.

    ``title`` is plain text (escaped); ``heading`` is the ``<h1>``'s HTML
    (default: the escaped title); ``body`` is HTML put in as is.

    >>> page = render_page("A & B", "<p>hi</p>")
    >>> "<title>A &amp; B</title>" in page and "<h1>A &amp; B</h1>" in page
    True
    """
    base = Template((TEMPLATES / "base.html").read_text(encoding="utf-8"))
    return base.substitute(
        title=html.escape(title),
        heading=html.escape(title) if heading is None else heading,
        body=body,
    )
