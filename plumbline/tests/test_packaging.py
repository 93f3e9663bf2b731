"""What users install: the distribution's name and the JupyterLab versions the extension declares."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = json.loads((ROOT / "package.json").read_text("utf-8"))


def singletons() -> set:
    """The packages JupyterLab shares with every extension (one copy, the host's)."""
    import jupyterlab

    staging = Path(jupyterlab.__file__).parent / "staging" / "package.json"
    return set(json.loads(staging.read_text("utf-8"))["jupyterlab"]["singletonPackages"])


def test_the_distribution_is_jupyterlab_plumbline_and_the_import_name_plumbline():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["name"] == "jupyterlab-plumbline" == PACKAGE["name"]  # `plumbline` on PyPI is another project
    assert (ROOT / "plumbline" / "__init__.py").is_file()


def test_jupyterlab_packages_are_ranges_not_pins_and_the_build_shares_them_as_declared():
    """Pinned @jupyterlab packages made `jupyter labextension list` say "not compatible" on any
    other JupyterLab, and the builder's own requiredVersion (the JupyterLab it builds with)
    made older ones warn "Unsatisfied version" for each shared singleton."""
    shared = PACKAGE["jupyterlab"]["sharedPackages"]
    for name, wanted in PACKAGE["dependencies"].items():
        if name not in singletons():
            continue
        assert re.fullmatch(r"\^\d+\.\d+\.\d+", wanted), f"{name}: {wanted} is not a caret range"
        assert shared.get(name) == {"requiredVersion": wanted, "singleton": True, "bundled": False}, name
    assert set(shared) <= set(PACKAGE["dependencies"])
    lowest = {n: v for n, v in PACKAGE["dependencies"].items() if n.startswith("@jupyterlab/")}
    assert lowest["@jupyterlab/application"] == "^4.2.0"  # @codemirror/merge needs the CodeMirror of 4.2


def test_the_build_itself_stays_on_the_pinned_jupyterlab():
    resolutions = PACKAGE["resolutions"]
    assert resolutions["@jupyterlab/application"] == "4.6.4"  # the registry gap: ../shared/notes/toolchain.md


def test_the_readme_states_the_supported_range_and_the_install_command():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "`pip install jupyterlab-plumbline`" in readme
    assert "JupyterLab 4.2" in readme


def test_dir_lists_the_public_api_and_each_name_loads():
    import subprocess
    import sys

    # A fresh interpreter: the API is listed before anything loaded it.
    code = ("import plumbline, sys; names = [n for n in dir(plumbline) if not n.startswith('_')]; "
            "print(names); print('plumbline.checks' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert eval(out[0]) == ["ComponentTests", "DriftResult", "Monitor", "Profile", "check", "drift", "load",
                            "load_ipython_extension", "monitor", "profile", "unload_ipython_extension"]
    assert out[1] == "False"  # listed, not imported
    import plumbline

    assert set(plumbline.__all__) >= {"check", "ComponentTests", "load", "drift", "profile", "DriftResult", "Profile"}
    assert callable(plumbline.check) and callable(plumbline.load) and isinstance(plumbline.ComponentTests, type)
    assert callable(plumbline.drift) and callable(plumbline.profile)
    assert isinstance(plumbline.DriftResult, type) and isinstance(plumbline.Profile, type)
    assert callable(plumbline.monitor) and isinstance(plumbline.Monitor, type)
