"""Messages and gap sentences of ``explain``: one line each, naming the bad thing and what was
expected (tests compare them word for word)."""

from __future__ import annotations

# -- errors (raised) ------------------------------------------------------------------------------
EXPLAIN_BAD_ROOT = "artifact root mapping {value!r} is not OLD=NEW (e.g. mlflow-artifacts:/=/srv/mlartifacts)"
EXPLAIN_BAD_TOLERANCE = "tolerance {value!r} must be a number of 0 or more"
EXPLAIN_BAD_THRESHOLD = "threshold {value!r} must be a number"
EXPLAIN_MISSING_INPUTS = ("prediction {id!r} lacks inputs the model's signature needs: {missing}; "
                          "the log has: {have}")
EXPLAIN_REASON_MAP_UNREADABLE = "reason-code map {path!r} cannot be read: {why}"
EXPLAIN_REASON_MAP_SHAPE = ("reason-code map {path!r} must map feature or feature=value to a text "
                            "(a YAML mapping of strings); {why}")
EXPLAIN_BACKGROUND_UNREADABLE = "background data {path!r} cannot be read: {why}"
EXPLAIN_UNKNOWN_FEATURE = "{option} names {names}, which the model does not use; its inputs: {have}"

# -- gaps (one sentence each, in the explain JSON) --------------------------------------------------
GAP_NO_VERSION = "no model version is resolved for this decision, so its model cannot be replayed"
GAP_NO_LOCATION = "model version {ref} records no artifact location; its model files cannot be read"
GAP_REMOTE_LOCATION = ("the artifacts of {ref} are at {uri}, which auditkit cannot read from this store; "
                       "map it to a local folder with --artifact-root {scheme}=FOLDER")
GAP_LOCATION_MISSING = ("the artifact location {uri} of {ref} does not exist here; if the store moved, map its "
                        "root with --artifact-root OLD=NEW")
GAP_NO_MLMODEL = "the artifact location {uri} of {ref} holds no MLmodel file; its flavor and format are not known"
GAP_BAD_MLMODEL = "the MLmodel file of {ref} cannot be read as YAML: {why}"
GAP_NO_FLAVOR = ("the MLmodel of {ref} has no flavor auditkit can load safely ({flavors}); supported: sklearn "
                 "(skops), onnx, xgboost, lightgbm")
GAP_PICKLE = ("the {flavor} model of {ref} is stored as {format}, which runs code when loaded; it was not "
              "loaded: re-log it with serialization_format=\"skops\" or as ONNX, or pass --trust-pickle")
GAP_PICKLE_USED = ("the {flavor} model of {ref} was loaded from {format} because --trust-pickle was given; "
                   "unpickling runs code from the artifact")
GAP_UNTRUSTED_TYPES = ("the skops file of {ref} holds types its MLmodel does not list as trusted: {types}; it was "
                       "not loaded (log it with skops_trusted_types naming them if they are safe)")
GAP_LOADER_MISSING = ("the {flavor} model of {ref} needs the {package} package to load, which is not installed "
                      "(pip install {package})")
GAP_LOAD_FAILED = "the {flavor} model of {ref} ({format}) could not be loaded: {why}"
GAP_MODEL_FILE_MISSING = "the MLmodel of {ref} names {file}, which the artifact location does not hold"
GAP_NO_SCORE = "the log has no score for this decision; the replayed score is not compared"
GAP_SCORE_FAILED = "the model of {ref} could not score the logged inputs: {why}"
GAP_NO_THRESHOLD = ("no decision threshold is known (no --threshold, no decision_threshold tag on {ref}); the "
                    "replayed decision is not derived")
GAP_MISMATCH = ("the model of {ref} scores this decision {replayed} but the log says {logged} (difference "
                "{difference}, tolerance {tolerance})")
GAP_DECISION_DIFFERS = ("the replayed decision {replayed!r} (score {score} against threshold {threshold}) differs "
                        "from the logged decision {logged!r}")
GAP_UNSUPPORTED_REASON = ("logged reason {rank} {text!r} is not among the principal reasons the model's "
                          "contributions support for this decision")
GAP_NO_REASON_MAP = "no reason-code map was given; reasons are worded from feature names and values"
GAP_NO_CONTRIBUTIONS = "contributions were not computed: {why}"
GAP_NO_COUNTERFACTUAL = ("no change of one or two actionable features (values seen in the background data) "
                         "flips this decision")
