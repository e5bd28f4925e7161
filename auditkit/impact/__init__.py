"""Forward questions, for when something was wrong: impact, rollback, comparison and the recipe.

Lineage runs from a decision back to its sources; these run the other way or side by side:

- :mod:`.targets` and :mod:`.index`: from a commit, a dataset, a run or a version forward to the
  runs trained from it and the versions registered from them;
- :mod:`.serving`: when each version served, under which alias or stage (the ledger's snapshots);
- :mod:`.decisions`: the decisions they made, counted; :mod:`.rollback`: where to roll back to;
- :mod:`.document`: the ``impact`` document;
- :mod:`.sides`, :mod:`.artifacts`, :mod:`.sheet`, :mod:`.compare`: ``diff`` of two versions or runs;
- :mod:`.recipe`: ``reproduce``, the recipe to retrain and a script that would.
"""

from __future__ import annotations

from .artifacts import Environment, read_environment
from .compare import diff, differences
from .decisions import DECISION_COLUMNS, DecisionCounts, count_decisions, write_decisions
from .document import SCHEMA_VERSION, affected_versions, impact
from .index import Affected, ForwardIndex
from .recipe import recipe_script, reproduce, write_script
from .rollback import rollback_target
from .serving import Interval, served_intervals
from .sheet import sheet
from .sides import Subject, resolve_subject
from .targets import Target, parse_target

__all__ = [
    "DECISION_COLUMNS", "SCHEMA_VERSION", "Affected", "DecisionCounts", "Environment", "ForwardIndex", "Interval",
    "Subject", "Target", "affected_versions", "count_decisions", "diff", "differences", "impact",
    "parse_target", "read_environment", "recipe_script", "reproduce", "resolve_subject", "rollback_target",
    "served_intervals", "sheet", "write_decisions", "write_script",
]
