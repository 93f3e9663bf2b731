"""Static cell analysis (issue 3, "Reads and writes per run"): exact reads/writes/mutations."""

from __future__ import annotations

import textwrap

import pytest

from plumbline.analysis import MUTATING_METHODS, CellAnalysis, analyze


def cell(src: str) -> CellAnalysis:
    a = analyze(textwrap.dedent(src).strip("\n") + "\n")
    assert a.error is None, a.error
    return a


def check(src, *, reads=(), writes=(), mutations=(), deletes=None, calls=None, definitions=None, imports=None):
    a = cell(src)
    assert a.reads == set(reads), ("reads", sorted(a.reads))
    assert a.writes == set(writes), ("writes", sorted(a.writes))
    assert a.mutations == set(mutations), ("mutations", sorted(a.mutations))
    for field, want in (("deletes", deletes), ("calls", calls), ("definitions", definitions), ("imports", imports)):
        if want is not None:
            assert getattr(a, field) == set(want), (field, sorted(getattr(a, field)))
    return a


# --- a realistic pipeline, cell by cell ---------------------------------------------

def test_pipeline_imports():
    check("""
        import pandas as pd
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import train_test_split
    """, writes={"pd", "LogisticRegression", "train_test_split"},
        imports={"pandas", "sklearn"}, definitions=(), calls=())


def test_pipeline_load():
    check('raw = pd.read_csv("f.csv")', reads={"pd"}, writes={"raw"}, calls=())


def test_pipeline_clean():
    check("""
        clean = raw.dropna()
        clean["x"] = clean["x"].astype(int)
    """, reads={"raw"}, writes={"clean"}, mutations={"clean"})


def test_pipeline_featurize():
    check("""
        SCALE = 10
        def featurize(df):
            out = df.copy()
            out["x2"] = out["x"] * SCALE    # local object: not the namespace's
            return out[["x", "x2"]]
        X = featurize(clean)
        y = clean["label"]
    """, reads={"clean"}, writes={"SCALE", "featurize", "X", "y"},
        definitions={"featurize"}, calls={"featurize"})


def test_pipeline_split():
    check("X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)",
          reads={"train_test_split", "X", "y"}, writes={"X_train", "X_test", "y_train", "y_test"},
          calls={"train_test_split"})


def test_pipeline_train():
    check("""
        model = LogisticRegression(max_iter=200)
        model.fit(X_train, y_train)
    """, reads={"LogisticRegression", "X_train", "y_train"}, writes={"model"},
        mutations={"model"}, calls={"LogisticRegression"})


def test_pipeline_refit_mutates_an_input():
    check("model.fit(X, y)", reads={"model", "X", "y"}, mutations={"model"})


def test_pipeline_predict():
    check("""
        pred = model.predict(X_test)
        accuracy = (pred == y_test).mean()
        print(f"accuracy {accuracy:.3f}")
    """, reads={"model", "X_test", "y_test"}, writes={"pred", "accuracy"}, calls=())


# --- bindings and reads -------------------------------------------------------------

def test_bound_then_read_is_not_a_read():
    check("a = 1\nb = a", writes={"a", "b"})


@pytest.mark.parametrize("src", ["x += 1", "x = x + 1"])
def test_augassign_and_self_reference_read_and_write(src):
    check(src, reads={"x"}, writes={"x"})


def test_augassign_on_subscript_mutates():
    check('df["x"] += 1', reads={"df"}, mutations={"df"})


def test_attribute_and_subscript_targets_mutate_without_writing():
    check("""
        df.columns = cols
        df.loc[df["a"] > 0, "b"] = 0
        cfg.opts.verbose = True
    """, reads={"df", "cols", "cfg"}, mutations={"df", "cfg"})


def test_del():
    check("del tmp", deletes={"tmp"})
    check('del df["x"], obj.attr', reads={"df", "obj"}, mutations={"df", "obj"}, deletes=())
    # deleted then used again: may come from nowhere but the namespace
    check("t = 1\ndel t\nprint(t)", reads={"t"}, writes={"t"}, deletes={"t"})


def test_conditional_binding_may_still_read():
    check("""
        if flag:
            a = 1
        b = a
    """, reads={"flag", "a"}, writes={"a", "b"})
    check("""
        if flag:
            a = 1
        else:
            a = 2
        b = a
    """, reads={"flag"}, writes={"a", "b"})


def test_loop_body_may_not_run():
    check("""
        for row in rows:
            last = row
        print(last)
    """, reads={"rows", "last"}, writes={"row", "last"})


def test_builtins_are_not_reads_unless_rebound():
    check("n = len(xs)\nprint(sorted(xs), n)", reads={"xs"}, writes={"n"}, calls=())
    check("list = [1]\ny = list", writes={"list", "y"})
    check("id = id + 1", reads={"id"}, writes={"id"})


def test_ipython_injected_names_are_not_reads():
    check("print(_, __, ___, _i, _ii, _3, _i3, Out[1], In[2], _tmp)", reads={"_tmp"})


def test_calls_are_bare_names_at_any_depth():
    check("r = outer(inner(x), key=lambda v: rank(v))\npd.read_csv(p)",
          reads={"outer", "inner", "x", "rank", "pd", "p"}, writes={"r"},
          calls={"outer", "inner", "rank"})


# --- nested scopes --------------------------------------------------------------------

def test_comprehension_loop_variable_does_not_leak():
    check("squares = [i * i for i in range(n) if i % k]", reads={"n", "k"}, writes={"squares"})
    check("d = {k: v for k, v in pairs}\ng = (w for w in words)\ns = {c for c in text}",
          reads={"pairs", "words", "text"}, writes={"d", "g", "s"})
    check("m = [[a * b for b in row] for row in grid for a in row]", reads={"grid"}, writes={"m"})


def test_walrus_in_comprehension_binds_in_the_cell():
    check("vals = [y := f(v) for v in vs]", reads={"f", "vs"}, writes={"vals", "y"})


def test_lambdas():
    check("key = lambda r: r[col] * weight", reads={"col", "weight"}, writes={"key"})
    check("rows.sort(key=lambda r: r.score)", reads={"rows"}, mutations={"rows"})
    check("f = lambda x, n=default: x * n", reads={"default"}, writes={"f"})


def test_nested_function_free_variables():
    check("""
        threshold = 0.5
        def score(m, data=None):
            probs = m.predict_proba(X_val)[:, 1]
            return metric(y_val, probs > threshold)
    """, reads={"X_val", "y_val", "metric"}, writes={"threshold", "score"},
        definitions={"score"}, calls={"metric"})


def test_closures_and_class_scopes():
    check("""
        def outer(a):
            k = 2
            def inner(b):
                return a * b * k * G
            return inner
    """, reads={"G"}, writes={"outer"}, definitions={"outer"})
    # A method does not see its class body's names: `lr` there is the global.
    check("""
        class Cfg(Base):
            lr = base_lr
            steps = [lr * i for i in range(3)]
            def rate(self):
                return lr
    """, reads={"Base", "base_lr", "lr"}, writes={"Cfg"}, definitions={"Cfg"})


def test_global_and_mutation_inside_functions():
    check("""
        def bump():
            global counter
            counter += 1
        def log(x):
            history.append(x)
            local = []
            local.append(x)
    """, reads={"counter", "history"}, writes={"bump", "log", "counter"},
        mutations={"history"}, definitions={"bump", "log"})


# --- statements -----------------------------------------------------------------------

def test_with_for_except_walrus():
    check("""
        with open(path) as fh:
            text = fh.read()
        for i, row in enumerate(rows):
            acc.append(row)
        try:
            v = int(s)
        except ValueError as err:
            v = None
            msg = str(err)
        if (m := pattern.match(text)):
            found = m.group(0)
    """, reads={"path", "rows", "acc", "s", "pattern"},
        writes={"fh", "text", "i", "row", "v", "err", "msg", "m", "found"}, mutations={"acc"})


def test_match_captures():
    check("""
        match cmd:
            case {"op": "scale", "by": factor, **extra}:
                out = data * factor
            case Point(x=px, y=py) if px > limit:
                out = px + py
            case [first, *rest]:
                out = first
            case Color.RED | "red" as c:
                out = c
            case _:
                out = fallback
        result = out
    """, reads={"cmd", "data", "Point", "limit", "Color", "fallback"},
        writes={"factor", "extra", "px", "py", "first", "rest", "c", "out", "result"})


def test_imports():
    check("""
        import os.path
        import numpy as np
        from sklearn.linear_model import LogisticRegression as LR
        from . import sibling
        from helpers import *
        def f():
            import scipy.stats
            return scipy.stats
    """, writes={"os", "np", "LR", "sibling", "f"}, imports={"os", "numpy", "sklearn", "helpers", "scipy"})


def test_module_receivers_imported_here_are_not_mutated():
    check("import numpy as np\narr = np.append(arr, 1)", reads={"arr"}, writes={"np", "arr"})


def test_inplace():
    check('df.drop(columns=["a"], inplace=True)', reads={"df"}, mutations={"df"})
    check('df.set_index("id", inplace=True)\nframe["c"].fillna(0, inplace=True)',
          reads={"df", "frame"}, mutations={"df", "frame"})
    check('df2 = df.drop(columns=["a"])', reads={"df"}, writes={"df2"})
    check('df.drop(columns=["a"], inplace=False)', reads={"df"})
    check('df.drop(columns=["a"], inplace=flag)', reads={"df", "flag"}, mutations={"df"})


def test_mutating_methods_are_configurable():
    assert "fit" in MUTATING_METHODS and "append" in MUTATING_METHODS
    assert analyze("reg.register(x)").mutations == set()
    a = analyze("reg.register(x)\nlst.append(1)", mutating_methods=frozenset({"register"}))
    assert a.mutations == {"reg"}


# --- IPython syntax and errors -----------------------------------------------------------

def test_line_magic_code_is_seen():
    check("%time x = f(y)", reads={"f", "y"}, writes={"x"}, calls={"f"})
    check("%prun -s cumulative -q train(model)", reads={"train", "model"})
    check("elapsed = %time f(y)", reads={"f", "y"}, writes={"elapsed"})


def test_cell_magic_code_is_seen():
    check("""
        %%time
        z = g(w)
        !echo done
    """, reads={"g", "w"}, writes={"z"})
    check("""
        %%capture out --no-stderr
        r = f(1)
    """, reads={"f"}, writes={"r", "out"})


def test_timeit_reads_but_keeps_its_bindings():
    check("%timeit -n1 -r 3 tmp = h(q)", reads={"h", "q"})
    check("""
        %%timeit -n1 s = setup(n)
        use(s, q)
    """, reads={"setup", "n", "use", "q"})
    check("res = %timeit -o h(q)", reads={"h", "q"}, writes={"res"})


def test_shell_and_other_magics():
    check("!ls {data_dir}/*.csv | wc -l $flags", reads={"data_dir", "flags"})
    check("files = !ls", writes={"files"})
    check("!awk '{print $1}' f.txt")
    check("%matplotlib inline\nplot(df)", reads={"plot", "df"})
    check("%%bash\necho $HOME\n")          # the body is bash, not Python
    check("df?")                           # help: nothing read
    check("%run other_notebook.py")        # not seen (documented limit)


@pytest.mark.parametrize("src", ["x = (", "def f(:\n  pass", "%time x = (", "a\x00b", "return 1", "break"])
def test_syntax_error_gives_error_and_empty_sets(src):
    a = analyze(src)
    if src.startswith("%time"):
        # the magic's body is a string IPython compiles only at run time
        assert a.error is None
        return
    assert a.error and "Error" in a.error
    assert not (a.reads or a.writes or a.deletes or a.mutations or a.imports or a.definitions or a.calls)


def test_top_level_await_is_allowed():
    check("data = await fetch(url)", reads={"fetch", "url"}, writes={"data"})


def test_never_raises():
    assert analyze(None).error  # type: ignore[arg-type]
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    assert isinstance(analyze(deep), CellAnalysis)


# --- per value: what each bound name was made from (issue 9) -----------------------------------

def deps(src: str) -> dict:
    a = cell(src)
    return {name: set(names) for name, names in a.dependencies.items()}


def test_a_constant_depends_on_nothing_even_in_a_cell_that_reads():
    a = cell("""
        FEATURES = ['hour', 'weekday', 'distance']
        X = flights[FEATURES]
        y = flights['delayed']
    """)
    assert a.reads == {"flights"}
    assert deps_of(a) == {"FEATURES": set(), "X": {"flights"}, "y": {"flights"}}
    assert a.through_calls == frozenset()  # no call: no file could have been read for them


def deps_of(a: CellAnalysis) -> dict:
    return {name: set(names) for name, names in a.dependencies.items()}


def test_dependencies_follow_names_bound_earlier_in_the_cell():
    assert deps("""
        a = x * 2
        b = a + 1
        c = b if flag else 0
    """) == {"a": {"x"}, "b": {"x"}, "c": {"x", "flag"}}


def test_a_mutation_depends_on_its_receiver_and_what_it_is_given():
    assert deps("model.fit(X_train, y_train)") == {"model": {"model", "X_train", "y_train"}}
    assert deps("df['ab'] = df['a'] * scale") == {"df": {"df", "scale"}}
    assert deps("flights.dropna(inplace=True)") == {"flights": {"flights"}}


def test_a_rebinding_forgets_what_the_name_was_made_from_before():
    assert deps("""
        t = raw.copy()
        t = 3
    """) == {"t": set()}
    assert deps("""
        total = 0
        total += extra
    """) == {"total": {"extra"}}


def test_compound_statements_depend_on_their_conditions_and_keep_earlier_values():
    assert deps("""
        z = a
        if flag:
            z = b
    """) == {"z": {"a", "b", "flag"}}
    assert deps("""
        for row in rows:
            acc.append(row * k)
    """) == {"row": {"rows", "acc", "k"}, "acc": {"rows", "acc", "k"}}


def test_functions_carry_their_free_names_to_their_callers():
    a = cell("""
        def scale(v):
            return v * factor
        out = scale(3)
        n = 3
    """)
    assert deps_of(a) == {"scale": {"factor"}, "out": {"factor"}, "n": set()}
    assert a.through_calls == {"out"}


def test_values_through_calls_may_come_from_files():
    a = cell("""
        features = pd.read_parquet('features.parquet')
        rows = len(features)
        label = 'delayed'
    """)
    assert a.through_calls == {"features", "rows"}
    assert deps_of(a)["label"] == set()


def test_deleted_names_have_no_dependencies_and_analysis_errors_have_none():
    assert deps("del x\ny = 1") == {"y": set()}
    broken = analyze("x = (")
    assert broken.error and broken.dependencies == {} and broken.depends_on("x") is None
