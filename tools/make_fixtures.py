#!/usr/bin/env python3
"""Generate the PyTorch reference fixtures for the NetBlocks tests.

Usage:
    /usr/bin/python3 tools/make_fixtures.py            # (re)write every fixture
    /usr/bin/python3 tools/make_fixtures.py conv2d_k3_s1_p1 relu   # only these cases
    /usr/bin/python3 tools/make_fixtures.py --list     # list the cases
    /usr/bin/python3 tools/make_fixtures.py --check FILE  # print a safetensors file

Writes tests/NetBlocks.Tests/Fixtures/ops/<case>.safetensors. See tools/README.md for the
naming convention. Needs only torch (no `safetensors` package): files are written by
tools/safetensors_io.py, and every file is read back and compared after writing.
"""

import os
import sys

import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402

warnings.filterwarnings("ignore", message="Lazy modules are a new feature")

REPO = os.path.dirname(HERE)
FIXTURES = os.path.join(REPO, "tests", "NetBlocks.Tests", "Fixtures")

CASES = {}


def case(name):
    def deco(fn):
        CASES[name] = fn
        return fn
    return deco


def s(v):
    """Metadata values are strings: ints as ints, bools as 0/1, floats via repr."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def meta_of(op, **kwargs):
    m = {"op": op}
    m.update({k: s(v) for k, v in kwargs.items()})
    return m


def run(meta, inputs, forward, module=None, grad_output=None, extra=None):
    """Run forward + backward and collect the tensors of one case.

    inputs: dict name -> tensor; float tensors become leaves requiring grad.
    forward: callable(*inputs) -> output tensor.
    module: optional nn.Module whose state_dict is stored as param.<key> (before forward),
            whose parameter grads become grad.param.<key>, and, when training changed its
            buffers, after.<key>.
    grad_output: upstream gradient; random with the output's shape when None.
    """
    inputs = {k: (v.clone().requires_grad_() if v.is_floating_point() else v.clone())
              for k, v in inputs.items()}
    before = {}
    if module is not None:
        before = {k: v.detach().clone() for k, v in module.state_dict().items()}
    out = forward(*inputs.values())
    if grad_output is None:
        grad_output = torch.randn_like(out)
    out.backward(grad_output)

    t = {}
    for k, v in inputs.items():
        t[k] = v.detach()
    for k, v in before.items():
        t["param." + k] = v
    t["output"] = out.detach()
    t["grad_output"] = grad_output.detach()
    for k, v in inputs.items():
        if v.requires_grad:
            t["grad." + k] = v.grad
    if module is not None:
        for k, p in module.named_parameters():
            if p.grad is not None:
                t["grad.param." + k] = p.grad
        # Training-mode forwards update buffers (batch norm running stats and
        # num_batches_tracked): record all of them after the forward.
        if module.training:
            for k, v in module.named_buffers():
                t["after." + k] = v.detach().clone()
    if extra:
        t.update(extra)
    return meta, t


def randomize_bn(bn):
    """Non-trivial affine parameters and running statistics, so tests see every term."""
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.normal_(0.0, 0.2)
        bn.running_mean.normal_(0.0, 0.1)
        bn.running_var.uniform_(0.5, 1.5)


# ----------------------------------------------------------------------------- convolution

def conv_case(cin, cout, k, stride, padding, groups, bias, shape):
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=bias)
    x = torch.randn(*shape)
    meta = meta_of("conv2d", in_channels=cin, out_channels=cout, kernel=k, stride=stride,
                   padding=padding, dilation=1, groups=groups, bias=bias)
    return run(meta, {"input": x}, conv, module=conv)


@case("conv2d_k3_s1_p1")
def _():
    return conv_case(3, 4, 3, 1, 1, 1, True, (2, 3, 7, 6))


@case("conv2d_k3_s2_p1_g2")
def _():
    return conv_case(4, 6, 3, 2, 1, 2, True, (2, 4, 8, 7))


@case("conv2d_k1_s1_p0")
def _():
    return conv_case(5, 3, 1, 1, 0, 1, True, (2, 5, 6, 6))


@case("conv2d_k5_s2_p2_nobias")
def _():
    return conv_case(3, 4, 5, 2, 2, 1, False, (2, 3, 9, 9))


@case("conv2d_grouped_depthwise")
def _():
    return conv_case(6, 6, 3, 1, 1, 6, True, (2, 6, 7, 7))


@case("conv2d_k11_s4_p0")
def _():
    # NiN's first layer (1 -> 96, k11, s4) shrunk; 21 is not 11 + 4n, so the last
    # two rows/columns are never covered (floor in the output size).
    return conv_case(1, 4, 11, 4, 0, 1, True, (2, 1, 21, 21))


# ----------------------------------------------------------------------------- linear

@case("linear")
def _():
    lin = nn.Linear(5, 3)
    return run(meta_of("linear", in_features=5, out_features=3, bias=True),
               {"input": torch.randn(4, 5)}, lin, module=lin)


@case("linear_nobias")
def _():
    lin = nn.Linear(5, 3, bias=False)
    return run(meta_of("linear", in_features=5, out_features=3, bias=False),
               {"input": torch.randn(4, 5)}, lin, module=lin)


# ----------------------------------------------------------------------------- activations

@case("relu")
def _():
    x = torch.randn(2, 3, 4, 4)
    x[0, 0, 0, 0] = 0.0  # PyTorch: relu'(0) = 0
    return run(meta_of("relu"), {"input": x}, F.relu)


@case("sigmoid")
def _():
    return run(meta_of("sigmoid"), {"input": torch.randn(2, 3, 4, 4) * 3}, torch.sigmoid)


# ----------------------------------------------------------------------------- pooling

def max_pool_case(k, stride, padding, x):
    meta = meta_of("max_pool2d", kernel=k, stride=stride, padding=padding, dilation=1,
                   ceil_mode=False)
    return run(meta, {"input": x},
               lambda i: F.max_pool2d(i, k, stride=stride, padding=padding))


@case("max_pool2d_k2_s2")
def _():
    return max_pool_case(2, 2, 0, torch.randn(2, 3, 6, 6))


@case("max_pool2d_k3_s2")
def _():
    return max_pool_case(3, 2, 0, torch.randn(2, 3, 9, 9))


@case("max_pool2d_k3_s2_p1")
def _():
    return max_pool_case(3, 2, 1, torch.randn(2, 3, 8, 8))


@case("max_pool2d_k3_s2_ties")
def _():
    # Small integers: many ties inside (overlapping) windows, as after a ReLU.
    # PyTorch CPU takes the FIRST maximum in row-major window order and routes the
    # gradient there; overlapping windows accumulate.
    x = torch.randint(-1, 2, (2, 3, 7, 7)).float()
    return max_pool_case(3, 2, 0, x)


def avg_pool_case(k, stride, padding, x):
    meta = meta_of("avg_pool2d", kernel=k, stride=stride, padding=padding, ceil_mode=False,
                   count_include_pad=True)
    return run(meta, {"input": x},
               lambda i: F.avg_pool2d(i, k, stride=stride, padding=padding))


@case("avg_pool2d_k2_s2")
def _():
    return avg_pool_case(2, 2, 0, torch.randn(2, 3, 6, 6))


@case("avg_pool2d_k3_s1_p1")
def _():
    # count_include_pad=True (default): border windows still divide by 9.
    return avg_pool_case(3, 1, 1, torch.randn(2, 3, 5, 5))


def adaptive_case(out_size, x):
    meta = meta_of("adaptive_avg_pool2d", output_h=out_size, output_w=out_size)
    return run(meta, {"input": x}, lambda i: F.adaptive_avg_pool2d(i, out_size))


@case("adaptive_avg_pool2d_1x1")
def _():
    return adaptive_case(1, torch.randn(2, 4, 5, 5))


@case("adaptive_avg_pool2d_3x3_from_7x7")
def _():
    return adaptive_case(3, torch.randn(2, 3, 7, 7))


@case("adaptive_avg_pool2d_3x3_from_5x5")
def _():
    # Non-divisible: windows [floor(i*5/3), ceil((i+1)*5/3)) = [0,2), [1,4), [3,5) overlap.
    return adaptive_case(3, torch.randn(2, 3, 5, 5))


# ----------------------------------------------------------------------------- batch norm

def bn_case(training):
    bn = nn.BatchNorm2d(4)
    randomize_bn(bn)
    bn.train(training)
    x = torch.randn(2, 4, 5, 5) * 2 + 0.5
    meta = meta_of("batch_norm2d", num_features=4, training=training, momentum=0.1, eps=1e-5)
    return run(meta, {"input": x}, bn, module=bn)


@case("batch_norm2d_train")
def _():
    return bn_case(True)


@case("batch_norm2d_eval")
def _():
    return bn_case(False)


# ----------------------------------------------------------------------------- losses etc.

@case("log_softmax")
def _():
    return run(meta_of("log_softmax", dim=1), {"input": torch.randn(4, 10) * 3},
               lambda i: F.log_softmax(i, dim=1))


@case("cross_entropy")
def _():
    logits = torch.randn(6, 10) * 2
    target = torch.randint(0, 10, (6,))
    grad_output = torch.rand(()) + 0.5  # scalar upstream gradient, not 1.0
    return run(meta_of("cross_entropy", reduction="mean"),
               {"input": logits, "target": target},
               lambda i, tgt: F.cross_entropy(i, tgt), grad_output=grad_output)


@case("add_broadcast_bias")
def _():
    return run(meta_of("add"),
               {"input": torch.randn(2, 3, 4, 4), "input2": torch.randn(1, 3, 1, 1)},
               lambda a, b: a + b)


@case("mul_broadcast")
def _():
    # SE-style channel scaling.
    return run(meta_of("mul"),
               {"input": torch.randn(2, 6, 4, 4), "input2": torch.rand(2, 6, 1, 1)},
               lambda a, b: a * b)


@case("flatten")
def _():
    return run(meta_of("flatten", start_dim=1, end_dim=-1), {"input": torch.randn(2, 3, 4, 4)},
               lambda i: torch.flatten(i, 1))


@case("dropout_eval")
def _():
    return run(meta_of("dropout", p=0.5, training=False), {"input": torch.randn(2, 3, 4, 4)},
               lambda i: F.dropout(i, p=0.5, training=False))


# ----------------------------------------------------------------------------- blocks

def vgg_block(num_convs, out_channels):
    # d2l's vgg_block with explicit in_channels (3) instead of LazyConv2d.
    layers = []
    cin = 3
    for _ in range(num_convs):
        layers.append(nn.Conv2d(cin, out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
        cin = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


@case("vgg_block")
def _():
    blk = vgg_block(2, 8)
    x = torch.randn(2, 3, 8, 8)
    return run(meta_of("vgg_block", num_convs=2, out_channels=8), {"input": x}, blk, module=blk)


from d2l_models import ResNeXtBlock  # noqa: E402  (exactly d2l's, chapter 8.6)


@case("resnext_block")
def _():
    blk = ResNeXtBlock(num_channels=16, groups=4, bot_mul=1, use_1x1conv=True, strides=2)
    x = torch.randn(2, 8, 8, 8)
    # Materialise the lazy modules in eval mode so the dummy forward leaves the
    # running statistics (and num_batches_tracked) untouched.
    blk.eval()
    with torch.no_grad():
        blk(torch.zeros(1, 8, 8, 8))
    for m in (blk.bn1, blk.bn2, blk.bn3, blk.bn4):
        randomize_bn(m)
    blk.train()
    meta = meta_of("resnext_block", num_channels=16, groups=4, bot_mul=1, use_1x1conv=True,
                   strides=2, training=True, momentum=0.1, eps=1e-5, bn_params="randomized")
    return run(meta, {"input": x}, blk, module=blk)


def tiny_net():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 10))


def sgd_case(lr, momentum, weight_decay, nesterov, steps=5):
    net = tiny_net()
    x = torch.randn(8, 1, 8, 8)
    y = torch.randint(0, 10, (8,))
    t = {"input": x, "target": y}
    for k, v in net.state_dict().items():
        t["param." + k] = v.detach().clone()
    t["output"] = net(x).detach()
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum,
                          weight_decay=weight_decay, nesterov=nesterov)
    for i in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        t[f"loss.{i}"] = loss.detach().clone()
        loss.backward()
        if i == 0:
            for k, p in net.named_parameters():
                t["grad.param." + k] = p.grad.detach().clone()
        opt.step()
    for k, v in net.state_dict().items():
        t["final." + k] = v.detach().clone()
    meta = meta_of("sgd_steps", model="Conv2d(1,4,3,p1),ReLU,MaxPool2d(2,2),Flatten,Linear(64,10)",
                   loss="cross_entropy_mean", steps=steps, lr=lr, momentum=momentum,
                   dampening=0.0, weight_decay=weight_decay, nesterov=nesterov)
    return meta, t


@case("sgd_steps")
def _():
    return sgd_case(0.1, 0.9, 1e-4, True)


@case("sgd_steps_plain")
def _():
    return sgd_case(0.05, 0.0, 0.0, False)


STATE_DICT_MODEL = ("Sequential(Sequential(Conv2d(1,4,3), BatchNorm2d(4), ReLU()), Flatten(), "
                    "Linear(64,10))")


def state_dict_net():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU()),
                        nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
    randomize_bn(net[0][1])
    # Three training-mode forwards: running stats move away from 0/1, num_batches_tracked = 3.
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(4, 1, 6, 6) * 1.5 + 0.3)
    net.eval()
    return net


@case("state_dict_torch")
def _():
    # A plain PyTorch state dict (exact keys, num_batches_tracked as int64), no prefixes.
    net = state_dict_net()
    t = {k: v.detach().clone() for k, v in net.state_dict().items()}
    return {"format": "pt", "model": STATE_DICT_MODEL}, t


@case("state_dict_torch_eval")
def _():
    # The model of state_dict_torch in eval mode: load that checkpoint, run `input`,
    # expect `output`.
    net = state_dict_net()
    x = torch.randn(2, 1, 6, 6)
    with torch.no_grad():
        out = net(x)
    return meta_of("state_dict_torch_eval", model=STATE_DICT_MODEL, checkpoint="ops/state_dict_torch",
                   training=False), {"input": x, "output": out}


# ----------------------------------------------------------------------------- driver

def generate(name):
    torch.manual_seed(0)
    meta, tensors = CASES[name]()
    meta = dict(meta)
    meta.setdefault("case", name)
    meta.setdefault("generator", "tools/make_fixtures.py")
    meta.setdefault("torch", torch.__version__)
    tensors = {k: v.detach().contiguous() for k, v in tensors.items()}
    for k, v in tensors.items():
        assert v.dtype in (torch.float32, torch.int64), (name, k, v.dtype)
    path = os.path.join(FIXTURES, "ops", name + ".safetensors")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    safetensors_io.save(path, tensors, meta)
    # Read back and compare: proves the writer and the reader agree.
    back, back_meta, _ = safetensors_io.load(path)
    assert back_meta == meta, (name, back_meta, meta)
    assert set(back) == set(tensors), name
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and torch.equal(back[k], v), (name, k)
    return path


def main(argv):
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    if argv[:1] == ["--list"]:
        print("\n".join(CASES))
        return 0
    if argv[:1] == ["--check"]:
        import check_safetensors
        return check_safetensors.main(argv[1:])
    names = argv or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"unknown case(s): {unknown}; use --list")
        return 2
    total = 0
    for name in names:
        path = generate(name)
        size = os.path.getsize(path)
        total += size
        print(f"{size:8d}  {os.path.relpath(path, REPO)}")
    print(f"{total:8d}  total ({len(names)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
