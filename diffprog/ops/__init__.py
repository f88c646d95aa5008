"""Hand-written autograd ops, each a drop-in twin of the `torch.nn.functional` function of the
same name and signature. Every backward is derived in its module's docstring in the lecture's
notation and written with differentiable tensor ops (so double backward works)."""
from ._fusion import get_fusion, set_fusion
from ._validation import OpInputError
from .conv import conv2d, conv2d_im2col
from .dense import embedding, linear
from .losses import cross_entropy, euclidean_loss, mse_loss
from .norm import batch_norm, layer_norm
from .pointwise import dropout, gelu, leaky_relu, relu, sigmoid, tanh
from .pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .softmax import log_softmax, softmax
from .surrogates import gumbel_softmax, round_ste, sign_ste, soft_rank

#: The ops with a hand-written backward; every one must have a check in diffprog.check's registry.
OPS = (
    "linear", "tanh", "sigmoid", "relu", "leaky_relu", "gelu", "softmax", "log_softmax",
    "mse_loss", "euclidean_loss", "cross_entropy", "conv2d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d", "batch_norm", "layer_norm", "dropout", "embedding",
)

#: Trainable surrogates: hard forward, the backward of a smooth stand-in (see surrogates.py).
SURROGATES = ("round_ste", "sign_ste", "gumbel_softmax", "soft_rank")

__all__ = [*OPS, *SURROGATES, "conv2d_im2col", "OpInputError", "OPS", "SURROGATES", "set_fusion", "get_fusion"]
