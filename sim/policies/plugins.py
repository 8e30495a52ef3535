"""Plug-in policies: a researcher's own :class:`~sim.policies.base.Policy` subclass.

A scenario file never names code to load. A plug-in is given explicitly: to the Python API
as a class, an object factory or a ``"module:Class"`` text, or on the command line with
``--policy-plugin module:Class``. This module is the one loader of both:

- :func:`load_plugin` imports ``module:Class`` and checks it is a usable policy;
- :func:`register_plugin` (and :func:`load_plugins`) does that for a plug-in given by name
  to an experiment, and registers a class with a ``kind``, so that a scenario file or a
  variant can select it with ``[policy] kind = "..."`` and give it settings; worker
  processes call it again before they run a replication (classes travel by reference,
  never as pickled code from a file);
- :func:`replacement` says which plug-in replaces the scenarios' ``[policy]``, if any.

Every failure is a :class:`PluginError`.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sim.policies.base import Policy, PolicyConfig, PolicyError
from sim.policies.registry import POLICIES, register_policy
from sim.schema import suggest

USAGE = (
    "a plug-in policy is given as module:Class (an importable module, e.g. mypolicies:QueueAware) "
    "or path/to/file.py:Class"
)


class PluginError(PolicyError):
    """A plug-in policy that cannot be loaded or used: the message says why and what is
    expected. ``spec`` is the ``module:Class`` text when the plug-in was given by name to an
    experiment (``--policy-plugin``); the message then starts with it."""

    def __init__(self, message: str, spec: str | None = None):
        self.message = message
        self.spec = spec
        super().__init__(message if spec is None else f"--policy-plugin {spec}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:  # from a worker process, with its spec
        return (type(self), (self.message, self.spec))


def _import(module: str) -> Any:
    if module.endswith(".py") or "/" in module or "\\" in module:
        path = Path(module)
        if not path.is_file():
            raise PluginError(f"plug-in file '{module}' not found")
        name = f"_bordersim_plugin_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise PluginError(f"'{module}' cannot be loaded as a Python module")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        except Exception as exc:
            del sys.modules[name]
            raise PluginError(f"importing '{module}' failed: {type(exc).__name__}: {exc}") from exc
        return mod
    added = False
    cwd = str(Path.cwd())
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)  # as `python -m`: modules in the working folder are found
        added = True
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise PluginError(
                f"no module named '{module}' (looked in the working folder and the installed "
                f"packages); {USAGE}"
            ) from None
        raise PluginError(f"importing '{module}' failed: {exc}") from exc
    except Exception as exc:
        raise PluginError(f"importing '{module}' failed: {type(exc).__name__}: {exc}") from exc
    finally:
        if added:
            sys.path.remove(cwd)


def check_plugin(obj: Any, where: str) -> type[Policy]:
    """``obj`` if it is a usable Policy subclass, else a :class:`PluginError` saying why."""
    if not inspect.isclass(obj):
        raise PluginError(f"{where} is {type(obj).__name__}, not a class; {USAGE}")
    if not issubclass(obj, Policy):
        raise PluginError(
            f"{where} is not a policy: it must subclass sim.Policy and define select(declaration, "
            "border)"
        )
    if obj.select is Policy.select:
        raise PluginError(f"{where} does not define select(declaration, border)")
    if inspect.isabstract(obj):
        raise PluginError(f"{where} is abstract and cannot be created")
    return obj


def load_plugin(spec: str) -> type[Policy]:
    """Import ``module:Class`` (or ``path/to/file.py:Class``) and check it is a Policy
    subclass; raises :class:`PluginError` with a plain message otherwise."""
    if not isinstance(spec, str):
        raise PluginError(f"expected text module:Class, got {type(spec).__name__}; {USAGE}")
    module, sep, name = spec.strip().rpartition(":")
    if not sep or not module or not all(p.isidentifier() for p in name.split(".")):
        raise PluginError(f"'{spec}' is not module:Class; {USAGE}")
    mod = _import(module)
    obj = mod
    for part in name.split("."):
        if not hasattr(obj, part):
            names = [n for n, v in vars(mod).items() if inspect.isclass(v) and n[:1] != "_"]
            hint = suggest(part, names)
            msg = f"module '{module}' has no '{part}'"
            msg += f" (did you mean '{hint}'?)" if hint else ""
            policies = [n for n in names if issubclass(vars(mod)[n], Policy) and n != "Policy"]
            if policies:
                msg += f"; policies in it: {', '.join(sorted(policies))}"
            raise PluginError(msg)
        obj = getattr(obj, part)
    return check_plugin(obj, f"'{spec}'")


def policy_factory(policy: Any) -> Callable[[], Policy] | None:
    """A zero-argument factory of fresh policy objects (one per replication) from what a user
    passes as ``policy``: None (the scenario's own), a factory, a Policy subclass (created
    with its default settings) or a ``"module:Class"`` text."""
    if policy is None:
        return None
    if isinstance(policy, str):
        cls = load_plugin(policy)
        return cls
    if inspect.isclass(policy):
        return check_plugin(policy, f"{policy.__module__}.{policy.__qualname__}")
    if isinstance(policy, Policy):
        raise PluginError(
            "pass the policy's class or a factory (lambda: MyPolicy(...)), not an object: each "
            "replication needs a fresh one"
        )
    if callable(policy):
        return policy
    msg = f"policy must be a Policy subclass, a factory or module:Class, got {policy!r}"
    raise PluginError(msg)


def register_plugin(spec: str) -> type[Policy]:
    """Import ``module:Class`` and return the class, registered under its ``kind`` if it has
    one (idempotent: loading it again, in any process, is cheap). Errors name the spec."""
    try:
        cls = load_plugin(spec)
    except Exception as exc:  # a PluginError, or anything the plug-in's module raised
        raise PluginError(str(exc), spec) from None
    kind = getattr(cls, "kind", "")
    config = getattr(cls, "Config", None)
    registrable = inspect.isclass(config) and issubclass(config, PolicyConfig)
    if isinstance(kind, str) and kind and registrable:
        taken = POLICIES.get(kind)
        if taken is not None and _origin(taken) != _origin(cls):
            raise PluginError(f"kind {kind!r} is already used by {_origin(taken)}", spec)
        if taken is not cls:
            register_policy(cls)
    return cls


def _origin(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def load_plugins(specs: Iterable[str]) -> list[type[Policy]]:
    """:func:`register_plugin` for each spec, in order."""
    return [register_plugin(spec) for spec in specs]


def replacement(specs: list[str], kinds: Iterable[str]) -> str | None:
    """Which plug-in replaces the scenarios' ``[policy]`` on the command line, if any.

    A plug-in that a scenario (or variant) selects by its ``kind`` is used there with that
    file's settings, and then no plug-in replaces anything. Otherwise the one plug-in given
    replaces ``[policy]`` everywhere, with its default settings.
    """
    if not specs:
        return None
    used = set(kinds)
    classes = load_plugins(specs)
    if any(getattr(c, "kind", "") in used for c in classes):
        return None
    if len(specs) > 1:
        raise PluginError(
            "several plug-ins were given but no scenario selects any of them by kind: give "
            'one to replace [policy], or select each with [policy] kind = "..." in a variant',
            specs[1],
        )
    return specs[0]
