"""Write ``reason_codes.yaml``: the sample lender's reason texts (``reasons.py``, from the German
Credit codebook) as an auditkit reason-code map (``feature=value`` → text, ``feature`` → text with
``{value}``). Run from the repository root: ``.venv/bin/python sample_data/make_reason_codes.py``.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from reasons import CODE_TEXT, NUMERIC_TEXT, reason_text

HERE = Path(__file__).resolve().parent


def main() -> None:
    out: dict[str, str] = {}
    for feature, template in NUMERIC_TEXT.items():
        out[feature] = template.replace("{v:,}", "{value:,}").replace("{v}", "{value}")
        if reason_text(feature, 1) != template.format(v=1):  # singular wording for 1
            out[f"{feature}=1"] = reason_text(feature, 1)
    for feature, codes in CODE_TEXT.items():
        for code, text in codes.items():
            out[f"{feature}={code}"] = text
    header = ("# Reason-code map of the sample lender (auditkit explain --reason-map): feature=value -> text,\n"
              "# feature -> text with {value}. Written by make_reason_codes.py from reasons.py (codebook texts).\n")
    (HERE / "reason_codes.yaml").write_text(header + yaml.safe_dump(out, sort_keys=False, allow_unicode=True),
                                            encoding="utf-8")


if __name__ == "__main__":
    main()
