"""The lineage store: the only writer of the SQLite database.

Kernels, the Jupyter server and task processes all write through ``Store``,
one class assembled from one module per domain:

* ``connection.py`` — opening, migrating, short write transactions, errors;
* ``feed.py`` — the change feed the browser replica reads (snapshot, changes);
* ``runs.py`` — kernel sessions, runs, components, checks, notes, renames;
* ``lineage.py`` — what runs read and wrote, artifacts, flags;
* ``pipelines.py`` — promoted pipelines, their runs and task runs, the scheduler's lease.
* ``monitoring.py`` — profiles of component outputs, drift verdicts.
* ``monitors.py`` — model monitors, their windows, triggers and trigger requests.

A new domain (pipelines, monitoring) adds its module and its base class here.
"""

from __future__ import annotations

from .feed import ChangeFeed
from .lineage import LineageStore
from .monitoring import MonitoringStore
from .monitors import MonitorStore
from .pipelines import PipelineStore
from .runs import RunStore


class Store(RunStore, LineageStore, PipelineStore, MonitoringStore, MonitorStore, ChangeFeed):
    """A connection to the lineage store at ``path`` (created and migrated on open)."""
