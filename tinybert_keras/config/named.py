"""The configs that come with the package, by name: `RecipeConfig.named("demo")`.

- `paper`: the paper's settings (BERT-base teacher, SST-2, TinyBERT-4); for a GPU.
- `demo`: the whole recipe offline on a 2-core CPU in 10 to 13 minutes: the real pretrained
  all-MiniLM-L6-v2 (6 layers, 384 wide) fine-tuned on Rotten Tomatoes, a 3-layer 192-wide student
  (12 heads, so attention maps match head by head, mapped onto teacher layers 2, 4, 6) general-
  distilled for 32 steps on the offline news corpus, both task phases, and the labels-only student.
  General distillation this short cannot learn embeddings for 30,522 word pieces, so the student
  starts from the teacher's embeddings projected to its width (not in the paper).
- `demo_quick`: the same path in 3.5 to 6 minutes, teacher fine-tuning included (217 s from a
  fresh clone and a cold cache with only the model and data wheels fetched, on the 2-core CPU of
  2026-12-07; on an earlier machine 258 s with the wheels fetched, 368 s from a fresh clone):
  2,048 training sentences at length 32, a teacher fine-tuned for one epoch at 2e-4, 32 steps
  of general distillation, 128 phase-1 steps, 2 epochs of phase 2 on the teacher's cached
  logits. Fewer phase-1 steps leave the student at the majority class: with 96 its dev accuracy
  was 0.555 after one epoch of phase 2 and 0.688 after two (128 steps: 0.727, 0.758). A random
  student's [CLS] output barely depends on the sentence at first (std over sentences 0.018,
  against 0.39 for the teacher's), and phase 1 is what teaches it to.
- `ablation`: the base of the offline ablation study (`tinybert-keras ablate --config ablation
  --tasks rotten_tomatoes trec`): `demo_quick`'s budget per run on the tasks' full dev sets, a
  teacher fine-tuned for 3 epochs, data augmentation with the offline MLM (4 copies per
  sentence) that both task phases train on, phase 2 in steps (so that it does not grow with the
  augmented set), and phase 2's teacher logits computed once per task and training set and
  shared by every run (`cache_teacher_logits`; the runner's `shared_logits_dir`). The committed
  study (`docs/ablations.md`): 96 runs (12 variants and the floors' learning-rate sweeps x 2
  tasks x 3 seeds) in 9,051 s on a 2-core CPU, 34 to 144 s a run, the first run of each task
  also making its shared work.
- `cpu`: the budget recommended for a user's own data on a CPU (`tinybert-keras run --config cpu
  --train FILE --dev FILE --text-column ... --label-column ...`): `demo`'s teacher fine-tuned for
  one epoch, its student, sequences of 64 tokens, and 960 steps of each task-distillation phase
  at `demo`'s learning rates, phase 2 on cached teacher logits with the gold labels'
  cross-entropy added to the soft prediction loss (`label_loss`, not in the paper), no data
  augmentation. In steps, so that the time does not grow with the data. On a 2-core CPU, the
  teacher's fine-tuning aside, 3 seeds per task, each with its own teacher: Rotten Tomatoes
  96.2%, 98.9%, 96.2% of the teacher's dev accuracy (mean 97.1%), TREC 97.6%, 96.8%, 96.95%
  (mean 97.1%), 728 to 1,114 s a run. Without `label_loss` (one run each) Rotten Tomatoes kept
  98.2% and TREC 94.9%; with the study's augmentation instead TREC 96.95% and Rotten Tomatoes
  93.6% in 1,303 s.
"""

from tinybert_keras.config.recipe import RecipeConfig

DEMO_STUDENT = {"num_layers": 3, "hidden_dim": 192, "intermediate_dim": 768, "num_heads": 12}

DEMO = RecipeConfig(
    task="rotten_tomatoes", teacher="all_minilm_l6_v2", student=DEMO_STUDENT,
    output_dir="tinybert_demo", sequence_length=48, share_teacher=True, labels_only=True,
    finetune={"epochs": 0.5, "learning_rate": 1e-4},
    general={"max_steps": 32, "learning_rate": 1e-3, "sequence_length": 48,
             "embeddings_from_teacher": True, "steps_per_checkpoint": 32},
    # Checkpoints (and phase 2's dev scores) every 96 steps: a quarter of phase 2's 383.
    distill={"intermediate_epochs": 0.4, "intermediate_learning_rate": 1e-3,
             "prediction_epochs": 1.2, "prediction_learning_rate": 2e-3,
             "steps_per_checkpoint": 96},
    # At 1e-3 the labels-only student sat at the majority class (0.578) in a fresh-clone run.
    baseline={"learning_rate": 5e-4},
)

DEMO_QUICK = RecipeConfig(
    task="rotten_tomatoes", teacher="all_minilm_l6_v2", student=DEMO_STUDENT,
    output_dir="tinybert_demo_quick", sequence_length=32, train_examples=2048, dev_examples=256,
    share_teacher=True, labels_only=True,
    finetune={"epochs": 1.0, "learning_rate": 2e-4},
    general={"max_steps": 32, "learning_rate": 1e-3, "sequence_length": 32,
             "embeddings_from_teacher": True, "steps_per_checkpoint": 32},
    distill={"intermediate_steps": 128, "intermediate_learning_rate": 1e-3,
             "prediction_epochs": 2.0, "prediction_learning_rate": 1e-3,
             "steps_per_checkpoint": 64, "cache_teacher_logits": True},
    baseline={"learning_rate": 5e-4},
    evaluation={"latency_repeats": 5},
)

ABLATION = DEMO_QUICK.replace(
    output_dir="tinybert_ablation", dev_examples=None, labels_only=False,
    finetune={"epochs": 3.0, "learning_rate": 1e-4},
    distill={"intermediate_steps": 128, "intermediate_learning_rate": 1e-3,
             "prediction_steps": 128, "prediction_learning_rate": 1e-3,
             "steps_per_checkpoint": 64, "cache_teacher_logits": True},
    augmentation={"masked_lm": "offline", "fast": True, "jit_compile": True,
                  "num_augmentations": 4},
)

# `demo` with what differs spelled out; the phases' steps take precedence over demo's epochs.
CPU = DEMO.replace(
    output_dir="tinybert_cpu", sequence_length=64, labels_only=False,
    finetune=DEMO.finetune.replace(epochs=1.0),
    general=DEMO.general.replace(sequence_length=64),
    distill=DEMO.distill.replace(intermediate_steps=960, prediction_steps=960,
                                 steps_per_checkpoint=192, cache_teacher_logits=True,
                                 label_loss=True),
)

NAMED_CONFIGS = {"paper": RecipeConfig(), "demo": DEMO, "demo_quick": DEMO_QUICK,
                 "ablation": ABLATION, "cpu": CPU}
