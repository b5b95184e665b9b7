"""The lab's models: shapes, what is trainable, and what each computes."""

from __future__ import annotations

import torch

from mltheory.lab.nn import MLP, DeepLinear, RandomFeatures, SmallCNN


def test_mlp_shapes_and_features():
    torch.manual_seed(0)
    model = MLP(40, [16, 8], 10)
    x = torch.randn(5, 40)
    assert model(x).shape == (5, 10)
    assert model.features(x).shape == (5, 8)
    assert (model.features(x) >= 0).all()  # ReLU features
    assert model.n_params() == 40 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10


def test_small_cnn_on_cifar_and_mnist_shapes():
    torch.manual_seed(0)
    assert SmallCNN(3, 10)(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert SmallCNN(1, 10, width=8, hidden=16)(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_random_features_train_only_the_readout():
    g = torch.Generator().manual_seed(0)
    model = RandomFeatures(6, 50, 1, generator=g)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["readout.weight"]
    x = torch.randn(7, 6)
    assert torch.equal(model(x), torch.zeros(7, 1))  # the readout starts at zero
    model.readout.weight.data.fill_(1.0)
    expected = torch.relu(x @ model.weight.T / 6**0.5).sum(1, keepdim=True)
    assert torch.allclose(model(x), expected)


def test_deep_linear_is_the_product_of_its_layers():
    g = torch.Generator().manual_seed(0)
    net = DeepLinear([4, 7, 3, 2], init_scale=0.5, generator=g)
    w1, w2, w3 = net.layers
    assert torch.allclose(net.product(), w3 @ w2 @ w1)
    x = torch.randn(5, 4)
    assert torch.allclose(net(x), x @ (w3 @ w2 @ w1).T)
