"""An ablation grid on tiny models: end to end, killed and resumed, its CSV, table and chart."""

import re

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from augmentation_tiny import tiny_glove_file  # noqa: E402
from recipe_tiny import tiny_teacher_preset  # noqa: E402
from tinybert_keras import ablation  # noqa: E402
from tinybert_keras import cli  # noqa: E402
from tinybert_keras.ablation import results  # noqa: E402
from tinybert_keras.ablation import runner  # noqa: E402
from tinybert_keras.config import AblationSettings  # noqa: E402
from tinybert_keras.config import ConfigError  # noqa: E402
from tinybert_keras.config import RecipeConfig  # noqa: E402


def tiny_base(tmp_path):
    return RecipeConfig.from_dict({
        "task": "trec", "train_examples": 64, "dev_examples": 32, "sequence_length": 12,
        "batch_size": 8, "jit_compile": False,
        "teacher": tiny_teacher_preset(tmp_path / "pretrained"),
        "student": {"num_layers": 1, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2},
        "finetune": {"epochs": 1.0, "learning_rate": 1e-3},
        "general": {"max_steps": 2, "sequence_length": 12,
                    "corpus": [str(tmp_path / "pretrained" / "config.json")]},
        "distill": {"intermediate_steps": 4, "prediction_epochs": 0.5,
                    "min_teacher_margin": None},
        "augmentation": {"masked_lm": "none", "num_augmentations": 2,
                         "word_vectors": tiny_glove_file(tmp_path / "glove.txt")},
    })


class Killed(Exception):
    pass


def test_a_tiny_grid_runs_resumes_and_reports(tmp_path, isolated_cache):
    config = tiny_base(tmp_path)
    settings = AblationSettings(variants=["full", "no_attn", "labels_only"], seeds=[0, 1],
                                baseline_learning_rates=[1e-3, 3e-3],
                                output_dir=str(tmp_path / "study"))
    lines = []

    def kill_after_three(line):
        lines.append(line)
        if len(lines) == 3:
            raise Killed

    with pytest.raises(Killed):
        ablation.run_ablation(config, settings, verbose=0, progress=kill_after_three)
    again = []
    rows = ablation.run_ablation(config, settings, verbose=0, progress=again.append)
    assert len(again) == 8
    assert all("reused" in line for line in again[:3])
    assert not any("reused" in line for line in again[3:])
    assert again[3].startswith("[4/8] trec labels_only@0.003 seed 0: accuracy ")

    csv_rows = results.read_csv(tmp_path / "study" / "results.csv")
    assert csv_rows == rows
    assert {(row["variant"], row["seed"]) for row in rows} == {
        (variant, seed) for variant in ("full", "no_attn", "labels_only@0.001",
                                        "labels_only@0.003") for seed in (0, 1)}
    assert all(row["metric"] == "accuracy" and 0 <= row["value"] <= 1 for row in rows)
    assert len({row["settings_hash"] for row in rows}) == 8

    table, chosen = results.scores(rows)
    best = max((1e-3, 3e-3), key=lambda rate: sum(table["trec"][f"labels_only@{rate:g}"].values()))
    assert chosen == {"trec": {"labels_only": best}}
    assert table["trec"]["labels_only"] == table["trec"][f"labels_only@{best:g}"]
    text = ablation.write_report(rows, tmp_path / "study")
    assert "| full (GD + TD + DA) |" in text and "| w/o Attn |" in text
    # Of the paper's claims, only "full beats labels-only" has both its variants in this grid.
    claim_rows = text.partition("## The paper's claims")[2].strip().splitlines()[2:]
    assert len(claim_rows) == 1
    assert re.fullmatch(
        r"\| The full recipe beats the labels-only student by a wide margin\. "
        r"\| full \(GD \+ TD \+ DA\) vs labels only \(no teacher\) "
        r"\| [+-]\d+\.\d ± \d+\.\d \| - \| (holds|reversed|not resolved) \|", claim_rows[0])
    assert (tmp_path / "study" / "ablations.png").stat().st_size > 1000

    figure = ablation.plot_ablation(rows)
    heights = [patch.get_height() for patch in figure.axes[0].patches]
    full, no_attn = table["trec"]["full"], table["trec"]["no_attn"]
    expected = 100 * sum(full[seed] - no_attn[seed] for seed in (0, 1)) / 2
    assert heights == pytest.approx([expected])


def test_unknown_variants_fail_before_anything_trains(tmp_path, capsys):
    with pytest.raises(ConfigError, match=r"variants\[1\] must be one of full, no_gd, .*"
                                          r"labels_only; got 'no_attention'"):
        AblationSettings(variants=["full", "no_attention"])
    assert cli.main(["ablate", "--config", "demo_quick", "--variants", "no_attention",
                     "--output-dir", str(tmp_path / "study")]) == 2
    assert "must be one of full, no_gd" in capsys.readouterr().err
    assert not (tmp_path / "study").exists()


def test_the_study_needs_a_student_shape(tmp_path):
    config = RecipeConfig(student="hf://huawei-noah/TinyBERT_General_4L_312D")
    with pytest.raises(ConfigError, match="needs a student shape"):
        ablation.run_ablation(config, output_dir=str(tmp_path / "study"))


def test_every_variant_trained_on_labels_alone_gets_the_sweep():
    settings = AblationSettings(variants=["full", "no_td", "labels_only"], seeds=[0],
                                tasks=["trec"], baseline_learning_rates=[1e-3, 3e-3])
    assert runner.planned_runs(settings) == [
        ("trec", "full", 0, None), ("trec", "no_td", 0, 1e-3), ("trec", "no_td", 0, 3e-3),
        ("trec", "labels_only", 0, 1e-3), ("trec", "labels_only", 0, 3e-3)]
    rows = [{"task": "trec", "variant": variant, "seed": seed, "metric": "accuracy",
             "value": value, "seconds": 1.0, "settings_hash": "x"}
            for variant, values in {"no_td@0.001": (0.2, 0.3), "no_td@0.003": (0.6, 0.5),
                                    "labels_only@0.001": (0.4, 0.4),
                                    "labels_only@0.003": (0.3, 0.2)}.items()
            for seed, value in enumerate(values)]
    table, chosen = results.scores(rows)
    assert chosen == {"trec": {"no_td": 3e-3, "labels_only": 1e-3}}
    assert table["trec"]["no_td"] == {0: 0.6, 1: 0.5}
    text = ablation.markdown_table(rows)
    assert "| w/o TD (lr 0.003) |" in text and "| w/o TD at lr 0.001 |" in text
    # One rate is no sweep to show: its row would repeat the variant's.
    one_rate = [row for row in rows if row["variant"] == "labels_only@0.001"]
    table, chosen = results.scores(one_rate)
    assert list(table["trec"]) == ["labels_only"] and chosen == {"trec": {"labels_only": 1e-3}}
    assert ablation.markdown_table(one_rate).count("| labels only") == 1
    one_seed = [row for row in rows if row["seed"] == 0] + [
        {**one_rate[0], "variant": "full", "value": 0.7}]
    assert "| +30.0 (one seed: no interval) | - | not resolved |" in ablation.claims_table(
        ablation.claims(one_seed))
