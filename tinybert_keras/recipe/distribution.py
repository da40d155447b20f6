"""Training past one device and one machine: TensorFlow's strategy, and which worker writes.

`default_strategy()` picks TensorFlow's own engine for what it finds:

- `tf.distribute.MultiWorkerMirroredStrategy` when `TF_CONFIG` names several tasks: one process
  per machine, each started with its own `TF_CONFIG`, synchronous all-reduce over the network;
- `tf.distribute.TPUStrategy` on a TPU runtime (a TPU VM, as Colab's TPU runtimes are, or a
  legacy Colab TPU whose address is in `COLAB_TPU_ADDR`);
- `tf.distribute.MirroredStrategy` over the GPUs of one machine when it has several;
- else the default strategy (one device).

In a multi-worker run every worker makes the same stage call. The chief (`TF_CONFIG` task type
`chief`, or worker 0 when there is none) claims the stage folder and writes its files; the
others restore from it and write only into temporary folders that they remove, as Keras'
`BackupAndRestore` does for multi-worker training. So every worker must reach the stage folder
at the same path (a shared or network file system).
"""

import contextlib
import glob
import hashlib
import json
import os
import pathlib
import shutil
import socket
import tempfile

import tensorflow as tf

from tinybert_keras.recipe.runs import RECORDS_KEY
from tinybert_keras.recipe.runs import SUMMARY_FILE
from tinybert_keras.recipe.runs import RecipeError
from tinybert_keras.recipe.runs import open_run

# The jobs of a TF_CONFIG cluster that train (an "evaluator" task would not).
TRAINING_JOBS = ("chief", "worker")
PCI_DEVICES = "/sys/bus/pci/devices/*"
GOOGLE_PCI_VENDOR = "0x1ae0"
# TPU v2 and v3, an unnamed one, v4, v5p, v5e, v6e, v7.
TPU_PCI_DEVICES = ("0x0027", "0x0056", "0x005e", "0x0062", "0x0063", "0x006f", "0x0076")
# One strategy per process: a second MultiWorkerMirroredStrategy, or a second TPU
# initialisation, is refused or wipes the first's state.
_CREATED = {}


def cluster_size():
    """The number of training tasks (`chief` and `worker`) that `TF_CONFIG` names.

    Returns:
        0 without `TF_CONFIG`, else the number of training tasks of its cluster.

    Raises:
        RecipeError: if `TF_CONFIG` is not a JSON object.

    Example:
    ```python
    os.environ["TF_CONFIG"] = json.dumps({
        "cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]},
        "task": {"type": "worker", "index": 0}})
    cluster_size()  # 2
    ```
    """
    text = os.environ.get("TF_CONFIG")
    if not text:
        return 0
    try:
        cluster = json.loads(text).get("cluster", {})
    except (ValueError, AttributeError):
        raise RecipeError(
            f"TF_CONFIG is not a JSON object with a 'cluster' and a 'task': {text[:200]!r}. Set "
            "it as docs/distributed.md shows, or unset it to train on this machine alone."
        ) from None
    return sum(len(cluster.get(job, [])) for job in TRAINING_JOBS)


def local_cluster(workers):
    """The `TF_CONFIG` of each of `workers` processes on this machine, on free local ports.

    For trying multi-worker training on one machine: start one process per value, each with it
    in its environment as `TF_CONFIG`; `default_strategy()` in each then joins the others.

    Args:
        workers: how many processes.

    Returns:
        A list of JSON strings, the i-th for worker i.

    Example:
    ```python
    configs = local_cluster(2)
    json.loads(configs[1])["task"]  # {'type': 'worker', 'index': 1}
    ```
    """
    sockets = [socket.socket() for _ in range(workers)]
    for item in sockets:
        item.bind(("127.0.0.1", 0))
    hosts = [f"127.0.0.1:{item.getsockname()[1]}" for item in sockets]
    for item in sockets:
        item.close()
    return [json.dumps({"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}})
            for index in range(workers)]


def _read(path):
    with open(path, encoding="ascii") as file:
        return file.read().strip()


def _tpu_address():
    """`grpc://...` of a legacy Colab TPU, `"local"` on a TPU VM, else `None`."""
    if os.environ.get("COLAB_TPU_ADDR"):
        return "grpc://" + os.environ["COLAB_TPU_ADDR"]
    # A TPU VM's chips are PCI devices of Google's vendor id with a TPU device id (how JAX
    # recognises them); the vendor id alone also marks Google's virtual network cards.
    for device in glob.glob(PCI_DEVICES):
        vendor, kind = os.path.join(device, "vendor"), os.path.join(device, "device")
        if os.path.isfile(kind) and _read(vendor) == GOOGLE_PCI_VENDOR and (
            _read(kind) in TPU_PCI_DEVICES
        ):
            return "local"
    return None


def _multi_worker_strategy():
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as error:
        if "program startup" not in str(error):
            raise
        raise RecipeError(
            f"TF_CONFIG names {cluster_size()} workers, but TensorFlow already ran in this "
            "process, and a multi-worker strategy must come first. Create it before anything "
            "else uses TensorFlow (call default_strategy() first, or run the stage in a fresh "
            "process, as the command line does)."
        ) from None


def _tpu_strategy(address):
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def default_strategy():
    """The `tf.distribute` strategy for this process: several machines, a TPU, several GPUs.

    Created once per process and returned again on later calls (for several machines or a TPU).
    With several machines, call it before anything else uses TensorFlow: TensorFlow sets up
    its collective operations only at the start of a process.

    Returns:
        `MultiWorkerMirroredStrategy` when `TF_CONFIG` names several training tasks,
        `TPUStrategy` on a TPU runtime, `MirroredStrategy` over several GPUs, else the default
        strategy. Build models and optimizers inside its `scope()`.

    Raises:
        RecipeError: for a `TF_CONFIG` that is not JSON, or one set after TensorFlow started.

    Example:
    ```python
    with default_strategy().scope():
        model = keras_hub.models.BertBackbone.from_preset("bert_tiny_en_uncased")
    ```
    """
    if cluster_size() > 1:
        if "multi_worker" not in _CREATED:
            _CREATED["multi_worker"] = _multi_worker_strategy()
        return _CREATED["multi_worker"]
    address = _tpu_address()
    if address is not None:
        if "tpu" not in _CREATED:
            _CREATED["tpu"] = _tpu_strategy(address)
        return _CREATED["tpu"]
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def is_multi_worker(strategy):
    """Whether a strategy trains across several processes (a `MultiWorkerMirroredStrategy` whose
    cluster has several training tasks).

    Args:
        strategy: a `tf.distribute.Strategy`.

    Returns:
        A bool.

    Example:
    ```python
    is_multi_worker(tf.distribute.get_strategy())  # False
    ```
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    spec = strategy.cluster_resolver.cluster_spec()
    return sum(spec.num_tasks(job) for job in spec.jobs if job in TRAINING_JOBS) > 1


def is_chief(strategy):
    """Whether this process writes the stage's files: always, except on a multi-worker run's
    non-chief workers.

    Args:
        strategy: a `tf.distribute.Strategy`.

    Returns:
        `strategy.extended.should_checkpoint`, TensorFlow's own answer.

    Example:
    ```python
    is_chief(tf.distribute.get_strategy())  # True
    ```
    """
    return bool(strategy.extended.should_checkpoint)


def one_machine_strategy(strategy, stage):
    """The strategy of a stage that runs on one machine: `strategy`, or `default_strategy()`.

    Args:
        strategy: a `tf.distribute.Strategy`, or `None`.
        stage: the stage's name for the message.

    Returns:
        The `tf.distribute.Strategy`.

    Raises:
        RecipeError: if the strategy spans several workers.

    Example:
    ```python
    strategy = one_machine_strategy(None, "Teacher fine-tuning")
    ```
    """
    strategy = strategy or default_strategy()
    if is_multi_worker(strategy):
        raise RecipeError(
            f"{stage} runs on one machine; several machines (TF_CONFIG) train general "
            "distillation only, the stage that outgrows one. Run this stage without TF_CONFIG "
            "(or with a single-machine strategy=)."
        )
    return strategy


def check_jit_compile(strategy, jit_compile):
    """Stops XLA in a multi-worker run on CPUs, which TensorFlow cannot compile.

    XLA has no CPU kernels for the collective operations that keep the workers in step
    (`CollectiveGatherV2` ...), so the first step would fail deep inside TensorFlow. GPUs are let
    through (not tested here).

    Args:
        strategy: a `tf.distribute.Strategy`.
        jit_compile: the `jit_compile` setting.

    Raises:
        RecipeError: for `jit_compile` with a multi-worker strategy and no GPU.

    Example:
    ```python
    check_jit_compile(default_strategy(), TrainingSettings().jit_compile)
    ```
    """
    if jit_compile and is_multi_worker(strategy) and not tf.config.list_logical_devices("GPU"):
        raise RecipeError(
            "jit_compile is on, but XLA cannot compile the collective operations of a "
            "multi-worker run on CPUs: pass --no-jit-compile (jit_compile=False)."
        )


@contextlib.contextmanager
def open_stage(output_dir, settings, strategy):
    """`open_run` for the chief; the other workers of a multi-worker run only read the folder.

    Args:
        output_dir: the stage folder, at the same path on every worker.
        settings: the stage's settings dict.
        strategy: the `tf.distribute.Strategy`.

    Yields:
        The stage's summary if it finished, else `None` (train, resuming from its backup). The
        chief holds the folder's lock while the `with` block runs. A non-chief does not check
        the settings: the chief does, and when it refuses the folder, the others stop at their
        next collective operation with TensorFlow's `UnavailableError`.

    Example:
    ```python
    with open_stage("runs/general", {"stage": "general"}, strategy) as finished:
        ...
    ```
    """
    if is_chief(strategy):
        with open_run(output_dir, settings) as finished:
            yield finished
        return
    summary_file = pathlib.Path(output_dir) / SUMMARY_FILE
    if not summary_file.is_file():
        yield None
        return
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    summary.pop(RECORDS_KEY, None)  # the chief checks the results against their records
    yield summary


@contextlib.contextmanager
def worker_folder(output_dir, strategy):
    """The folder this worker trains in: the stage folder for the chief, a temporary copy for
    the others.

    A non-chief's copy holds the stage's `backup/` (so it restores the same interval as the
    chief) and receives what it writes (backups, history, preset); it is removed on exit, or,
    after a kill, when the same worker starts that stage again. The chief cannot overwrite the
    backup while it is being copied: it needs every worker to train.

    Args:
        output_dir: the stage folder.
        strategy: the `tf.distribute.Strategy`.

    Yields:
        A `pathlib.Path`.

    Example:
    ```python
    from tinybert_keras.recipe import fit_resumable

    with worker_folder("runs/general", strategy) as folder:
        fit_resumable(model, train_dataset, 1000, folder, 250)
    ```
    """
    output_dir = pathlib.Path(output_dir)
    if is_chief(strategy):
        yield output_dir
        return
    resolver = strategy.cluster_resolver
    stage = hashlib.sha256(str(output_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    folder = pathlib.Path(tempfile.gettempdir()) / (
        f"tinybert-worker-{stage}-{resolver.task_type}-{resolver.task_id}"
    )
    shutil.rmtree(folder, ignore_errors=True)
    try:
        folder.mkdir(parents=True)
        if (output_dir / "backup").is_dir():
            shutil.copytree(output_dir / "backup", folder / "backup")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
