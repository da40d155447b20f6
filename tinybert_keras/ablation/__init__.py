"""The paper's ablations on real tasks: a resumable grid of recipe runs, its results with 95%
intervals over seeds, the paper's claims checked, and charts.

- `runner`: `run_ablation` and the study's folders;
- `results`: the tidy CSV, intervals and paired differences;
- `report`: the Markdown table and the claims next to the paper;
- `charts`: the bar chart.

The variants themselves are settings: `tinybert_keras.config.ablation.VARIANTS`.
"""

from tinybert_keras.ablation.charts import plot_ablation
from tinybert_keras.ablation.report import claims
from tinybert_keras.ablation.report import claims_table
from tinybert_keras.ablation.report import markdown_table
from tinybert_keras.ablation.report import write_report
from tinybert_keras.ablation.results import read_csv
from tinybert_keras.ablation.runner import run_ablation
