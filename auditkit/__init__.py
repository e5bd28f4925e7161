"""auditkit: turn experiment-tracking data into audit evidence.

``connectors → records → lineage → fairness → reports → cli``, data flowing one way.
"""

from __future__ import annotations

from .connectors import open_store
from .errors import AuditkitError

__version__ = "0.1.0"

__all__ = ["AuditkitError", "__version__", "open_store"]
