"""Plumbline: observable, schedulable ML pipelines from JupyterLab notebooks."""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "dev"


def __getattr__(name):
    # The checks API (plumbline.check, plumbline.ComponentTests) loads on first
    # use, so the server and the recorder do not pay for it at import.
    if name in ("check", "ComponentTests"):
        from . import checks

        return getattr(checks, name)
    if name == "load":
        from .artifacts.load import load

        return load
    if name in ("drift", "profile", "DriftResult"):
        from .monitoring import api  # (plumbline.monitoring.drift is the module of the measures)

        return getattr(api, name)
    if name == "Profile":
        from .monitoring.profiles import Profile

        return Profile
    raise AttributeError(f"module 'plumbline' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + ["check", "ComponentTests", "load", "drift", "profile", "Profile", "DriftResult"])


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
