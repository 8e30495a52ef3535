"""How well a learning policy's model ranked declarations, measured after the run against the
ground truth it never saw (:class:`sim.policies.learning.Learned` in the records).

- targeting.auc = ROC AUC of the model's scores (illicit against legitimate) of the counted
  declarations it scored (those selected after its first training);
- targeting.auc_period_<k> = the same over every declaration scored in retraining period k
  (period k starts at hour (k - 1) x ``retrain_days`` x 24, by the time of selection; from
  period 2, the first with a trained model, to the last starting in the arrival window);
- targeting.trainings = times the model was fitted; targeting.training_outcomes and
  targeting.training_illicit_share = the inspected outcomes its last fit learnt from and the
  share of them found illicit.
"""

from __future__ import annotations

import math

import numpy as np

from sim.measure import names
from sim.measure.metrics import auc
from sim.model.records import Records
from sim.schema import Scenario


def targeting_metrics(scenario: Scenario, rec: Records, counted: np.ndarray) -> dict[str, float]:
    """The ``targeting.*`` metrics of a learning policy's run; none for any other policy."""
    learned = rec.learning
    if learned is None:
        return {}
    truth = rec.traffic.truth
    scored = ~np.isnan(learned.scores)
    out: dict[str, float] = {}

    def auc_of(mask: np.ndarray) -> float:
        return auc(learned.scores[mask & (truth > 0)], learned.scores[mask & (truth == 0)])

    out[names.targeting("auc")] = auc_of(scored & counted)
    period = learned.period_hours
    week = np.floor(rec.selected / period)
    for k in range(2, math.ceil(scenario.hours / period) + 1):
        out[names.targeting_period(k)] = auc_of(scored & (week == k - 1))
    trainings = learned.trainings
    out[names.targeting("trainings")] = float(len(trainings))
    last = trainings[-1] if trainings else None
    out[names.targeting("training_outcomes")] = float(last.outcomes) if last else 0.0
    out[names.targeting("training_illicit_share")] = (
        last.found / last.outcomes if last else math.nan
    )
    return out
