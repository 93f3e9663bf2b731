"""Pipelines promoted from notebook cells: spec, compiler, graph, code generation, runner, scheduler, export.

Modules (see docs/architecture.md, "Pipelines"):

* ``models.py`` — the spec's dataclasses; ``spec.py`` — the folder layout, load/validate/write
  (``pipeline.schema.json``); ``cron.py`` — schedules, DST, data intervals (one home);
* ``compiler.py`` — cells -> tasks, edges, problems; ``graph.py`` — order and cycles;
  ``codegen.py`` — one readable module per task;
* ``task.py`` — the task process; ``zygote.py``/``launcher.py`` — starting and stopping it;
  ``runner.py`` — one pipeline run; ``scheduler.py`` — slots, lease, catch-up, resume;
* ``service.py`` — what the CLI (``cli.py``) and the REST handlers do; ``probe.py`` — the live
  kernel's view for the promote dialog; ``export/airflow.py`` — a DAG file per pipeline.
"""
