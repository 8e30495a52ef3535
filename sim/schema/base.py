"""The base of every table of a scenario file: unknown keys are errors, defaults are checked,
and nan or inf is never a value."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)
