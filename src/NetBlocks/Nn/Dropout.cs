using NetBlocks.Functional;
using NetBlocks.Kernels;
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
    protected override int[] InferShape(int[] input) => input;
    protected override string ExtraRepr() => $"p={P.ToString("0.0###", System.Globalization.CultureInfo.InvariantCulture)}, inplace=False";
}

/// <summary>torch.nn.Flatten: merges dimensions start..end (default 1..−1, keeping the batch).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    public int StartDim { get; } = startDim;
    public int EndDim { get; } = endDim;

    protected override Tensor ForwardImpl(Tensor x) => F.Flatten(x, StartDim, EndDim);

    protected override int[] InferShape(int[] input)
    {
        int s = ShapeUtil.NormalizeDim(StartDim, input.Length), e = ShapeUtil.NormalizeDim(EndDim, input.Length);
        if (s > e) throw new ArgumentException($"flatten: start_dim {StartDim} comes after end_dim {EndDim}");
        var shape = new List<int>(input[..s]);
        shape.Add(Sizes.Elements(input.AsSpan(s, e - s + 1), "flattened dimensions"));
        shape.AddRange(input[(e + 1)..]);
        return [.. shape];
    }

    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
