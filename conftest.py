import os

import pytest

pytest_plugins = ("pytest_jupyter.jupyter_server",)


@pytest.fixture(autouse=True)
def _isolated_store_env():
    """The server extension exports PLUMBLINE_DB; keep tests from leaking it."""
    saved = os.environ.pop("PLUMBLINE_DB", None)
    yield
    os.environ.pop("PLUMBLINE_DB", None)
    if saved is not None:
        os.environ["PLUMBLINE_DB"] = saved


@pytest.fixture
def store_path(tmp_path):
    return str(tmp_path / "store" / "lineage.db")


@pytest.fixture
def jp_server_config(jp_server_config, tmp_path):
    return {
        "ServerApp": {
            "jpserver_extensions": {"plumbline": True},
            # Test against a server which requires authentication on all endpoints
            "allow_unauthenticated_access": False,
        },
        "Plumbline": {"db_path": str(tmp_path / "server-store" / "lineage.db")},
        # Each test server would start a scheduler thread that outlives it; tests that need one turn it on.
        "PipelineScheduler": {"enabled": False},
    }
