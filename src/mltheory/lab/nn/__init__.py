"""Models used across the catalog."""

from mltheory.lab.nn.cnn import SmallCNN
from mltheory.lab.nn.decoder_transformer import DecoderTransformer
from mltheory.lab.nn.deep_linear import DeepLinear
from mltheory.lab.nn.mlp import MLP
from mltheory.lab.nn.parameterized_mlp import ParameterizedMLP
from mltheory.lab.nn.random_features import RandomFeatures
from mltheory.lab.nn.transformer import TinyTransformer

__all__ = [
    "MLP",
    "DecoderTransformer",
    "DeepLinear",
    "ParameterizedMLP",
    "RandomFeatures",
    "SmallCNN",
    "TinyTransformer",
]
