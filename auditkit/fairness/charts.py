"""Charts for reports: per-group selection rate and error rates with interval bars (SVG).

Output is byte-for-byte reproducible: fixed ``svg.hashsalt``, no date in the metadata, and the
figure is drawn without pyplot (no global state).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from xml.etree import ElementTree

import matplotlib
from matplotlib.figure import Figure

from .result import FairnessResult
from .stats import FOUR_FIFTHS

CHART_METRICS: tuple[str, ...] = (
    "selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate",
)
TITLES = {
    "selection_rate": "Selection rate", "accuracy": "Accuracy", "true_positive_rate": "True positive rate",
    "false_positive_rate": "False positive rate", "false_negative_rate": "False negative rate",
    "precision": "Precision",
}


# Characters XML 1.0 does not allow (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF),
# and C1 controls: matplotlib writes text into the SVG as it is, so one such character in a run
# or group name would make the whole SVG ill-formed (and a PDF renderer silently drop it).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def chart_text(text: object) -> str:
    """``text`` as it may appear in a chart: whitespace runs as one space, characters XML cannot
    hold (control characters) shown as ``\\xNN`` escapes, as the terminal shows them."""
    text = " ".join(str(text).split())
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def check_svg(svg: str) -> str:
    """``svg`` if it is well-formed XML; raises ValueError naming the problem otherwise (a chart
    that cannot be shown is reported, never dropped silently)."""
    try:
        ElementTree.fromstring(svg)
    except ElementTree.ParseError as exc:
        raise ValueError(f"the SVG is not well-formed XML ({exc})") from None
    return svg


def fairness_chart(result: FairnessResult, *, metrics: Sequence[str] | None = None, title: str | None = None) -> str:
    """SVG text: one panel per metric (default: selection rate and, when the log has labels,
    TPR, FPR and FNR), one horizontal bar per group, interval bars when the result has
    intervals, the four-fifths line (0.8 × the reference rate) on the selection-rate panel.

    Group names are shown by :func:`chart_text`. Raises KeyError for a metric name that is not in
    the result, ValueError when the SVG drawn is not well-formed."""
    frame = result.by_group
    if metrics is None:
        has_labels = int(frame["labelled_count"].sum()) > 0
        metrics = CHART_METRICS if has_labels else CHART_METRICS[:1]
    for m in metrics:
        if m not in frame.columns:
            raise KeyError(m)
    labels = [chart_text(", ".join(str(row[f]) for f in result.sensitive_features)) for _, row in frame.iterrows()]
    height = 1.2 + 0.32 * len(labels)
    # Text stays text (faster to lay out, selectable); a '$' in a group name is not mathtext.
    with matplotlib.rc_context({"svg.hashsalt": "auditkit-fairness", "svg.fonttype": "none",
                                "text.parse_math": False, "font.family": "DejaVu Sans", "font.size": 8}):
        fig = Figure(figsize=(3.0 * len(metrics) + 1.6, height))
        axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
        ypos = list(range(len(labels)))[::-1]
        for ax, m in zip(axes, metrics):
            values = [float(v) for v in frame[m]]
            shown = [0.0 if math.isnan(v) else v for v in values]
            colours = ["#c8c8c8" if math.isnan(v) else "#3b6ea5" for v in values]
            ax.barh(ypos, shown, color=colours, height=0.6)
            if f"{m}_ci_low" in frame.columns:
                lows, highs = frame[f"{m}_ci_low"].astype(float), frame[f"{m}_ci_high"].astype(float)
                for y, v, lo, hi in zip(ypos, values, lows, highs):
                    if not (math.isnan(v) or math.isnan(lo) or math.isnan(hi)):
                        ax.errorbar(v, y, xerr=[[max(v - lo, 0.0)], [max(hi - v, 0.0)]], fmt="none",
                                    ecolor="#222222", capsize=2, linewidth=0.8)
            for y, v in zip(ypos, values):
                if math.isnan(v):
                    ax.text(0.01, y, "undefined", va="center", fontsize=7, color="#555555")
            if m == "selection_rate":
                ref = frame
                for f, v in result.reference_group.items():
                    ref = ref[ref[f] == v]
                if len(ref) and not math.isnan(float(ref["selection_rate"].iloc[0])):
                    line = FOUR_FIFTHS * float(ref["selection_rate"].iloc[0])
                    ax.axvline(line, color="#b03a2e", linestyle="--", linewidth=0.8,
                               label="4/5 of reference")
                    ax.legend(loc="lower right", fontsize=6, frameon=False)
            ax.set_xlim(0, 1)
            ax.set_title(TITLES.get(m, m))
            ax.grid(axis="x", color="#e5e5e5", linewidth=0.5)
            ax.set_axisbelow(True)
        axes[0].set_yticks(ypos, labels)
        if title:
            fig.suptitle(chart_text(title))
        # Fixed margins from the longest group label instead of tight_layout (which measures
        # every text box and took most of the chart's time): ~0.55 em per character at 8 pt.
        width_in = fig.get_figwidth()
        label_in = 0.2 + 0.062 * max((len(t) for t in labels), default=4)
        top_in = 0.55 if title else 0.35
        fig.subplots_adjust(left=min(label_in / width_in, 0.45), right=1 - 0.15 / width_in,
                            bottom=0.35 / height, top=1 - top_in / height, wspace=0.12)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return check_svg(buf.getvalue())
