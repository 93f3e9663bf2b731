"""Server configuration of the UI benchmark (bench/sidebar.py): galata's test
configuration, on the benchmark's prepared store and notebooks folder."""
import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821
c.ServerApp.root_dir = os.environ["PLUMBLINE_BENCH_ROOT"]  # noqa: F821
c.Plumbline.db_path = os.environ["PLUMBLINE_BENCH_DB"]  # noqa: F821
