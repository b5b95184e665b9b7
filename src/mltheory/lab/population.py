"""Population training: many models of one shape trained as one batched computation.

A sweep over seeds, learning rates, weight decays or label-noise draws trains many small models
of the *same* shape. Trained one after another, each step of each model is a handful of tiny
matrix products plus a few hundred microseconds of Python, autograd and optimizer overhead, and
the CPU or GPU sits mostly idle. Here ``M`` models are held as stacked parameters of shape
``(M, …)`` and trained together: one step of the whole population is one batched computation,
so the overhead is paid once per step for all ``M`` models and the arithmetic runs at matrix
speed. Two paths hold a population:

* :class:`PopulationModule`, the generic path: any architecture (CNN, transformer, tanh MLP,
  …). The members' parameters are stacked with ``torch.func.stack_module_state`` and the
  forward and backward passes are ``vmap(grad(functional_call(template, ...)))``.
* :class:`PopulationMLP`, the fast path for ReLU MLPs (:class:`~mltheory.lab.nn.MLP`): stacked
  weights ``(M, out, in)`` and a hand-written forward and backward pass of batched matrix
  products (``torch.bmm``). Member ``i`` is initialised exactly as ``torch.manual_seed(s_i);
  MLP(...)`` would (PyTorch's default ``nn.Linear`` init), and :meth:`PopulationMLP.member`
  returns it as an ordinary ``MLP``.

:func:`population_from_models` picks the fast path when every model is a ReLU MLP it represents
and the generic path otherwise; each path's ``from_models`` refuses, with the reason, what it
cannot represent (the fast path: any other activation or layer; the generic path: batch norm in
training mode, dropout, lazy parameters not yet materialised, members of different shapes).

:func:`train_population` trains either path on the training engine's loop
(:func:`mltheory.lab.engine.train_loop`): the population counterpart of
:func:`mltheory.lab.train.train_classifier`. Each member has its own data-order generator,
learning rate, weight decay, momentum and labels (a label-noise draw) and optionally its own
inputs (a data subset); the update is ``torch.optim.SGD``'s (momentum buffer
``b ← μb + g + λw``, ``w ← w − ηb``). Member ``i`` ends with the same parameters, to
floating-point tolerance, as the same model trained alone by ``train_classifier`` with the same
init seed, data-order generator and hyper-parameters, on both paths, for a ReLU MLP, a tanh MLP,
a small CNN and a one-layer transformer (``tests/lab/test_population*.py``).
"To tolerance", not bit for bit: batched and single products sum in different orders. The
two agree to ~1e-7 until, in a long run, such a rounding difference lands a pre-activation on
the other side of a ReLU's kink for one example; from then on the two trajectories drift
apart, as two runs of one script on different BLAS builds or thread counts would.

Why a hand-written fast path beside ``vmap``: both express the same computation, but on a CPU
``vmap(grad(...))`` adds per-step dispatch overhead that dominates for the small widths sweeps
are made of, while ``bmm`` goes straight to the BLAS batched GEMM. ``benchmarks/population.py``
measures the three ways (one after another, generic, bmm) side by side.

Where it pays (``python benchmarks/population.py``, 2-core AMD EPYC, torch 2.13.0 CPU build,
2 threads, 200 steps of batch 100, 2026-11-29): 64 networks of width 32 train 13–15× faster
than one after another, of width 64 6–8.5× (three runs; short of the 10× the sweeps issue
asked for), of width 128 4×, because a lone small network spends most of each step on Python,
autograd and optimizer overhead; at width 512 a lone network's products are already large
enough to run near the matrix-multiply peak, and the population gains only 1.4–1.6× while
itself reaching 66–78% of the measured sgemm peak (153 GFLOP/s).

The generic path (``PopulationModule``), measured on 2026-11-29 with ``python
benchmarks/population.py --members 16 64 --widths 32 128 --steps 100 --threads 1`` on the same
2-core machine while it was shared (load average 11–14, so every figure is noisy and the sgemm
peak read 17 GFLOP/s): 2.2–3.1× faster than one after another at width 32 and 1.0–1.4× at
width 128, while the bmm fast path was 6–12× and 1.8–2.2× (16 and 64 members); tanh MLPs,
which only the generic path trains (``--activation tanh``, 16 members), 1.9× and 2.2×.

What limits width 64 (``torch.profiler`` over one 64-member, 200-step run): the batched
products are 65% of the time and already run at 80–130 GFLOP/s for the 64×64 layer, but the
thin layers do not (the 40-wide input layer at ~90, the 10-class output layer's forward at
~14 GFLOP/s); the other 35% are elementwise passes over (64, 100, 64) activations: ReLU's
backward, the bias add, the softmax and cross-entropy, the batch gather and the SGD update,
each a memory pass that the matrix products cannot hide. The one-after-another loop at this
width costs ~0.55 ms per step, so 10× asks for 55 µs per member-step, where the arithmetic
alone at peak takes ~30 µs. Fusing the elementwise passes with ``torch.compile`` (inductor,
the whole step: forward, backward, update) measured 4.96 → 4.46 ms per step, 10%, for 23 s of
compilation: not worth it at sweep sizes that finish in a minute. Gathering batches with
``index_select`` instead of advanced indexing was no faster end to end either.

On a machine crowded with other jobs, torch's intra-op threads make tiny matrix products
dramatically slower (threads waiting on each other; we saw 30× on small
widths); this module leaves torch's thread settings alone, so on a shared machine run with
``OMP_NUM_THREADS=1``.

Sweeps whose cells differ in shape (e.g. widths) are *grouped*: one population per width, run
one after another (e.g. one :meth:`RunContext.run_phases` phase each). Padding every width to
the largest would also be exact, but only if the padded units are masked (or provably stay
zero), and it multiplies the work of the small widths by ``(h_max/h)²``; in a log-spaced width
sweep the largest width dominates the cost anyway, so grouping is both simpler and faster.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from mltheory.lab.context import RunContext
from mltheory.lab.engine import TrainState, train_loop
from mltheory.lab.nn import MLP
from mltheory.lab.train import TrainHistory


def _per_member(value: float | Sequence[float] | torch.Tensor, m: int, name: str) -> torch.Tensor:
    """A hyper-parameter given once for all members, or once per member, as an (M,) tensor."""
    t = torch.as_tensor(value, dtype=torch.float32).flatten()
    if t.numel() == 1:
        t = t.expand(m).clone()
    if t.numel() != m:
        raise ValueError(f"{name}: expected 1 or {m} values (one per member), got {t.numel()}")
    return t


class PopulationMLP:
    """``M`` fully connected ReLU networks ``in → hidden[0] → … → out`` of one shape.

    ``weights[l]`` has shape ``(M, out_l, in_l)`` and ``biases[l]`` ``(M, out_l)``, i.e. member
    ``i``'s layer ``l`` is ``nn.Linear`` with ``weight = weights[l][i]``, ``bias = biases[l][i]``.
    """

    def __init__(self, weights: list[torch.Tensor], biases: list[torch.Tensor]) -> None:
        if len(weights) != len(biases) or not weights:
            raise ValueError("need one bias per weight and at least one layer")
        self.weights, self.biases = weights, biases

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def init(
        cls,
        in_dim: int,
        hidden: Sequence[int],
        out_dim: int,
        seeds: Sequence[int],
        device: torch.device | str = "cpu",
    ) -> PopulationMLP:
        """Member ``i`` initialised exactly as ``torch.manual_seed(seeds[i]); MLP(in_dim, hidden,
        out_dim)``: PyTorch's ``nn.Linear`` default, ``U(−1/√fan_in, 1/√fan_in)`` for weight then
        bias, layer by layer, drawn here from a private generator so the global RNG is untouched."""
        widths = [in_dim, *hidden, out_dim]
        weights = [
            torch.empty(len(seeds), b, a) for a, b in zip(widths[:-1], widths[1:], strict=True)
        ]
        biases = [torch.empty(len(seeds), b) for b in widths[1:]]
        for i, seed in enumerate(seeds):
            g = torch.Generator().manual_seed(int(seed))
            for w, b in zip(weights, biases, strict=True):
                # kaiming_uniform_(a=√5) has bound gain·√(3/fan_in) = 1/√fan_in, like the bias.
                bound = 1.0 / math.sqrt(w.shape[2])
                w[i].uniform_(-bound, bound, generator=g)
                b[i].uniform_(-bound, bound, generator=g)
        return cls([w.to(device) for w in weights], [b.to(device) for b in biases])

    @staticmethod
    def cannot_represent(model: torch.nn.Module) -> str | None:
        """Why this fast path cannot hold ``model`` (``None`` when it can): it computes exactly
        :class:`~mltheory.lab.nn.MLP` with ReLU activations and biases, nothing else."""
        if not isinstance(model, MLP):
            return f"it is a {type(model).__name__}, not a mltheory.lab.nn.MLP"
        layers = list(model)
        body = layers[1:]
        expected_types = [
            torch.nn.Linear if k % 2 == 0 else torch.nn.ReLU for k in range(len(body))
        ]
        if not isinstance(layers[0], torch.nn.Flatten) or len(body) % 2 == 0:
            return "its layers are not Flatten, Linear, ReLU, …, Linear"
        for layer, kind in zip(body, expected_types, strict=True):
            if type(layer) is not kind:
                return (
                    f"it has a {type(layer).__name__} where the ReLU MLP has a {kind.__name__} "
                    "(the fast path computes ReLU only)"
                )
            if kind is torch.nn.Linear and layer.bias is None:
                return "its layers have no biases"
        return None

    @classmethod
    def from_models(cls, models: Sequence[MLP]) -> PopulationMLP:
        """Stack existing ReLU MLPs of one shape (copies their parameters). Anything else (another
        activation, convolutions, no biases) is refused: :func:`population_from_models` picks
        the generic path for those."""
        if not models:
            raise ValueError("from_models needs at least one model")
        for i, model in enumerate(models):
            reason = cls.cannot_represent(model)
            if reason is not None:
                raise ValueError(
                    f"PopulationMLP cannot represent model {i}: {reason}; use "
                    "PopulationModule.from_models (any architecture, torch.func) or "
                    "population_from_models, which picks the path that fits"
                )
        linears = [[m for m in model if isinstance(m, torch.nn.Linear)] for model in models]
        shapes = {tuple(tuple(lin.weight.shape) for lin in ls) for ls in linears}
        if len(shapes) > 1:
            raise ValueError(f"the models differ in shape: {sorted(shapes)}")
        n_layers = len(linears[0])
        weights = [torch.stack([ls[k].weight.detach() for ls in linears]) for k in range(n_layers)]
        biases = [torch.stack([ls[k].bias.detach() for ls in linears]) for k in range(n_layers)]
        return cls([w.clone() for w in weights], [b.clone() for b in biases])

    def member(self, i: int) -> MLP:
        """Member ``i`` as an ordinary :class:`MLP` (a copy)."""
        widths = [self.weights[0].shape[2], *[w.shape[1] for w in self.weights]]
        model = MLP(widths[0], widths[1:-1], widths[-1]).to(self.weights[0].device)
        layers = [m for m in model if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for lin, w, b in zip(layers, self.weights, self.biases, strict=True):
                lin.weight.copy_(w[i])
                lin.bias.copy_(b[i])
        return model

    @property
    def size(self) -> int:
        return self.weights[0].shape[0]

    @property
    def hidden(self) -> list[int]:
        return [w.shape[1] for w in self.weights[:-1]]

    def parameters(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases]

    def state_dict(self) -> dict[str, list[torch.Tensor]]:
        return {"weights": self.weights, "biases": self.biases}

    def load_state_dict(self, saved: dict[str, list[torch.Tensor]]) -> None:
        for p, v in zip(self.parameters(), [*saved["weights"], *saved["biases"]], strict=True):
            p.copy_(v)

    def gradients(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        out: list[torch.Tensor] | None = None,
        shared_x: bool | None = None,
    ) -> list[torch.Tensor]:
        """Gradients of each member's mean cross-entropy, aligned with :meth:`parameters`
        (written into ``out`` when given). ``x`` is ``(M, B, in)``."""
        _, w_grads, b_grads = self.loss_and_grads(x, y, out=out)
        return [*w_grads, *b_grads]

    def n_params(self) -> int:
        """Parameters of one member."""
        return sum(p[0].numel() for p in self.parameters())

    def flops_per_example(self) -> int:
        """Multiply-add FLOPs of one member's forward pass on one example (2 per weight)."""
        return 2 * sum(w[0].numel() for w in self.weights)

    # --- computation -------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(M, B, out)`` for inputs ``(M, B, in)`` (one batch per member) or ``(B, in)``
        (the same batch for every member)."""
        return self._forward(x)[0]

    __call__ = forward

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and the inputs of every layer (what the backward pass needs)."""
        if x.dim() == 2:  # a shared batch: broadcast it over the members
            x = x.unsqueeze(0).expand(self.size, *x.shape)
        inputs, h = [], x
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            inputs.append(h)
            # bmm then a broadcast add is faster on the CPU than baddbmm with a broadcast bias.
            h = torch.bmm(h, w.transpose(1, 2)).add_(b.unsqueeze(1))
            if k < last:
                h = h.clamp_min_(0.0)  # ReLU in place: the pre-activation is not needed again
        return h, inputs

    def loss_and_grads(
        self, x: torch.Tensor, y: torch.Tensor, out: list[torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """Per-member mean cross-entropy ``(M,)`` on batches ``x (M, B, in)``, ``y (M, B)``, and
        its gradients with respect to every weight and bias (hand-written backward pass).

        ``out``: tensors shaped like :meth:`parameters` to write the gradients into (no
        allocation per step: for wide populations, fresh gradient tensors of tens of MB each
        step cost page faults and memory traffic)."""
        logits, inputs = self._forward(x)
        batch = y.shape[1]
        loss, grad = _cross_entropy_and_softmax(logits, y)
        loss = loss.mean(1)
        # d(mean CE)/d logits = (softmax − one-hot) / B
        grad.scatter_add_(2, y.unsqueeze(2), torch.full_like(grad[:, :, :1], -1.0))
        grad.div_(batch)
        n_layers = len(self.weights)
        w_grads = out[:n_layers] if out is not None else [None] * n_layers
        b_grads = out[n_layers:] if out is not None else [None] * n_layers
        for k in range(n_layers - 1, -1, -1):
            w_grads[k] = torch.bmm(grad.transpose(1, 2), inputs[k], out=w_grads[k])
            b_grads[k] = torch.sum(grad, 1, out=b_grads[k])
            if k > 0:
                # Back through layer k's weights and the ReLU that produced its input (the
                # input is the post-ReLU activation, so "input > 0" is ReLU's derivative, 0 at 0).
                # threshold_backward is autograd's own ReLU backward: one pass, where
                # multiplying by a boolean mask costs three (compare, convert, multiply).
                grad = torch.ops.aten.threshold_backward(
                    torch.bmm(grad, self.weights[k]), inputs[k], 0.0
                )
        return loss, w_grads, b_grads

    @torch.no_grad()
    def evaluate(
        self, x: torch.Tensor, y: torch.Tensor, chunk: int = 2048, shared_x: bool | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-member mean cross-entropy and accuracy ``(M,)``, ``(M,)`` on ``x`` of shape
        ``(n, in)`` (shared) or ``(M, n, in)``, and labels ``(n,)`` or ``(M, n)`` (``shared_x``
        is read from ``x``'s shape here)."""
        n = x.shape[-2]
        loss_sum = torch.zeros(self.size, dtype=torch.float64, device=x.device)
        correct = torch.zeros(self.size, dtype=torch.int64, device=x.device)
        for i in range(0, n, chunk):
            xb, yb = x[..., i : i + chunk, :], y[..., i : i + chunk]
            logits = self.forward(xb)
            yb = yb.expand(self.size, -1) if yb.dim() == 1 else yb
            loss_sum += _cross_entropy_and_softmax(logits, yb)[0].sum(1).double()
            correct += (logits.argmax(2) == yb).sum(1)
        return (loss_sum / max(1, n)).float(), correct.float() / max(1, n)


def _cross_entropy_and_softmax(
    logits: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-example cross-entropy ``(M, B)`` and softmax ``(M, B, C)`` of logits ``(M, B, C)``.

    Written out (max-shifted log-sum-exp) because ``log_softmax`` over a last dimension as short
    as 10 classes is several times slower on the CPU than these few elementwise passes."""
    shifted = logits - logits.amax(-1, keepdim=True)
    exp = shifted.exp()
    sum_exp = exp.sum(-1, keepdim=True)
    loss = sum_exp.log().squeeze(-1) - shifted.gather(-1, y.unsqueeze(-1)).squeeze(-1)
    return loss, exp.div_(sum_exp)


_UNBATCHABLE = (
    # Training-mode batch norm updates its running statistics in place, which vmap cannot do
    # member by member; dropout draws masks that one-by-one training would draw differently.
    torch.nn.modules.batchnorm._BatchNorm,
    torch.nn.modules.dropout._DropoutNd,
)


class PopulationModule:
    """``M`` copies of any one architecture, trained as one computation (the generic path).

    The members' parameters and buffers are stacked along a new first dimension with
    ``torch.func.stack_module_state``; the forward pass is ``torch.func.functional_call`` of one
    template module under ``torch.func.vmap`` over the members, and gradients come from
    ``vmap(grad_and_value(loss))``. Any module built of vmap-able operations works (convolutions,
    attention, layer norm, embeddings, tanh, ...); :meth:`from_models` refuses what it cannot
    train member by member (batch norm in training mode, dropout, lazy parameters not yet
    materialised, members of different shapes), with the reason.

    :class:`PopulationMLP` is faster for ReLU MLPs (``benchmarks/population.py``);
    :func:`population_from_models` picks it when it applies.
    """

    def __init__(
        self,
        template: torch.nn.Module,
        params: dict[str, torch.Tensor],
        buffers: dict[str, torch.Tensor],
    ) -> None:
        self.template, self.params, self.buffers = template, params, buffers

    # --- construction ------------------------------------------------------------------------
    @staticmethod
    def cannot_represent(model: torch.nn.Module) -> str | None:
        """Why the generic path cannot hold ``model`` (``None`` when it can)."""
        for name, sub in model.named_modules():
            if isinstance(sub, _UNBATCHABLE) and (
                not isinstance(sub, torch.nn.modules.dropout._DropoutNd) or sub.p > 0
            ):
                return (
                    f"{name or 'the model'} is a {type(sub).__name__}, whose training-mode "
                    "randomness or in-place statistics cannot be batched over members"
                )
        for name, p in model.named_parameters():
            if isinstance(p, torch.nn.parameter.UninitializedParameter):
                return f"parameter {name} is lazy: run one forward pass to materialise it first"
        return None

    @classmethod
    def from_models(cls, models: Sequence[torch.nn.Module]) -> PopulationModule:
        """Stack models of one architecture and shape (copies their parameters and buffers)."""
        if not models:
            raise ValueError("from_models needs at least one model")
        first = models[0]
        signature = _signature(first)
        for i, model in enumerate(models):
            reason = cls.cannot_represent(model)
            if reason is not None:
                raise ValueError(f"PopulationModule cannot represent model {i}: {reason}")
            if type(model) is not type(first) or _signature(model) != signature:
                raise ValueError(
                    f"model {i} differs from model 0 in type or parameter shapes: a population "
                    "holds one architecture (group models by shape, one population each)"
                )
        params, buffers = torch.func.stack_module_state(list(models))
        template = copy.deepcopy(first)
        return cls(
            template,
            {k: v.detach().clone() for k, v in params.items()},
            {k: v.detach().clone() for k, v in buffers.items()},
        )

    @classmethod
    def init(
        cls,
        make_model: Callable[[], torch.nn.Module],
        seeds: Sequence[int],
        device: torch.device | str = "cpu",
    ) -> PopulationModule:
        """Member ``i`` is what ``torch.manual_seed(seeds[i]); make_model()`` builds (the
        global RNG is restored afterwards)."""
        models = []
        with torch.random.fork_rng(devices=[]):
            for seed in seeds:
                torch.manual_seed(int(seed))
                models.append(make_model())
        return cls.from_models([m.to(device) for m in models])

    def member(self, i: int) -> torch.nn.Module:
        """Member ``i`` as an ordinary module (a copy)."""
        model = copy.deepcopy(self.template)
        model.load_state_dict(
            {k: v[i] for k, v in {**self.params, **self.buffers}.items()}, strict=False
        )
        return model

    @property
    def size(self) -> int:
        return next(iter(self.params.values())).shape[0]

    def parameters(self) -> list[torch.Tensor]:
        return list(self.params.values())

    def n_params(self) -> int:
        """Parameters of one member."""
        return sum(p[0].numel() for p in self.parameters())

    def state_dict(self) -> dict[str, dict[str, torch.Tensor]]:
        return {"params": self.params, "buffers": self.buffers}

    def load_state_dict(self, saved: dict[str, dict[str, torch.Tensor]]) -> None:
        for mine, theirs in ((self.params, saved["params"]), (self.buffers, saved["buffers"])):
            for k, v in mine.items():
                v.copy_(theirs[k])

    # --- computation -------------------------------------------------------------------------
    def _call(self, params, buffers, x):
        return torch.func.functional_call(self.template, (params, buffers), (x,))

    def forward(self, x: torch.Tensor, shared_x: bool = True) -> torch.Tensor:
        """Logits ``(M, B, …)``: of one batch ``x`` for every member (``shared_x``) or of batch
        ``x[i]`` for member ``i``."""
        return torch.func.vmap(self._call, in_dims=(0, 0, None if shared_x else 0))(
            self.params, self.buffers, x
        )

    __call__ = forward

    def gradients(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        out: list[torch.Tensor] | None = None,
        shared_x: bool | None = None,
    ) -> list[torch.Tensor]:
        """Gradients of each member's mean cross-entropy on its batch ``x[i]``, ``y[i]``,
        aligned with :meth:`parameters` (``out`` is ignored: the gradients are fresh tensors)."""

        def loss(params, buffers, xb, yb):
            return torch.nn.functional.cross_entropy(self._call(params, buffers, xb), yb)

        grads = torch.func.vmap(torch.func.grad(loss))(self.params, self.buffers, x, y)
        return [grads[k] for k in self.params]

    @torch.no_grad()
    def evaluate(
        self, x: torch.Tensor, y: torch.Tensor, chunk: int = 2048, shared_x: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-member mean cross-entropy and accuracy ``(M,)``, ``(M,)`` on ``x`` (``(n, …)``
        shared, or ``(M, n, …)`` with ``shared_x=False``) and labels ``(n,)`` or ``(M, n)``."""
        n = x.shape[0 if shared_x else 1]
        loss_sum = torch.zeros(self.size, dtype=torch.float64, device=x.device)
        correct = torch.zeros(self.size, dtype=torch.int64, device=x.device)
        was_training = self.template.training
        self.template.eval()
        for i in range(0, n, chunk):
            xb = x[i : i + chunk] if shared_x else x[:, i : i + chunk]
            yb = y[..., i : i + chunk]
            logits = self.forward(xb, shared_x=shared_x)
            yb = yb.expand(self.size, -1) if yb.dim() == 1 else yb
            loss_sum += _cross_entropy_and_softmax(logits, yb)[0].sum(1).double()
            correct += (logits.argmax(2) == yb).sum(1)
        self.template.train(was_training)
        return (loss_sum / max(1, n)).float(), correct.float() / max(1, n)


Population = PopulationMLP | PopulationModule


def population_from_models(models: Sequence[torch.nn.Module]) -> Population:
    """The fast path (:class:`PopulationMLP`) when every model is a ReLU MLP it represents,
    else the generic path (:class:`PopulationModule`), which refuses what it cannot train."""
    if models and all(PopulationMLP.cannot_represent(m) is None for m in models):
        return PopulationMLP.from_models(models)
    return PopulationModule.from_models(models)


def _signature(model: torch.nn.Module) -> list[tuple[str, tuple[int, ...], torch.dtype]]:
    return [
        (k, tuple(v.shape), v.dtype)
        for k, v in [*model.named_parameters(), *model.named_buffers()]
        if not isinstance(v, torch.nn.parameter.UninitializedParameter)
    ]


@dataclass
class PopulationHistory:
    """Evaluations during training: ``step`` is shared, every other series holds one ``(M,)``
    tensor per evaluation. ``steps_to_fit[i]``: first evaluated step at which member ``i``'s
    training accuracy reached the fit threshold (``-1`` if it never did)."""

    step: list[int] = field(default_factory=list)
    train_loss: list[torch.Tensor] = field(default_factory=list)
    train_acc: list[torch.Tensor] = field(default_factory=list)
    test_loss: list[torch.Tensor] = field(default_factory=list)
    test_acc: list[torch.Tensor] = field(default_factory=list)
    steps_to_fit: torch.Tensor | None = None

    def final(self) -> dict[str, list[float]]:
        """Each member's last evaluation, as lists of length M."""
        out = {"train_loss": self.train_loss[-1].tolist(), "train_acc": self.train_acc[-1].tolist()}
        if self.test_loss:
            out["test_loss"] = self.test_loss[-1].tolist()
            out["test_acc"] = self.test_acc[-1].tolist()
        return out

    def series(self, name: str) -> torch.Tensor:
        """One series as an ``(evaluations, M)`` tensor."""
        return torch.stack(getattr(self, name))

    def member(self, i: int, stop_at_fit: bool = False) -> TrainHistory:
        """Member ``i``'s evaluations as the :class:`TrainHistory` that ``train_classifier``
        returns; with ``stop_at_fit``, cut at the member's fit step, where ``train_classifier``
        with ``stop_at_fit=True`` would have stopped it."""
        fit = None
        if self.steps_to_fit is not None and int(self.steps_to_fit[i]) >= 0:
            fit = int(self.steps_to_fit[i])
        end = self.step.index(fit) + 1 if stop_at_fit and fit is not None else len(self.step)
        return TrainHistory(
            step=self.step[:end],
            **{name: [float(v[i]) for v in s[:end]] for name, s in _series(self).items()},
            steps_to_fit=fit,
        )


class PopulationBatches:
    """Each member's minibatch indices ``(M, B)``, from its own data-order generator, reshuffled
    (all members at once) when the rest of the epoch cannot fill a batch: member ``i`` sees the
    batches :class:`~mltheory.lab.engine.TensorBatches` would give it alone. Checkpointable."""

    def __init__(
        self, n: int, batch_size: int, generators: Sequence[torch.Generator], device: torch.device
    ) -> None:
        self.n, self.batch_size = n, min(batch_size, n)
        self.generators, self.device = list(generators), device
        self.order, self.pos = self._new_orders(), 0

    def _new_orders(self) -> torch.Tensor:
        return torch.stack([torch.randperm(self.n, generator=g) for g in self.generators]).to(
            self.device
        )

    def __iter__(self) -> PopulationBatches:
        return self

    def __next__(self) -> torch.Tensor:
        if self.pos + self.batch_size > self.n:
            self.order, self.pos = self._new_orders(), 0
        idx = self.order[:, self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx

    def state_dict(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "pos": self.pos,
            "generators": [g.get_state() for g in self.generators],
        }

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        self.order, self.pos = saved["order"], saved["pos"]
        for g, state in zip(self.generators, saved["generators"], strict=True):
            g.set_state(state)


def train_population(
    pop: Population,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    *,
    steps: int,
    batch_size: int,
    lr: float | Sequence[float] | torch.Tensor,
    generators: Sequence[torch.Generator],
    ctx: RunContext | None = None,
    x_test: torch.Tensor | None = None,
    y_test: torch.Tensor | None = None,
    momentum: float | Sequence[float] | torch.Tensor = 0.9,
    weight_decay: float | Sequence[float] | torch.Tensor = 0.0,
    eval_every: int = 100,
    fit_threshold: float | None = None,
    stop_at_fit: bool = False,
    description: str = "training population",
    log: dict[str, Any] | None = None,
    member_inputs: bool | None = None,
) -> PopulationHistory:
    """Minibatch SGD with momentum and cross-entropy for every member at once, in place, on
    :func:`mltheory.lab.engine.train_loop`.

    ``pop``: a :class:`PopulationMLP` (fast path) or a :class:`PopulationModule` (any
    architecture); :func:`population_from_models` picks. The population counterpart of
    :func:`~mltheory.lab.train.train_classifier` (same schedule of reshuffles and evaluations).
    Inputs ``x_train`` are ``(n, …)`` shared by all members or ``(M, n, …)`` (a data subset per
    member; ``member_inputs=True``, which for a ``PopulationMLP`` is read from ``x``'s rank);
    labels ``y_train`` are ``(n,)`` or ``(M, n)`` (a label-noise draw per member).
    ``generators[i]`` draws member ``i``'s data order; ``lr``, ``momentum`` and ``weight_decay``
    are one value or one per member. With ``ctx`` the loop checkpoints and resumes exactly, and
    logs every evaluation (one list entry per member). With ``stop_at_fit`` the loop ends once
    *every* member has reached ``fit_threshold``; :meth:`PopulationHistory.member` then cuts
    each member's history where it fitted, i.e. where ``train_classifier(..., stop_at_fit=True)``
    would have stopped it alone.
    """
    m = pop.size
    if len(generators) != m:
        raise ValueError(f"need one data-order generator per member: {m}, got {len(generators)}")
    params = pop.parameters()
    device = params[0].device
    if member_inputs is None:
        member_inputs = isinstance(pop, PopulationMLP) and x_train.dim() == 3
    shared_x = not member_inputs
    n = x_train.shape[0 if shared_x else 1]
    if y_train.dim() == 1 and y_train.shape[0] == n:
        y_train = y_train.unsqueeze(0).expand(m, n)
    if y_train.shape != (m, n) or (not shared_x and x_train.shape[:2] != (m, n)):
        raise ValueError(
            f"x_train {tuple(x_train.shape)} / y_train {tuple(y_train.shape)} do not fit "
            f"{m} members; expected (n, …) or (M, n, …) and (n,) or (M, n)"
        )
    lr_w = _per_member(lr, m, "lr").to(device)
    mom_w = _per_member(momentum, m, "momentum").to(device)
    wd_w = _per_member(weight_decay, m, "weight_decay").to(device)
    members = torch.arange(m, device=device).unsqueeze(1)

    # Views broadcasting one value per member over a parameter (M, …).
    def per_param(t: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return t.view(m, *([1] * (p.dim() - 1)))

    lrs = [per_param(lr_w, p) for p in params]
    moms = [per_param(mom_w, p) for p in params]
    wds = [per_param(wd_w, p) for p in params]
    use_wd = bool((wd_w != 0).any())
    # The population's weights and SGD momentum buffers are the checkpointed state.
    state = TrainState(
        population=pop, momentum=[torch.zeros_like(p) for p in params], history=PopulationHistory()
    )
    spare = [torch.empty_like(p) for p in params]  # the next step's gradients (fast path)

    def sgd_step(state: TrainState, idx: torch.Tensor) -> None:
        nonlocal spare
        xb = x_train[idx] if shared_x else x_train[members, idx]
        grads = pop.gradients(xb, y_train[members, idx], out=spare, shared_x=shared_x)
        # torch.optim.SGD (dampening 0, no Nesterov): b ← μ·b + (g + λ·w); w ← w − η·b.
        # A zero buffer makes the first step b = g exactly, as SGD's first step does. The
        # gradient tensors become the new buffers (g + μ·b in one pass, in place) and the
        # old buffers hold the next step's gradients: no allocation, two passes over the
        # weights' size instead of three; _foreach ops update all layers in one call each.
        if use_wd:
            torch._foreach_addcmul_(grads, wds, params)
        torch._foreach_addcmul_(grads, state.momentum, moms)
        state.momentum, spare = grads, state.momentum
        torch._foreach_addcmul_(params, state.momentum, lrs, value=-1.0)

    def evaluate(state: TrainState) -> dict[str, torch.Tensor]:
        hist: PopulationHistory = state.history
        tr_loss, tr_acc = pop.evaluate(x_train, y_train, shared_x=shared_x)
        hist.step.append(state.step)
        hist.train_loss.append(tr_loss.cpu())
        hist.train_acc.append(tr_acc.cpu())
        if x_test is not None and y_test is not None:
            # Test inputs are shared unless they come one set per member, as training's do.
            test_shared = shared_x or x_test.dim() < x_train.dim()
            te_loss, te_acc = pop.evaluate(x_test, y_test, shared_x=test_shared)
            hist.test_loss.append(te_loss.cpu())
            hist.test_acc.append(te_acc.cpu())
        if fit_threshold is not None:
            if hist.steps_to_fit is None:
                hist.steps_to_fit = torch.full((m,), -1, dtype=torch.int64)
            newly = (hist.steps_to_fit < 0) & (hist.train_acc[-1] >= fit_threshold)
            hist.steps_to_fit[newly] = state.step
        return {k: v[-1] for k, v in _series(hist).items() if v}

    def all_fitted(state: TrainState) -> bool:
        fit = state.history.steps_to_fit
        return fit is not None and bool((fit >= 0).all())

    train_loop(
        state,
        sgd_step,
        steps=steps,
        batches=PopulationBatches(n, batch_size, generators, device),
        ctx=ctx,
        evaluate=evaluate,
        eval_every=eval_every,
        stop=all_fitted if stop_at_fit else None,
        log=log,
        description=description,
    )
    return state.history


def _series(hist: PopulationHistory) -> dict[str, list[torch.Tensor]]:
    return {
        "train_loss": hist.train_loss,
        "train_acc": hist.train_acc,
        "test_loss": hist.test_loss,
        "test_acc": hist.test_acc,
    }
