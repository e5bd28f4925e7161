"""Lineage: from a decision back to the model version, run, data, code, owner and approvals.

(The package is named ``provenance`` so that ``auditkit.lineage`` stays the function users call.)

- :mod:`.references`: a decision's model reference, parsed;
- :mod:`.resolution`: the reference resolved to registry records (through the ledger for aliases
  and stages);
- :mod:`.facts` and :mod:`.gaps`: the facts behind a version, each with its evidence, and one
  sentence per fact that is missing or unprovable;
- :mod:`.document`: one decision's lineage JSON; :mod:`.batch`: every decision's, as a frame;
- :mod:`.acceptance`: known gaps accepted by a person (who, when, why);
- :mod:`.attribution`: which version made each decision of a log (fairness per version);
- :mod:`.datadigest`: recomputing a logged dataset's digest from a data file.
"""

from __future__ import annotations

from ..accountability import DEFAULT_APPROVAL_KEYS
from .acceptance import AcceptedGaps, load_accepted, split_frame_gaps
from .attribution import Attribution, attribute_versions, attribution_columns
from .batch import FRAME_COLUMNS, iter_lineage_frames, lineage_frame
from .datadigest import DatasetCheck, DataVerification, mlflow_pandas_digest, verify_data
from .document import SCHEMA_VERSION, LocatedDecision, aliases_at, known_aliases, lineage, locate_decision
from .references import ModelRef, model_ref_columns, model_ref_of, normalize_version, parse_model_uri
from .resolution import Resolution, Resolver

__all__ = [
    "AcceptedGaps", "Attribution", "DEFAULT_APPROVAL_KEYS", "load_accepted", "split_frame_gaps", "attribute_versions", "attribution_columns", "FRAME_COLUMNS", "SCHEMA_VERSION", "DataVerification", "DatasetCheck",
    "ModelRef", "Resolution", "Resolver", "aliases_at", "iter_lineage_frames", "known_aliases",
    "LocatedDecision", "lineage", "lineage_frame", "locate_decision", "mlflow_pandas_digest", "model_ref_columns", "model_ref_of",
    "normalize_version", "parse_model_uri", "verify_data",
]
