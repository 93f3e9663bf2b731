"""The live-kernel probe the promote dialog calls: which values can cross, and which changed in place."""

from __future__ import annotations

import json

from .kernels import Kernel


def test_the_probe_answers_from_the_live_kernel(tmp_path):
    kernel = Kernel({"PLUMBLINE_DB": str(tmp_path / "lineage.db")}, cwd=str(tmp_path))
    try:
        kernel.load_plumbline("nb.ipynb")
        assert kernel.execute("def normalize(d):\n    d['x'] = d['x'] / 10", cell_id="c1").status == "ok"
        assert kernel.execute("df = {'x': 10}\nrows = (i for i in range(3))\nimport threading\nlock = threading.Lock()",
                              cell_id="c2").status == "ok"
        assert kernel.execute("normalize(df)", cell_id="c3").status == "ok"
        probe = kernel.execute("import json\nprint(json.dumps(__import__('plumbline.pipelines.probe', "
                               "fromlist=['crossing']).crossing(['df', 'rows', 'lock', 'missing'], ['json'])))",
                               cell_id="c4")
        answer = json.loads(probe.stdout.strip().splitlines()[-1])
    finally:
        kernel.shutdown(now=True)
    v = answer["variables"]
    assert v["df"]["ok"] and v["df"]["format"] == "pickle" and v["df"]["changed_since_recorded"] is True
    assert v["df"]["read_by_cells"] == ["c3"]  # the cell that changed it through a function
    assert v["rows"]["ok"] is False and v["rows"]["type"] == "generator"
    assert v["lock"]["ok"] is False and "_thread.lock" == v["lock"]["type"]
    assert v["missing"]["present"] is False
    assert answer["python"].count(".") == 2
