"""``plumbline`` (or ``python -m plumbline``): run a notebook headless, recorded; pipelines; the scheduler."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="plumbline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute a notebook headless; every cell is recorded")
    run.add_argument("notebook")
    run.add_argument("--output", help="write the executed notebook here")
    run.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    run.add_argument("--allow-errors", action="store_true", help="go on after a failing cell")
    run.add_argument("--store", help="lineage store path (default: $PLUMBLINE_DB or the project's)")
    from .pipelines.cli import add_commands, run as run_pipelines

    add_commands(commands)
    args = parser.parse_args(argv)
    if args.command != "run":
        return run_pipelines(args)

    import nbformat

    from .headless import run_notebook

    try:
        result = run_notebook(args.notebook, timeout=args.timeout, allow_errors=args.allow_errors,
                              store=args.store)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"plumbline: {exc}", file=sys.stderr)
        return 2
    if args.output:
        nbformat.write(result.notebook, args.output)
    if result.error is not None:
        print(f"plumbline: a cell failed; its run is recorded in {result.store_path}.\n{result.error}",
              file=sys.stderr)
        return 1
    failed = [i for i, cell in enumerate(result.notebook.cells)
              if any(o.get("output_type") == "error" for o in cell.get("outputs", []))]
    if failed:  # --allow-errors went on past them
        print(f"plumbline: {len(failed)} cell(s) failed (cells {', '.join(str(i + 1) for i in failed)}); "
              f"runs recorded in {result.store_path}", file=sys.stderr)
        return 1
    print(f"plumbline: {args.notebook} ran; runs recorded in {result.store_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
