"""Target runners: one module per paper target, ``run(run: TargetRun, cfg: dict)``.

Each runner only orchestrates: structures -> protocols/engines -> analysis -> figures ->
numbers; the physics lives in the modules it calls.
"""
