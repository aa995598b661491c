using NetBlocks.Autograd;
using NetBlocks.Tensors;
using static NetBlocks.Kernels.Broadcasting;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>z = x + y with broadcasting (e.g. (N, C, H, W) + (1, C, 1, 1)).</summary>
    public static Tensor Add(Tensor x, Tensor y) => Binary(BinaryOp.Add, x, y);

    /// <summary>z = x − y with broadcasting.</summary>
    public static Tensor Sub(Tensor x, Tensor y) => Binary(BinaryOp.Subtract, x, y);

    /// <summary>z = x · y with broadcasting (e.g. squeeze-excitation's (N, C, H, W) · (N, C, 1, 1)).</summary>
    public static Tensor Mul(Tensor x, Tensor y) => Binary(BinaryOp.Multiply, x, y);

    /// <summary>z = x / y with broadcasting.</summary>
    public static Tensor Div(Tensor x, Tensor y) => Binary(BinaryOp.Divide, x, y);

    /// <summary>Products and quotients read their operands in backward; sums and differences do not.</summary>
    private static Tensor Reads(BinaryOp op, Tensor t) => op is BinaryOp.Multiply or BinaryOp.Divide ? t.KeepForBackward() : t;

    private static Tensor Binary(BinaryOp op, Tensor x, Tensor y)
    {
        using var profile = OpProfiler.Scope("Binary");
        var shape = ShapeUtil.Broadcast(x.Shape, y.Shape);
        if (AnyMeta(x, y)) return Tensor.Meta(shape);
        SameDevice(op.ToString().ToLowerInvariant(), x, y);
        var z = Tensor.Empty(x.Device, shape);
        x.Backend.Binary(op, x, y, z);
        return Node.ShouldRecord(x, y) ? new BinaryBackward(op, Reads(op, x), Reads(op, y)).Attach(z) : z;
    }

    /// <summary>
    /// z = x ∘ y. dx = reduce(dz · ∂z/∂x), dy = reduce(dz · ∂z/∂y), where reduce sums over broadcast dimensions:
    /// add: (1, 1); sub: (1, −1); mul: (y, x); div: (1/y, −x/y²).
    /// </summary>
    private sealed class BinaryBackward(BinaryOp op, Tensor x, Tensor y) : Node(x, y)
    {
        public override string Name => op switch { BinaryOp.Add => "AddBackward0", BinaryOp.Subtract => "SubBackward0", BinaryOp.Multiply => "MulBackward0", _ => "DivBackward0" };

        protected internal override void Backward(Tensor dz)
        {
            using var profile = OpProfiler.Scope("BinaryBackward");
            var outShape = dz.ShapeArray;
            if (NeedsGrad(0))
            {
                Tensor local = op switch
                {
                    BinaryOp.Multiply => Compute(BinaryOp.Multiply, dz, y, outShape),
                    BinaryOp.Divide => Compute(BinaryOp.Divide, dz, y, outShape),
                    _ => dz,
                };
                Accumulate(0, ReduceTo(local, x.ShapeArray, release: !ReferenceEquals(local, dz)));
            }
            if (NeedsGrad(1))
            {
                Tensor local;
                switch (op)
                {
                    case BinaryOp.Add: local = dz; break;
                    case BinaryOp.Subtract:
                        local = Tensor.Empty(dz.Device, outShape);
                        dz.Backend.Affine(dz, -1f, 0f, local);
                        break;
                    case BinaryOp.Multiply: local = Compute(BinaryOp.Multiply, dz, x, outShape); break;
                    default:
                        // −dz · x / y²  =  −(dz · z) / y  with z = x / y
                        var xy = Compute(BinaryOp.Divide, x, y, outShape);
                        local = Compute(BinaryOp.Multiply, dz, xy, outShape);
                        xy.Release();
                        var t = Compute(BinaryOp.Divide, local, y, outShape);
                        local.Release();
                        t.Backend.Affine(t, -1f, 0f, t);
                        local = t;
                        break;
                }
                Accumulate(1, ReduceTo(local, y.ShapeArray, release: !ReferenceEquals(local, dz)));
            }
        }

        private static Tensor Compute(BinaryOp op, Tensor a, Tensor b, int[] outShape)
        {
            var r = Tensor.Empty(a.Device, outShape);
            a.Backend.Binary(op, a, b, r);
            return r;
        }

        private static Tensor ReduceTo(Tensor g, int[] shape, bool release)
        {
            var r = Tensor.Empty(g.Device, shape);
            g.Backend.ReduceTo(g, r);
            if (release) g.Release();
            return r;
        }
    }
}
