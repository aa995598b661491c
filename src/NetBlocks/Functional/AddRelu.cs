using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>
    /// y = max(a + b, 0) for a and b of one shape (no broadcasting), in one pass into a fresh tensor: a residual sum
    /// and its ReLU as one op (ONNX Runtime's and PyTorch's fused add + relu). The same values and gradients as
    /// <c>Relu(Add(a, b))</c>, bit for bit.
    /// </summary>
    public static Tensor AddRelu(Tensor a, Tensor b)
    {
        using var profile = OpProfiler.Scope("AddRelu");
        CheckAddReluShapes(a, b);
        if (AnyMeta(a, b)) return Tensor.Meta(a.ShapeArray);
        SameDevice("add_relu", a, b);
        var y = Tensor.Empty(a.Device, a.ShapeArray);
        a.Backend.AddRelu(a, b, y);
        return Node.ShouldRecord(a, b) ? new AddReluBackward(a, b, y.KeepForBackward()).Attach(y) : y;
    }

    /// <summary>
    /// y = max(owned + other, 0) for an intermediate <paramref name="owned"/> that the caller hands over and does not use
    /// again (a residual block's branch): written over owned's buffer when nothing else holds or reads it
    /// (<see cref="Tensor.CanBeOverwritten"/>, as <see cref="ReluConsuming"/>; never when other is owned itself), else
    /// as <see cref="AddRelu"/>. One pass over memory and no new buffer, where <c>ReluConsuming(Add(owned, other))</c>
    /// allocates the sum and passes over it twice; the same values and gradients, bit for bit.
    /// </summary>
    public static Tensor AddReluConsuming(Tensor owned, Tensor other)
    {
        if (!owned.CanBeOverwritten || ReferenceEquals(owned, other)) return AddRelu(owned, other);
        using var profile = OpProfiler.Scope("AddRelu");
        CheckAddReluShapes(owned, other);
        if (other.IsMeta) return Tensor.Meta(owned.ShapeArray);
        SameDevice("add_relu", owned, other);
        owned.Backend.AddRelu(owned, other, owned);
        var y = owned.ViewAs(owned.ShapeArray);
        return Node.ShouldRecord(owned, other) ? new AddReluBackward(owned, other, y.KeepForBackward()).Attach(y) : y;
    }

    private static void CheckAddReluShapes(Tensor a, Tensor b)
    {
        if (!ShapeUtil.SameShape(a.Shape, b.Shape))
            throw new ArgumentException(
                $"add_relu: expected operands of one shape (no broadcasting), got {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}");
    }

    /// <summary>
    /// y = max(a + b, 0). da = db = dy where y &gt; 0, else 0: the mask is computed once (over dy when the engine's
    /// gradient buffer is not shared, as relu's backward) and both operands receive it, the second as a view of the
    /// same buffer (the engine sums into a fresh buffer rather than over a shared one, <see cref="Node"/>). Reads only
    /// y, so a and b may be freed early. The values relu's backward then add's backward give, bit for bit.
    /// </summary>
    private sealed class AddReluBackward(Tensor a, Tensor b, Tensor y) : Node(a, b)
    {
        public override string Name => "AddReluBackward0";

        protected internal override void Backward(Tensor dy)
        {
            using var profile = OpProfiler.Scope("AddReluBackward");
            var d = dy.CanBeOverwritten ? dy.ViewAs(dy.ShapeArray) : Tensor.Empty(dy.Device, dy.ShapeArray);
            dy.Backend.ReluBackward(y, dy, d);
            if (NeedsGrad(0) && NeedsGrad(1))
            {
                var shared = d.ViewAs(d.ShapeArray);
                Accumulate(0, d);
                Accumulate(1, shared);
            }
            else Accumulate(NeedsGrad(0) ? 0 : 1, d);
        }
    }
}
