using NetBlocks.Functional;

namespace NetBlocks.Tensors;

/// <summary>Operators and method forms of the differentiable ops in <see cref="F"/>, for readable model code.</summary>
public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => F.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => F.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => F.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => F.Div(a, b);
    public static Tensor operator +(Tensor a, float s) => F.Affine(a, 1f, s);
    public static Tensor operator -(Tensor a, float s) => F.Affine(a, 1f, -s);
    public static Tensor operator *(Tensor a, float s) => F.Affine(a, s, 0f);
    public static Tensor operator *(float s, Tensor a) => F.Affine(a, s, 0f);
    public static Tensor operator /(Tensor a, float s) => F.Affine(a, 1f / s, 0f);
    public static Tensor operator -(Tensor a) => F.Affine(a, -1f, 0f);

    public Tensor Reshape(params int[] shape) => F.Reshape(this, shape);
    public Tensor View(params int[] shape) => F.Reshape(this, shape);
    public Tensor Flatten(int startDim = 0, int endDim = -1) => F.Flatten(this, startDim, endDim);
    public Tensor T() => F.Transpose(this);
    public Tensor MatMul(Tensor other) => F.MatMul(this, other);
    public Tensor Relu() => F.Relu(this);
    public Tensor Sigmoid() => F.Sigmoid(this);
    public Tensor Sum() => F.Sum(this);
    public Tensor Sum(int dim, bool keepDim = false) => F.Sum(this, dim, keepDim);
    public Tensor Mean() => F.Mean(this);
    public Tensor Mean(int dim, bool keepDim = false) => F.Mean(this, dim, keepDim);
    public Tensor Max(int dim, bool keepDim = false) => F.Max(this, dim, keepDim);
    public Tensor ArgMax(int dim = -1) => F.ArgMax(this, dim);
}
