"""The README's set-up commands and Python quick start, as a new user runs them."""

import pathlib
import re
import subprocess
import sys

import pytest

README = (pathlib.Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_main_job_then_the_tests():
    commands = [line for line in re.search(r"```bash\n(.*?)```", README, re.S).group(1)
                .splitlines() if line and not line.startswith("#")]
    assert commands[0].endswith('pip install -e . && tinybert-keras demo')
    assert commands[1].endswith('pip install -e ".[dev]" && python -m pytest')
    ci = (pathlib.Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install --quiet -e ".[dev]"' in ci and ci.rstrip().endswith("python -m pytest")


@pytest.mark.slow
def test_quick_start_runs_as_written(tmp_path):
    code = README.split("## Quick start", 1)[1]
    code = re.search(r"```python\n(.*?)```", code, re.S).group(1)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "my_tinybert" / "tokenizer.json").is_file()
    logits = re.findall(r"-?\d+\.\d+", result.stdout.splitlines()[-1])
    assert len(logits) == 2
