"""bordersim: event-driven simulation of border clearance for essential medicines.

Three lines in a notebook::

    import sim
    result = sim.run("scenarios/baseline.toml", replications=5)
    print(result.text())
"""

from sim.border import Border, PolicyError, simulate
from sim.experiment import RunResult, run
from sim.metrics import KEY_METRICS, replication_metrics, summarise
from sim.policies import (
    POLICIES,
    BorderView,
    Decision,
    Declaration,
    Policy,
    PolicyConfig,
    PolicyContext,
    RandomSelection,
    register_policy,
)
from sim.records import Records
from sim.scenario import Scenario, ScenarioError, from_dict, load_scenario, loads_scenario
from sim.streams import Streams, replication_seeds

__all__ = [
    "KEY_METRICS",
    "POLICIES",
    "Border",
    "BorderView",
    "Decision",
    "Declaration",
    "Policy",
    "PolicyConfig",
    "PolicyContext",
    "PolicyError",
    "RandomSelection",
    "Records",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Streams",
    "from_dict",
    "load_scenario",
    "loads_scenario",
    "register_policy",
    "replication_metrics",
    "replication_seeds",
    "run",
    "simulate",
    "summarise",
]
