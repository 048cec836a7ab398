"""A study's plots: power against runners with the 80 % line, and transport as a dot plot with intervals."""

from __future__ import annotations

__all__ = ["power_figure", "transport_figure"]


def power_figure(summary: dict):
    """Power to detect each effect against the study's runners, one line per follow-up.

    Returns
    -------
    matplotlib.figure.Figure or None
        None when the summary has no power analysis.
    """
    by_days = summary.get("power_by_days")
    if not by_days:
        return None
    from matplotlib.figure import Figure

    effects = list(next(iter(by_days.values())))
    cols = 4
    rows = -(-len(effects) // cols)
    figure = Figure(figsize=(3.2 * cols, 2.5 * rows), layout="constrained")
    axes = figure.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    styles = ["--", "-", ":", "-."]
    for ax, effect in zip(axes, effects, strict=False):
        for k, (days, power) in enumerate(by_days.items()):
            runners = [int(n) for n in power[effect]]
            ax.plot(
                runners, list(power[effect].values()), styles[k % 4], marker="o", ms=3, label=f"{days} days"
            )
        ax.axhline(0.8, color="grey", lw=0.8)
        ax.set_xscale("log")
        ax.set_xticks(runners, [f"{n:,}" for n in runners], fontsize=7)
        ax.minorticks_off()
        ax.set_ylim(0, 1.02)
        ax.set_title(effect.replace("_", " "), fontsize=9)
    for ax in axes[len(effects) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    figure.supxlabel("runners followed")
    figure.supylabel(f"power (alpha {summary.get('alpha', 0.05)}; grey: 80 %)")
    return figure


def transport_figure(summary: dict):
    """Each model's chance-corrected ROC AUC and calibration slope in each scenario's world, with
    their intervals; the reference scenario's value as a line.

    Returns
    -------
    matplotlib.figure.Figure or None
        None when the summary has no sweep.
    """
    transport = summary.get("transport")
    if not transport:
        return None
    from matplotlib.figure import Figure

    scenarios = list(transport)
    models = list(next(iter(transport.values())))
    figure = Figure(figsize=(10, 0.28 * len(scenarios) + 1.5), layout="constrained")
    panels = figure.subplots(1, 2, sharey=True)
    reference = summary.get("reference_scenario")
    for ax, metric, label, ideal in (
        (panels[0], "roc_auc_skill_vs_oracle", "ROC AUC skill vs that world's oracle", None),
        (panels[1], "calibration_slope", "calibration slope", 1.0),
    ):
        for k, model in enumerate(models):
            offset = (k - (len(models) - 1) / 2) * 0.25
            for i, scenario in enumerate(scenarios):
                f = transport[scenario].get(model, {})
                value, low, high = (f.get(metric), f.get(f"{metric}_low"), f.get(f"{metric}_high"))
                if value is None:
                    continue
                ax.errorbar(
                    value,
                    i + offset,
                    xerr=[[value - low], [high - value]],
                    fmt="o",
                    ms=3,
                    color=f"C{k}",
                    label=model if i == 0 else None,
                )
            if reference in transport and model in transport[reference]:
                ax.axvline(transport[reference][model][metric], color=f"C{k}", lw=0.6, ls=":")
        if ideal is not None:
            ax.axvline(ideal, color="grey", lw=0.8)
        ax.set_xlabel(label)
    panels[0].set_yticks(range(len(scenarios)), [s.replace("_", " ") for s in scenarios], fontsize=7)
    panels[0].invert_yaxis()
    panels[0].legend(fontsize=7)
    return figure
