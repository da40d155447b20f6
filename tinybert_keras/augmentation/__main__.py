"""`python -m tinybert_keras.augmentation`: the `tinybert-keras augment` command."""

import argparse
import sys

from tinybert_keras.augmentation import command

parser = argparse.ArgumentParser(
    prog="tinybert-keras augment", description="TinyBERT data augmentation (MLM + GloVe)."
)
command.add_arguments(parser)
sys.exit(command.run(parser.parse_args()))
