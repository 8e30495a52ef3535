"""The names that readers of result folders imported from here before the files wing was
split by job: writing (:mod:`~sim.files.write`), folders of results (:mod:`~sim.files.store`),
reading them back (:mod:`~sim.files.read`), their text (:mod:`~sim.files.text`)."""

from sim.files.layout import FORMATS, MANIFEST, PLAN, POINTS, PROFILE, PROFILES, STATS, SUMMARY
from sim.files.read import Saved, SavedPoint, load_results
from sim.files.store import ExperimentStore, save, save_experiment
from sim.files.text import format_summary
from sim.files.write import (
    MissingDependencyError,
    OutputError,
    check_destination,
    check_format,
    default_folder,
    require_pandas,
    version,
    write_atomic,
)

__all__ = [
    "FORMATS",
    "MANIFEST",
    "PLAN",
    "POINTS",
    "PROFILE",
    "PROFILES",
    "STATS",
    "SUMMARY",
    "ExperimentStore",
    "MissingDependencyError",
    "OutputError",
    "Saved",
    "SavedPoint",
    "check_destination",
    "check_format",
    "default_folder",
    "format_summary",
    "load_results",
    "require_pandas",
    "save",
    "save_experiment",
    "version",
    "write_atomic",
]
