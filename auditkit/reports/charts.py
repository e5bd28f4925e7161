"""Deterministic SVG charts (matplotlib, no pyplot), embedded as ``data:`` URIs.

The same values give the same bytes: a fixed ``svg.hashsalt`` for element ids, no date in the
SVG metadata, and text never parsed as mathtext (labels come from user-typed names). Text is
kept as SVG text in DejaVu Sans (WeasyPrint draws it with the report's fonts).
"""

from __future__ import annotations

import base64
import io
import math
import warnings
from collections.abc import Sequence

from ..errors import AuditkitWarning
from .context import Chart

_RC = {
    "svg.hashsalt": "auditkit-report",
    "svg.fonttype": "none",  # text stays text: half the layout time, selectable, read by screen readers
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

MAX_LABEL = 28
BAR = "#4a6fa5"
BEST = "#d08c2a"


def _clip(text: str, width: int = MAX_LABEL) -> str:
    from ..fairness.charts import chart_text  # heavy (matplotlib): loaded with the first chart

    text = chart_text(text)
    return text if len(text) <= width else text[: width - 1] + "…"


CHART_FAILED = "The chart {what} could not be drawn ({reason}); the report shows its values in the tables only."


def chart_failed(what: str, exc: BaseException) -> str:
    """The sentence (a report gap) for a chart that could not be drawn, also given as an
    :class:`~auditkit.errors.AuditkitWarning` so the user running the command is told."""
    reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
    message = CHART_FAILED.format(what=what, reason=reason)
    warnings.warn(message, AuditkitWarning, stacklevel=2)
    return message


def _svg_data_uri(fig) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG  # heavy: loaded on first use

    FigureCanvasSVG(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    from ..fairness.charts import check_svg  # heavy (matplotlib): loaded with the first chart

    check_svg(buf.getvalue().decode("utf-8"))
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def bar_chart(*, key: str, title: str, labels: Sequence[str], values: Sequence[float | None],
              highlight: int | None = None, xlabel: str = "", ci: Sequence[tuple[float, float] | None] | None = None,
              reference: float | None = None, reference_label: str = "") -> Chart:
    """A horizontal bar chart, one bar per label (missing and non-finite values left blank).

    ``highlight`` marks one bar (the best run); ``ci`` adds error bars; ``reference`` draws a
    dashed vertical line (e.g. the four-fifths threshold). Text is shown by
    :func:`auditkit.fairness.charts.chart_text` (control characters as escapes). Raises
    ValueError when the SVG drawn is not well-formed.
    """
    import matplotlib  # heavy: loaded on first use
    from matplotlib.figure import Figure  # heavy: loaded on first use

    n = len(labels)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(6.6, min(9.0, 0.9 + 0.24 * max(n, 1))))
        ax = fig.add_subplot(1, 1, 1)
        ys = list(range(n))
        shown = [v if isinstance(v, (int, float)) and math.isfinite(v) else 0.0 for v in values]
        colors = [BEST if i == highlight else BAR for i in range(n)]
        ax.barh(ys, shown, color=colors, height=0.7)
        if ci is not None:
            for y, interval, v in zip(ys, ci, shown):
                if interval is not None and None not in interval:
                    ax.plot([interval[0], interval[1]], [y, y], color="#222222", linewidth=1)
        if reference is not None:
            ax.axvline(reference, color="#b03030", linestyle="--", linewidth=1, label=reference_label)
            if reference_label:
                ax.legend(loc="lower right", fontsize=7, frameon=False)
        for y, v in zip(ys, values):
            if isinstance(v, (int, float)) and math.isfinite(v):
                ax.annotate(f"{v:.4g}", (v, y), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=7)
            else:
                ax.annotate("no value", (0, y), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=7, color="#777777")
        ax.set_yticks(ys, [_clip(label) for label in labels])
        ax.invert_yaxis()
        ax.set_title(_clip(title, 80), loc="left")
        if xlabel:
            ax.set_xlabel(_clip(xlabel, 80))
        lo = min([0.0] + [v for v in shown])
        hi = max([0.0] + [v for v in shown] + [b for i in (ci or []) if i for b in i if b is not None])
        if hi > lo:
            ax.set_xlim(lo, hi + (hi - lo) * 0.18)
        fig.tight_layout()
        uri = _svg_data_uri(fig)
    finite = [(label, v) for label, v in zip(labels, values) if isinstance(v, (int, float)) and math.isfinite(v)]
    alt = f"{title}: " + "; ".join(f"{_clip(label, 60)} {v:.4g}" for label, v in finite[:40])
    if len(finite) > 40:
        alt += f"; and {len(finite) - 40} more"
    return Chart(key=key, title=title, alt=alt, data_uri=uri)
