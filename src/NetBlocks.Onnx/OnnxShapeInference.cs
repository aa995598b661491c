using NetBlocks.Onnx.Protobuf;

namespace NetBlocks.Onnx;

/// <summary>One dimension of an inferred shape: a size, or a named dynamic dimension (ONNX dim_param).</summary>
internal readonly record struct Dim(long Value, string? Param)
{
    public static Dim Of(long value) => new(value, null);
    public bool IsKnown => Param is null;
    public override string ToString() => Param ?? Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Output shapes of the operators NetBlocks exports (Conv, BatchNormalization, Relu, Sigmoid, Identity, MaxPool,
/// AveragePool, GlobalAveragePool, Flatten, Gemm, Add, Mul), from their inputs' shapes and their attributes, with the
/// checks ONNX's own shape inference makes. A node it cannot type is an error naming the node.
/// </summary>
internal static class OnnxShapeInference
{
    public const string KnownOperators = "Conv, BatchNormalization, Relu, Sigmoid, Identity, MaxPool, AveragePool, GlobalAveragePool, Flatten, Gemm, Add, Mul";

    public static Dim[] Infer(NodeProto node, IReadOnlyList<Dim[]?> inputs)
    {
        Dim[] In(int i) => i < inputs.Count && inputs[i] is { } s ? s : throw Fail(node, $"input {i} is missing");
        switch (node.OpType)
        {
            case "Relu" or "Sigmoid" or "Identity": return In(0);
            case "BatchNormalization":
            {
                var x = Rank(node, In(0), 4);
                for (int i = 1; i <= 4; i++) Expect(node, In(i), [x[1]], $"input {i}");
                return x;
            }
            case "Conv": return Conv(node, Rank(node, In(0), 4), Rank(node, In(1), 4), inputs.Count > 2 ? inputs[2] : null);
            case "MaxPool" or "AveragePool": return Pool(node, Rank(node, In(0), 4));
            case "GlobalAveragePool": { var x = Rank(node, In(0), 4); return [x[0], x[1], Dim.Of(1), Dim.Of(1)]; }
            case "Flatten": return Flatten(node, In(0));
            case "Gemm": return Gemm(node, Rank(node, In(0), 2), Rank(node, In(1), 2), inputs.Count > 2 ? inputs[2] : null);
            case "Add" or "Mul": return Broadcast(node, In(0), In(1));
            default: throw Fail(node, $"operator {node.OpType} is not one NetBlocks exports, so its shapes cannot be checked (known: {KnownOperators})");
        }
    }

    private static Dim[] Conv(NodeProto node, Dim[] x, Dim[] w, Dim[]? b)
    {
        long group = Attr(node, "group", 1);
        Known(node, w, "the weight");
        if (!x[1].IsKnown || x[1].Value != w[1].Value * group)
            throw Fail(node, $"input channels {x[1]} do not match weight {Format(w)} with group {group}");
        if (group < 1 || w[0].Value % group != 0) throw Fail(node, $"{w[0]} output channels are not divisible by group {group}");
        if (b is not null) Expect(node, b, [w[0]], "the bias");
        var kernel = Ints(node, "kernel_shape") ?? [w[2].Value, w[3].Value];
        if (kernel.Length != 2 || kernel[0] != w[2].Value || kernel[1] != w[3].Value)
            throw Fail(node, $"kernel_shape [{string.Join(", ", kernel)}] does not match weight {Format(w)}");
        return [x[0], w[0], .. Spatial(node, x, kernel, ceil: false)];
    }

    private static Dim[] Pool(NodeProto node, Dim[] x)
    {
        var kernel = Ints(node, "kernel_shape") ?? throw Fail(node, "kernel_shape is missing");
        if (kernel.Length != 2) throw Fail(node, $"kernel_shape has {kernel.Length} values, not 2");
        return [x[0], x[1], .. Spatial(node, x, kernel, ceil: Attr(node, "ceil_mode", 0) != 0)];
    }

    private static Dim[] Spatial(NodeProto node, Dim[] x, long[] kernel, bool ceil)
    {
        if (node.Attribute.Any(a => a.Name == "auto_pad" && a.S.ToStringUtf8() is not ("" or "NOTSET")))
            throw Fail(node, "auto_pad is not supported by this checker; NetBlocks writes explicit pads");
        var pads = Ints(node, "pads") ?? [0, 0, 0, 0];
        var strides = Ints(node, "strides") ?? [1, 1];
        var dilations = Ints(node, "dilations") ?? [1, 1];
        if (pads.Length != 4 || strides.Length != 2 || dilations.Length != 2 || strides.Any(s => s < 1) || dilations.Any(d => d < 1) || pads.Any(p => p < 0))
            throw Fail(node, "pads, strides or dilations are malformed");
        var output = new Dim[2];
        for (int i = 0; i < 2; i++)
        {
            if (!x[2 + i].IsKnown) throw Fail(node, $"spatial dimension {x[2 + i]} is dynamic; NetBlocks exports fixed image sizes");
            long span = x[2 + i].Value + pads[i] + pads[i + 2] - dilations[i] * (kernel[i] - 1) - 1;
            long size = (ceil ? (span + strides[i] - 1) / strides[i] : span / strides[i]) + 1;
            if (span < 0 || size < 1) throw Fail(node, $"the output collapses for input {Format(x)}");
            output[i] = Dim.Of(size);
        }
        return output;
    }

    private static Dim[] Flatten(NodeProto node, Dim[] x)
    {
        long axis = Attr(node, "axis", 1);
        if (axis < 0) axis += x.Length;
        if (axis < 0 || axis > x.Length) throw Fail(node, $"axis {Attr(node, "axis", 1)} is out of range for {Format(x)}");
        return [Product(node, x[..(int)axis]), Product(node, x[(int)axis..])];
    }

    private static Dim Product(NodeProto node, Dim[] dims)
    {
        if (dims.Length == 1) return dims[0];
        if (dims.Any(d => !d.IsKnown)) throw Fail(node, $"cannot multiply the dynamic dimensions of {Format(dims)}");
        return Dim.Of(dims.Aggregate(1L, (p, d) => p * d.Value));
    }

    private static Dim[] Gemm(NodeProto node, Dim[] a, Dim[] b, Dim[]? c)
    {
        if (Attr(node, "transA", 0) != 0) a = [a[1], a[0]];
        if (Attr(node, "transB", 0) != 0) b = [b[1], b[0]];
        if (!a[1].Equals(b[0])) throw Fail(node, $"inner dimensions differ: A {Format(a)}, B {Format(b)}");
        Dim[] y = [a[0], b[1]];
        if (c is not null && !Broadcast(node, y, c).SequenceEqual(y)) throw Fail(node, $"C {Format(c)} does not broadcast to {Format(y)}");
        return y;
    }

    private static Dim[] Broadcast(NodeProto node, Dim[] a, Dim[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var y = new Dim[rank];
        for (int i = 0; i < rank; i++)
        {
            Dim da = i < rank - a.Length ? Dim.Of(1) : a[i - (rank - a.Length)], db = i < rank - b.Length ? Dim.Of(1) : b[i - (rank - b.Length)];
            y[i] = da.Equals(db) || db == Dim.Of(1) ? da : da == Dim.Of(1) ? db
                : throw Fail(node, $"shapes {Format(a)} and {Format(b)} do not broadcast");
        }
        return y;
    }

    private static Dim[] Rank(NodeProto node, Dim[] s, int rank) =>
        s.Length == rank ? s : throw Fail(node, $"expected a rank-{rank} input, got {Format(s)}");

    private static void Known(NodeProto node, Dim[] s, string what)
    {
        if (s.Any(d => !d.IsKnown)) throw Fail(node, $"{what} {Format(s)} has dynamic dimensions");
    }

    private static void Expect(NodeProto node, Dim[] s, Dim[] expected, string what)
    {
        if (!s.SequenceEqual(expected)) throw Fail(node, $"{what} is {Format(s)}, expected {Format(expected)}");
    }

    private static long Attr(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    private static long[]? Ints(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : null;

    public static string Format(IEnumerable<Dim> s) => "[" + string.Join(", ", s) + "]";

    private static InvalidDataException Fail(NodeProto node, string why) =>
        new($"node '{node.Name}' ({node.OpType}): {why}");
}
