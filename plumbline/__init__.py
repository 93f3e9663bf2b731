"""Plumbline: observable, schedulable ML pipelines from JupyterLab notebooks."""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "dev"


#: The public API: name -> the module that defines it. Each loads on first use, so
#: the server and the recorder do not pay for it at import; dir(plumbline) lists
#: them all. A capability adds its names here.
_PUBLIC = {
    "check": ".checks",
    "ComponentTests": ".checks",
    "load": ".artifacts.load",
    "drift": ".monitoring.api",  # (plumbline.monitoring.drift is the module of the measures)
    "profile": ".monitoring.api",
    "DriftResult": ".monitoring.api",
    "Profile": ".monitoring.profiles",
    "monitor": ".monitoring.monitor",
    "Monitor": ".monitoring.monitor",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'plumbline' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-plumbline"}]


def _jupyter_server_extension_points():
    return [{"module": "plumbline.server"}]


def load_ipython_extension(shell):
    """``%load_ext plumbline``: record every cell run of this kernel."""
    from .kernel import load_ipython_extension as load

    load(shell)


def unload_ipython_extension(shell):
    from .kernel import unload_ipython_extension as unload

    unload(shell)
