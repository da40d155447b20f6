"""The recipe: TinyBERT's stages as resumable functions, and `run_recipe` that chains them.

- `runs`: run folders (claimed with their settings and locked, finished with a summary);
- `backups`: the state a killed stage resumes from, written whole;
- `training`: resumable `fit` in checkpoint intervals, the optimizer, the best-dev callback;
- `checks`: what a stage checks from the models' configs before it writes anything;
- `distribution`: the `tf.distribute` strategy (several GPUs, a TPU, several machines) and which
  worker writes;
- `presets`: what the stages write and read back, and what names a model;
- `checkpoints`, `weight_files`: huawei-noah's released TinyBERTs as published, and a safe reader
  of their `pytorch_model.bin`;
- `inputs`: a stage's data, teacher and student, resolved once at its entry;
- `evaluation`: metrics, size, latency, the comparison table;
- `finetune`, `general`, `augment`, `task`: the stages; `teacher_logits`: phase 2's cached
  teacher logits; `run`: `run_recipe`, the labels-only student and the notes under the
  comparison table;
- `export`: a classifier preset as ONNX and LiteRT files, float32 and int8.

Each stage takes its settings group from `tinybert_keras.config` (or the same settings as
keyword arguments) and writes one folder whose result is an ordinary keras-hub preset.
"""

from tinybert_keras.recipe.augment import augment_task
from tinybert_keras.recipe.distribution import default_strategy
from tinybert_keras.recipe.evaluation import evaluate_presets
from tinybert_keras.recipe.export import export_classifier
from tinybert_keras.recipe.finetune import finetune
from tinybert_keras.recipe.general import general_distill
from tinybert_keras.recipe.general import prepare_corpus
from tinybert_keras.recipe.inputs import build_student
from tinybert_keras.recipe.inputs import load_task
from tinybert_keras.recipe.presets import describe_model
from tinybert_keras.recipe.run import comparison_notes
from tinybert_keras.recipe.run import labels_only_student
from tinybert_keras.recipe.run import run_recipe
from tinybert_keras.recipe.runs import RecipeError
from tinybert_keras.recipe.runs import open_run
from tinybert_keras.recipe.task import check_teacher
from tinybert_keras.recipe.task import task_distill
from tinybert_keras.recipe.teacher_logits import cached_teacher_logits
from tinybert_keras.recipe.training import fit_resumable
from tinybert_keras.recipe.training import read_history
