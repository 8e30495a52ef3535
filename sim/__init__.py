"""bordersim: event-driven simulation of border clearance for essential medicines.

Three lines in a notebook::

    import sim
    result = sim.run("scenarios/baseline.toml", replications=5)
    print(result.text())

Experiments: ``sim.compare([...])`` (scenarios or variants side by side, with paired
differences) and ``sim.sweep(file, vary=[...])`` (a trade-off curve); each result has
``.summary()``, ``.text()``, ``.to_dataframe()`` and ``.save(folder)``. Pictures:
``sim.write_report(folder)`` writes a saved folder's ``report.html`` and figures, and
``sim.write_explorer(folder)`` a sweep's interactive ``explore.html``. Fitting a scenario to
a Time Release Study: ``sim.calibrate(file, targets, free=["KEY=LOW:HIGH"])``. The best
decision under constraints: ``sim.optimise(file, maximise="interception_rate",
subject_to=["within_24h_share>=0.9"], decide=["policy.rates.red=0:0.3"])``. Which
assumptions an answer hinges on: ``sim.sensitivity(file)`` (every value the file marks
as an assumption, +-20%) or ``sim.sensitivity(file, vary=["KEY=LOW:HIGH", ...])``.
"""

from functools import wraps as _wraps
from typing import Any as _Any

from sim.experiment.calibrate import CalibrationResult
from sim.experiment.calibrate import calibrate as _calibrate
from sim.experiment.compare import CompareResult, compare
from sim.experiment.executors import (
    DaskExecutor,
    Executor,
    ExecutorError,
    ProcessExecutor,
    SerialExecutor,
)
from sim.experiment.optimise import OptimisationResult
from sim.experiment.optimise import optimise as _optimise
from sim.experiment.options import ExperimentError
from sim.experiment.replications import AUTO_METRICS
from sim.experiment.run import RunResult, run
from sim.experiment.sensitivity import SensitivityResult
from sim.experiment.sensitivity import sensitivity as _sensitivity
from sim.experiment.sweep import SweepResult, sweep
from sim.measure.figure_data import FigureData
from sim.measure.metrics import KEY_METRICS, replication_metrics
from sim.measure.statistics import summarise
from sim.model.border import Border, PolicyError, simulate
from sim.model.network import Hook, Network, simulate_network
from sim.model.records import Records
from sim.policies import (
    POLICIES,
    BorderView,
    CapacityAware,
    Decision,
    Declaration,
    Learned,
    Learning,
    Policy,
    PolicyConfig,
    PolicyContext,
    Profiles,
    Quota,
    RandomSelection,
    RiskScore,
    load_plugin,
    policy_factory,
    register_policy,
)
from sim.present.explore import write_explorer
from sim.present.report import write_report
from sim.scenario import from_dict, load_scenario, loads_scenario
from sim.schema import Scenario, ScenarioError
from sim.streams import Streams, replication_seeds


@_wraps(_calibrate)
def calibrate(*args: _Any, **kwargs: _Any) -> CalibrationResult:
    result = _calibrate(*args, **kwargs)
    if result.folder is not None:  # the report page, where the present wing has it
        try:
            from sim.present.calibration import write_calibration_report
        except ImportError:
            pass
        else:
            write_calibration_report(result.folder)
    return result


@_wraps(_optimise)
def optimise(*args: _Any, **kwargs: _Any) -> OptimisationResult:
    result = _optimise(*args, **kwargs)
    if result.folder is not None:  # the report page, where the present wing has it
        from sim.present.optimisation import write_optimisation_report

        write_optimisation_report(result.folder)
    return result


@_wraps(_sensitivity)
def sensitivity(*args: _Any, **kwargs: _Any) -> SensitivityResult:
    result = _sensitivity(*args, **kwargs)
    if result.folder is not None:  # the report page, where the present wing has it
        from sim.present.sensitivity import write_sensitivity_report

        write_sensitivity_report(result.folder)
    return result


__all__ = [
    "AUTO_METRICS",
    "KEY_METRICS",
    "POLICIES",
    "calibrate",
    "compare",
    "from_dict",
    "load_plugin",
    "load_scenario",
    "loads_scenario",
    "optimise",
    "policy_factory",
    "register_policy",
    "replication_metrics",
    "replication_seeds",
    "run",
    "sensitivity",
    "simulate",
    "simulate_network",
    "summarise",
    "sweep",
    "write_explorer",
    "write_report",
    "Border",
    "BorderView",
    "CalibrationResult",
    "CapacityAware",
    "CompareResult",
    "DaskExecutor",
    "Decision",
    "Declaration",
    "Executor",
    "ExecutorError",
    "ExperimentError",
    "OptimisationResult",
    "Policy",
    "PolicyConfig",
    "PolicyContext",
    "PolicyError",
    "ProcessExecutor",
    "FigureData",
    "Hook",
    "Learned",
    "Learning",
    "Network",
    "Profiles",
    "Quota",
    "RandomSelection",
    "Records",
    "RiskScore",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SensitivityResult",
    "SerialExecutor",
    "Streams",
    "SweepResult",
]
