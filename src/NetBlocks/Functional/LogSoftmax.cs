using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>log-softmax over the last dimension of x (N, K): y = x − logΣexp(x), computed stably.</summary>
    public static Tensor LogSoftmax(Tensor x)
    {
        if (x.Rank != 2) throw new ArgumentException($"log_softmax: expected (N, K), got {ShapeUtil.Format(x.Shape)}");
        if (AnyMeta(x)) return Tensor.Meta(x.ShapeArray);
        var y = Tensor.Empty(x.Device, x.ShapeArray);
        x.Backend.LogSoftmax(x, y);
        return Node.ShouldRecord(x) ? new LogSoftmaxBackward(x, y.KeepForBackward()).Attach(y) : y;
    }

    /// <summary>y = log softmax(x). dx = dy − exp(y)·Σ dy (per row).</summary>
    private sealed class LogSoftmaxBackward(Tensor x, Tensor y) : Node(x)
    {
        public override string Name => "LogSoftmaxBackward0";

        protected internal override void Backward(Tensor dy)
        {
            var dx = Tensor.Empty(dy.Device, dy.ShapeArray);
            dy.Backend.LogSoftmaxBackward(y, dy, dx);
            Accumulate(0, dx);
        }
    }
}
