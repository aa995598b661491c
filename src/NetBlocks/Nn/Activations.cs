using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>torch.nn.ReLU.</summary>
public sealed class ReLU : Module
{
    protected override Tensor ForwardImpl(Tensor x) => F.Relu(x);

    /// <summary>ReLU of an intermediate the caller hands over: in place when nothing else holds it (see F.ReluConsuming).</summary>
    internal Tensor ForwardConsuming(Tensor x) => F.ReluConsuming(x);
}

/// <summary>torch.nn.Sigmoid.</summary>
public sealed class Sigmoid : Module
{
    protected override Tensor ForwardImpl(Tensor x) => F.Sigmoid(x);
}

/// <summary>torch.nn.Identity.</summary>
public sealed class Identity : Module
{
    protected override Tensor ForwardImpl(Tensor x) => x;
}
