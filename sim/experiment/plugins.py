"""Where the plug-in loader used to live: it is :mod:`sim.policies.plugins` now (this module
goes once nothing imports it)."""

from sim.policies.plugins import PluginError, load_plugins, replacement
from sim.policies.plugins import register_plugin as load_plugin

__all__ = ["PluginError", "load_plugin", "load_plugins", "replacement"]
