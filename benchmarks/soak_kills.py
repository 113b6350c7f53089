"""Kill soak: a checkpointing target SIGKILLed N times at random moments, each time rerun,
must end with numbers identical to an uninterrupted run (issue: "nothing lost").

    python benchmarks/soak_kills.py [--kills 20] [--seed 0] [--out DIR] [-- run ARGS...]

Default run: ``bzs-repro run fig2 --scale smoke --data auto``. Each kill waits for a new
checkpoint (any ``*.ckpt/state.json`` under the results' ``work/``), then a random further
delay, so kills land anywhere between checkpoints, in MD stages, analysis and publishing.
Writes ``DIR/soak.json`` (kill times, checkpoint steps, the comparison) and exits 1 on any
difference. Not a test (about 2x the run's time plus start-up per kill).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

# Per-run bookkeeping, not results: equal numbers may come with different values of these.
NOT_COMPARED = ("wall", "resumed", "throughput", "_s_per_", "seconds")


def _cmd(out: Path, run_args: list[str]) -> list[str]:
    return [sys.executable, "-m", "bzs_repro", *run_args, "--out", str(out)]


def _checkpoints(out: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime_ns for p in out.glob("*/work/**/*.ckpt/state.json")}


def _numbers(out: Path) -> dict[str, object]:
    flat: dict[str, object] = {}
    for f in sorted(out.glob("*/numbers.json")):
        for k, v in json.loads(f.read_text()).items():
            if not any(w in k for w in NOT_COMPARED):
                flat[f"{f.parent.name}.{k}"] = v
    return flat


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-delay", type=float, default=8.0, help="seconds after a new checkpoint")
    p.add_argument("--out", type=Path, default=Path("results/soak"))
    p.add_argument("run", nargs="*", default=["run", "fig2", "--scale", "smoke", "--data", "auto"])
    a = p.parse_args(argv)
    rng = random.Random(a.seed)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    ref, killed = a.out / "uninterrupted", a.out / "killed"
    log: dict[str, object] = {"command": a.run, "kills": []}
    if not (ref / a.run[1] / "numbers.json").is_file():
        t = time.time()
        subprocess.run(_cmd(ref, a.run), check=True, env=env, stdout=subprocess.DEVNULL)
        log["uninterrupted_s"] = time.time() - t
    kills = 0
    while kills < a.kills:
        before = _checkpoints(killed)
        proc = subprocess.Popen(
            _cmd(killed, a.run), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while proc.poll() is None and _checkpoints(killed) == before:
            time.sleep(0.05)
        delay = rng.uniform(0.0, a.max_delay)
        time.sleep(delay)
        if proc.poll() is not None:  # finished before the kill: the soak has run out of work
            print(f"run ended by itself after {kills} kills", file=sys.stderr)
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        steps = {}
        for state in _checkpoints(killed):
            try:
                steps[state.split("/work/")[-1]] = json.loads(Path(state).read_text())["step"]
            except (OSError, ValueError, KeyError):
                steps[state] = "unreadable"
        log["kills"].append({"delay_s": round(delay, 2), "checkpoints": steps})  # type: ignore[union-attr]
        print(f"kill {kills}: {len(steps)} checkpoints", file=sys.stderr)
    done = subprocess.run(_cmd(killed, a.run), check=False, env=env, stdout=subprocess.DEVNULL)
    want, got = _numbers(ref), _numbers(killed)
    diff = {
        k: (want.get(k), got.get(k))
        for k in sorted(set(want) | set(got))
        if want.get(k) != got.get(k)
    }
    log.update(final_exit=done.returncode, n_numbers=len(want), differences=diff, kills_done=kills)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "soak.json").write_text(json.dumps(log, indent=1, default=str) + "\n")
    print(
        f"{kills} kills; rerun exit {done.returncode}; {len(want)} numbers, {len(diff)} differ"
        + "".join(f"\n  {k}: {v[0]} != {v[1]}" for k, v in list(diff.items())[:20])
    )
    if kills < a.kills:
        print(
            f"only {kills} of {a.kills} kills: the run ran out of checkpoints (lower --max-delay)"
        )
    return 0 if not diff and done.returncode == 0 and kills >= a.kills else 1


if __name__ == "__main__":
    sys.exit(main())
