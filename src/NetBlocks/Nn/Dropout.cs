using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>torch.nn.Dropout: inverted dropout in training, identity in eval.</summary>
public sealed class Dropout : Module
{
    public float P { get; }

    public Dropout(float p = 0.5f)
    {
        if (p < 0 || p > 1) throw new ArgumentException($"dropout probability has to be between 0 and 1, but got {p}");
        P = p;
    }

    protected override Tensor ForwardImpl(Tensor x) => F.Dropout(x, P, Training);
    protected override string ExtraRepr() => $"p={P.ToString("0.0###", System.Globalization.CultureInfo.InvariantCulture)}, inplace=False";
}

/// <summary>torch.nn.Flatten: merges dimensions start..end (default 1..−1, keeping the batch).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    public int StartDim { get; } = startDim;
    public int EndDim { get; } = endDim;

    protected override Tensor ForwardImpl(Tensor x) => F.Flatten(x, StartDim, EndDim);

    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
