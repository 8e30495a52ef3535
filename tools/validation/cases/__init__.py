"""The validation cases, one module per section of the report; importing this package
registers them all, in the order the report lists them. To add a case, write a function
returning rows in the module of its section (or a new module, imported here) and register it
with :func:`tools.validation.run.register`."""

# Registration order is the order of the report and of --list.
# isort: off
from tools.validation.cases import (
    queues,
    priority,
    network,
    little,
    detection,
    cliff,
    censoring,
    office,
    batches,
)
# isort: on

__all__ = [
    "queues",
    "priority",
    "network",
    "little",
    "detection",
    "cliff",
    "censoring",
    "office",
    "batches",
]
