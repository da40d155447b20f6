"""The configs that come with the package, by name: `RecipeConfig.named("demo")`.

- `paper`: the paper's settings (BERT-base teacher, SST-2, TinyBERT-4); for a GPU.
- `demo`: the whole recipe offline on a 2-core CPU in about 10 minutes: the real pretrained
  all-MiniLM-L6-v2 (6 layers, 384 wide) fine-tuned on Rotten Tomatoes, a 3-layer 192-wide student
  (12 heads, so attention maps match head by head, mapped onto teacher layers 2, 4, 6) general-
  distilled for 32 steps on the offline news corpus, both task phases, and the labels-only student.
  General distillation this short cannot learn embeddings for 30,522 word pieces, so the student
  starts from the teacher's embeddings projected to its width (not in the paper).
- `demo_quick`: the same path with a few steps per stage, a smoke test.
- `ablation`: the base of the offline ablation study (`tinybert-keras ablate --config ablation
  --tasks rotten_tomatoes trec`): the demo's teacher and student with a shorter task budget
  (128 phase-1 steps, half an epoch of phase 2 at a 5e-4 peak), data augmentation with the
  offline MLM, and phase 2 on the teacher's logits computed once per task and shared by every
  run (`cache_teacher_logits`; the runner's `shared_logits_dir`), so that 12 variants x 2
  tasks x 3 seeds fit in a few hours of a 2-core CPU.
  Phase 2 this short needs the lower peak: from the demo's teacher and general student, 64
  phase-1 steps then 160 phase-2 steps at 2e-3 left the student at the majority class (0.578 on
  Rotten Tomatoes' dev), 5e-4 reached 0.723, and 128 phase-1 steps 0.755 (2e-3) and 0.776
  (5e-4).
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
    baseline={"learning_rate": 1e-3},
)

DEMO_QUICK = RecipeConfig(
    task="rotten_tomatoes", teacher="all_minilm_l6_v2", student=DEMO_STUDENT,
    output_dir="tinybert_demo_quick", sequence_length=48, dev_examples=256, jit_compile=False,
    share_teacher=True, labels_only=True,
    finetune={"epochs": 0.025, "learning_rate": 1e-4},
    general={"max_steps": 2, "learning_rate": 5e-4, "sequence_length": 48,
             "embeddings_from_teacher": True, "steps_per_checkpoint": 2},
    distill={"intermediate_epochs": 0.0125, "intermediate_learning_rate": 5e-4,
             "prediction_epochs": 0.0125, "prediction_learning_rate": 3e-4,
             "steps_per_checkpoint": 4, "min_teacher_margin": 0.0},
    baseline={"learning_rate": 3e-4},
    evaluation={"latency_repeats": 5},
)

ABLATION = DEMO.replace(
    output_dir="tinybert_ablation", labels_only=False,
    finetune={"epochs": 1.0, "learning_rate": 1e-4},
    distill={"intermediate_steps": 128, "intermediate_learning_rate": 1e-3,
             "prediction_epochs": 0.5, "prediction_learning_rate": 5e-4,
             "steps_per_checkpoint": 80, "cache_teacher_logits": True},
    augmentation={"masked_lm": "offline", "fast": True, "jit_compile": True,
                  "num_augmentations": 8},
)

NAMED_CONFIGS = {"paper": RecipeConfig(), "demo": DEMO, "demo_quick": DEMO_QUICK,
                 "ablation": ABLATION}
