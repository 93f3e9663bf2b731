"""Checks on a fitted model: does it generalize, and does it use its features sensibly?

scikit-learn is imported only inside these checks, so the library itself needs numpy and pandas
alone.
"""

from __future__ import annotations

from ..errors import WrongInput
from ._inputs import num, pct, preview, type_name
from ._registry import Context, Outcome, builtin, fraction, number

METRICS = ("accuracy", "f1", "r2", "roc_auc")


@builtin(
    "metric_gap",
    title="Train/test metric gap",
    description=(
        "The model scores about as well on the test set as on the training set: fails when "
        "train metric − test metric > max_gap (overfitting)."
    ),
    args=("model", "X_train", "y_train", "X_test", "y_test"),
    params={
        "metric": {
            "type": "string",
            "enum": list(METRICS),
            "default": "accuracy",
            "description": "accuracy, f1 and roc_auc for classifiers; r2 for regressors.",
        },
        "max_gap": number(0.1, "Largest allowed train − test difference.", minimum=0),
        "average": {
            "type": "string",
            "enum": ["auto", "binary", "macro", "micro", "weighted"],
            "default": "auto",
            "description": "Averaging for f1; auto: binary for two classes, else macro.",
        },
    },
)
def metric_gap(ctx: Context) -> Outcome:
    model, x_train, y_train, x_test, y_test = ctx.values
    if not hasattr(model, "predict"):
        raise WrongInput(f"expected a fitted model with predict() for '{ctx.name(0)}', "
                         f"got {type_name(model)}")
    metric, limit = ctx.params["metric"], ctx.params["max_gap"]
    train = _score(model, x_train, y_train, metric, ctx.params["average"], y_test)
    test = _score(model, x_test, y_test, metric, ctx.params["average"], y_train)
    gap = train - test
    details = {"metric": metric, "train": train, "test": test, "gap": gap, "max_gap": limit}
    text = f"{metric} on {ctx.name(1)} {train:.3f} vs {ctx.name(3)} {test:.3f}: gap {gap:.3f}"
    if gap > limit:
        return Outcome(False, f"{text} > max {num(limit)}", details)
    return Outcome(True, f"{text} (max {num(limit)})", details)


def _score(model, x, y, metric, average, other_y) -> float:
    import numpy as np
    from sklearn import metrics

    y = np.asarray(y).ravel()
    if metric == "r2":
        return float(metrics.r2_score(y, model.predict(x)))
    if metric == "accuracy":
        return float(metrics.accuracy_score(y, model.predict(x)))
    classes = getattr(model, "classes_", None)
    if classes is None:
        classes = np.unique(np.concatenate([y, np.asarray(other_y).ravel()]))
    if metric == "f1":
        if average == "auto":
            average = "binary" if len(classes) <= 2 else "macro"
        extra = {"pos_label": classes[-1]} if average == "binary" else {}
        return float(metrics.f1_score(y, model.predict(x), average=average, **extra))
    return float(_roc_auc(model, x, y, classes))


def _roc_auc(model, x, y, classes):
    from sklearn import metrics

    if hasattr(model, "predict_proba"):
        scores = model.predict_proba(x)
        if scores.shape[1] == 2:
            return metrics.roc_auc_score(y, scores[:, 1])
        return metrics.roc_auc_score(y, scores, multi_class="ovr", labels=classes)
    if hasattr(model, "decision_function"):
        scores = model.decision_function(x)
        if scores.ndim == 1:
            return metrics.roc_auc_score(y, scores)
        return metrics.roc_auc_score(y, scores, multi_class="ovr", labels=classes)
    raise WrongInput(f"roc_auc needs predict_proba() or decision_function(); "
                     f"{type_name(model)} has neither")


@builtin(
    "feature_importance",
    title="Feature importances",
    description=(
        "The model uses its features sensibly: fails when most features have a negligible "
        "share of the importance, or when one feature carries nearly all of it. Reads "
        "feature_importances_ (trees) or |coef_| (linear models: standardize features first, "
        "or the coefficients measure the units). The optional second value (X) names the features."
    ),
    args=("model",),
    optional_args=("X",),
    params={
        "min_importance": fraction(0.01, "Share of the total importance below which a feature "
                                   "counts as unused."),
        "max_share_below": fraction(0.5, "Largest allowed share of features below min_importance."),
        "max_single": fraction(0.9, "Largest share of the total importance one feature may carry."),
    },
)
def feature_importance(ctx: Context) -> Outcome:
    import numpy as np

    model = ctx.values[0]
    estimator, raw, source = _importances(ctx, model)
    names = _feature_names(model, estimator, ctx.values[1] if len(ctx.values) > 1 else None, len(raw))
    total = float(raw.sum())
    details: dict = {"source": source, "features": len(raw)}
    if len(raw) == 0 or not np.isfinite(total) or total <= 0:
        return Outcome(False, f"{type_name(estimator)} has no usable importances "
                       f"({source} sums to {num(total)})", details)
    shares = raw / total
    order = np.argsort(-shares)
    details["importances"] = {names[i]: float(shares[i]) for i in order[:50]}

    problems = []
    floor, limit = ctx.params["min_importance"], ctx.params["max_share_below"]
    below = [names[i] for i in np.argsort(shares, kind="stable") if shares[i] < floor]
    share_below = len(below) / len(raw)
    details.update(below_min=len(below), share_below=share_below)
    if share_below > limit:
        problems.append(f"{len(below)} of {len(raw)} features ({pct(share_below)}) have importance "
                        f"below {num(floor)} (max {pct(limit)}): {preview(repr(n) for n in below)}")
    top = order[0]
    if len(raw) > 1 and shares[top] > ctx.params["max_single"]:
        problems.append(f"feature '{names[top]}' carries {pct(shares[top])} of the importance "
                        f"(max {pct(ctx.params['max_single'])})")
    if problems:
        return Outcome(False, "; ".join(problems), details)
    return Outcome(True, f"{len(raw)} features, top '{names[top]}' {pct(shares[top])}, "
                   f"{len(below)} below {num(floor)}", details)


def _importances(ctx: Context, model):
    import numpy as np

    # A Pipeline's importances live on its last step.
    estimator = model.steps[-1][1] if hasattr(model, "steps") else model
    if hasattr(estimator, "feature_importances_"):
        return estimator, np.asarray(estimator.feature_importances_, dtype=float).ravel(), \
            "feature_importances_"
    if hasattr(estimator, "coef_"):
        coef = np.abs(np.asarray(estimator.coef_, dtype=float))
        # one row per class for multi-class linear models; a feature matters if it matters to any
        return estimator, (coef.mean(axis=0) if coef.ndim == 2 else coef.ravel()), "|coef_|"
    raise WrongInput(
        f"expected a fitted model with feature_importances_ or coef_ for '{ctx.name(0)}', got "
        f"{type_name(estimator)} without them (is it fitted?)"
    )


def _feature_names(model, estimator, x, count: int) -> list[str]:
    candidates = []
    if hasattr(model, "steps") and len(model.steps) > 1:
        try:
            candidates.append(model[:-1].get_feature_names_out())
        except Exception:  # transformers without names: fall through to the next source
            pass
    candidates.append(getattr(estimator, "feature_names_in_", None))
    candidates.append(getattr(x, "columns", None))
    for names in candidates:
        if names is not None and len(names) == count:
            return [str(n) for n in names]
    return [f"feature {i}" for i in range(count)]
