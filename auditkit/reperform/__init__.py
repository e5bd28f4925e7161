"""Re-performing a decision (the package behind ``auditkit.explain``; named ``reperform`` so that
``auditkit.explain`` stays the function): replay the registered model on the logged inputs, attribute the
score, recompute the principal reasons and find what would have changed the outcome.

- :mod:`.artifacts`: a version's model files from its artifact location, each SHA-256 hashed
  (:class:`ArtifactSource` is the plug-in point for stores whose artifacts sit behind a server);
- :mod:`.loading`: safe loading (skops with the trusted types the MLmodel lists, ONNX, native
  boosters; pickle only when trusted);
- :mod:`.engine`: replay, contributions, reasons and counterfactuals per model version;
- :mod:`.contributions`, :mod:`.reasons`, :mod:`.counterfactuals`, :mod:`.background`;
- :mod:`.document`: one decision's explain JSON; :mod:`.batch`: every decision as a frame.

This part loads numpy and pandas when imported; the CLI imports it inside its command.
"""

from __future__ import annotations

from .artifacts import Artifact, ArtifactSource, LocalArtifactSource, parse_artifact_roots, read_artifact
from .batch import FRAME_COLUMNS, explain_frame, summary, version_summary
from .counterfactuals import DEFAULT_IMMUTABLE, actionable_features, is_protected
from .document import SCHEMA_VERSION, explain, explain_one
from .engine import DEFAULT_TOLERANCE, Explainer
from .loading import LoadedModel, load_model
from .reasons import MAX_REASONS, ReasonMap, load_reason_map

__all__ = [
    "DEFAULT_IMMUTABLE", "DEFAULT_TOLERANCE", "FRAME_COLUMNS", "MAX_REASONS", "SCHEMA_VERSION", "Artifact",
    "ArtifactSource", "Explainer", "LoadedModel", "LocalArtifactSource", "ReasonMap", "actionable_features",
    "explain", "explain_frame", "explain_one", "is_protected", "load_model", "load_reason_map",
    "parse_artifact_roots", "read_artifact", "summary", "version_summary",
]
