"""The local dashboard: one offline HTML page of the reports and the pipeline's health."""

from __future__ import annotations

from pathlib import Path


def build(warehouse: Path, out: Path) -> Path:
    """Read ``warehouse``, write the dashboard to ``out`` (atomically) and return ``out``."""
    import os

    from taxiway.dashboard.data import load
    from taxiway.dashboard.page import render

    text = render(load(warehouse))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out
