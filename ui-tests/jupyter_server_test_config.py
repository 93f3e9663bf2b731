"""Server configuration for integration tests.

!! Never use this configuration in production because it
opens the server to the world and provide access to JupyterLab
JavaScript objects through the global window variable.
"""
import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

# Every test run gets a fresh lineage store: galata's root_dir is a new temporary
# folder, and Plumbline's store defaults to <root_dir>/.plumbline/lineage.db.
# A PLUMBLINE_DB from the environment (or a c.Plumbline.db_path from the user's
# config) would point the tests at a real store instead, so drop both.
os.environ.pop("PLUMBLINE_DB", None)
c.Plumbline.db_path = os.path.join(c.ServerApp.root_dir, ".plumbline", "lineage.db")  # noqa: F821

# Uncomment to set server log level to debug level
# c.ServerApp.log_level = "DEBUG"
