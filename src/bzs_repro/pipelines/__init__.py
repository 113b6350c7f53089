"""Target runners: one module per paper target, ``run(run: TargetRun, cfg: dict)``.

Each runner only orchestrates: structures -> protocols/engines -> analysis -> figures ->
numbers; the physics lives in the modules it calls.
"""


def engine_and_potential(run, cfg: dict, default_variant: str = "low-energy"):
    """The run's engine and ACE calculator (``cfg['potential']`` variant, the run's data mode);
    records the potential file among the inputs and notes a surrogate run."""
    from bzs_repro.engines import get_engine
    from bzs_repro.potential import calculator

    calc = calculator(cfg.get("potential", default_variant), run.settings.data)
    run.add_input("potential", calc.bzs_potential_path)
    if run.settings.data == "surrogate":
        run.note(
            "SURROGATE potential: every number of this target is the surrogate's, not the paper's."
        )
    engine = get_engine(run.settings.engine)
    run.extra["engine_detail"] = engine.describe(calc)
    return engine, calc
