"""Messages of report building and rendering. One line each, naming the bad input and what was
expected.
"""

from __future__ import annotations

REPORT_UNKNOWN_ALIAS = "model {name!r} has no alias {alias!r}; aliases: {choices}"
REPORT_VERSION_OR_ALIAS = "give exactly one of --version or --alias for model {name!r}"
REPORT_BAD_OUTPUT = "output {path!r} has no report extension; expected one of: .pdf, .html"
REPORT_BAD_SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH {value!r} is not an integer number of seconds"
REPORT_TEMPLATES_MISSING = "templates folder {path!r} does not exist or is not a folder"
REPORT_TEMPLATE_MISSING = "template {name!r} is in neither {dirs}"
REPORT_TEMPLATE_ERROR = "template {name!r} failed to render: {reason}"
REPORT_FIELDS_UNREADABLE = "fields file {path!r} cannot be read: {reason}"
REPORT_FIELDS_NOT_MAPPING = "fields file {path!r} must hold a mapping of field names to text, found {found}"
REPORT_CANNOT_WRITE = "cannot write report {path!r}: {reason}"
REPORT_NO_SAMPLE_DATA = "sample data folder {path!r} holds no {what}; expected {expected}"
REPORT_FIELDS_UNKNOWN = ("fields file {path!r}: {kind} report has no field {key!r}; fields: {choices} "
                         "(auditkit report {command} --list-fields)")
