"""The offline ablation study: every variant of the paper's ablation tables on two real tasks.

    python benchmarks/ablations.py [--output-dir tinybert_ablation] [--seeds 0 1 2]

Runs the named config `ablation` (the real all-MiniLM-L6-v2 teacher fine-tuned per task, a
3-layer 192-wide student, data augmentation with the offline MLM) through `run_ablation` on
Rotten Tomatoes and TREC, every variant, three seeds; the same as

    tinybert-keras ablate --config ablation --tasks rotten_tomatoes trec --seeds 0 1 2

The study is resumable: stop it at any time and run the same command again. When it finishes,
its results.csv, report.md and ablations.png are copied to docs/ablations/ with a record of the
command, the machine and the date (record.json).
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import shutil
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tinybert_keras import ablation  # noqa: E402
from tinybert_keras.config import AblationSettings  # noqa: E402
from tinybert_keras.config import RecipeConfig  # noqa: E402

TASKS = ["rotten_tomatoes", "trec"]
DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "ablations"


def cpu_flags():
    """The CPU model and the instruction sets that matter for TensorFlow's kernels."""
    model, flags = platform.processor(), set()
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")
    return {"model": model, "cores": os.cpu_count(),
            "flags": [flag for flag in wanted if flag in flags]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", default="tinybert_ablation")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    settings = AblationSettings(tasks=TASKS, seeds=args.seeds, output_dir=args.output_dir)
    started = datetime.datetime.now(datetime.timezone.utc)
    rows = ablation.run_ablation(RecipeConfig.named("ablation"), settings,
                                 progress=lambda line: print(line, flush=True))
    title = "TinyBERT ablations, offline: MiniLM teacher, Rotten Tomatoes and TREC"
    print(ablation.write_report(rows, args.output_dir, title=title))
    DOCS.mkdir(parents=True, exist_ok=True)
    for name in ("results.csv", "report.md", "ablations.png"):
        shutil.copy(pathlib.Path(args.output_dir) / name, DOCS / name)
    seconds = sum({(r["task"], r["variant"], r["seed"]): r["seconds"] for r in rows}.values())
    record = {
        "command": "python benchmarks/ablations.py " + " ".join(sys.argv[1:]),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes"),
        "started_this_call": started.isoformat(timespec="minutes"),
        "machine": cpu_flags(), "runs": len({(r["task"], r["variant"], r["seed"])
                                             for r in rows}),
        "run_seconds": round(seconds),
    }
    (DOCS / "record.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
