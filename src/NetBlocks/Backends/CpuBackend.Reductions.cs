using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Backends;

public sealed partial class CpuBackend
{
    public void Sum(Tensor x, int dim, bool mean, Tensor y)
    {
        var xs = F32(x); var ys = F32(y);
        if (dim < 0 || x.Rank == 0)
        {
            double total = Elementwise.Sum(xs);
            ys[0] = (float)(mean ? total / Math.Max(1, x.Numel) : total);
            return;
        }
        var (outer, size, inner) = Split(x.ShapeArray, dim);
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            double s = 0;
            for (int k = 0; k < size; k++) s += xs[(o * size + k) * inner + i];
            ys[o * inner + i] = (float)(mean ? s / size : s);
        }
    }

    public void SumBackward(Tensor dy, int dim, bool mean, Tensor dx)
    {
        var dxs = F32(dx); var dys = F32(dy);
        if (dim < 0 || dx.Rank == 0)
        {
            dxs.Fill(mean ? dys[0] / Math.Max(1, dxs.Length) : dys[0]);
            return;
        }
        var (outer, size, inner) = Split(dx.ShapeArray, dim);
        float scale = mean ? 1f / size : 1f;
        for (int o = 0; o < outer; o++)
        for (int k = 0; k < size; k++)
        for (int i = 0; i < inner; i++) dxs[(o * size + k) * inner + i] = dys[o * inner + i] * scale;
    }

    public void MaxAlong(Tensor x, int dim, Tensor? values, Tensor indices)
    {
        var xs = F32(x); var arg = I32(indices); var vs = F32OrEmpty(values);
        var (outer, size, inner) = Split(x.ShapeArray, dim);
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            int best = 0; float bv = xs[o * size * inner + i];
            for (int k = 1; k < size; k++)
            {
                float v = xs[(o * size + k) * inner + i];
                if (v > bv) { bv = v; best = k; }
            }
            arg[o * inner + i] = best;
            if (!vs.IsEmpty) vs[o * inner + i] = bv;
        }
    }

    public void MaxAlongBackward(Tensor dy, Tensor indices, int dim, Tensor dx)
    {
        var dxs = F32(dx); var dys = F32(dy); var arg = I32(indices);
        dxs.Clear();
        var (outer, size, inner) = Split(dx.ShapeArray, dim);
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++) dxs[(o * size + arg[o * inner + i]) * inner + i] = dys[o * inner + i];
    }

    public double SumOfSquares(Tensor x, double total)
    {
        foreach (var v in F32(x)) total += (double)v * v;
        return total;
    }

    /// <summary>A shape seen as (outer, size, inner) around dimension d.</summary>
    private static (int outer, int size, int inner) Split(int[] shape, int d)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[d], inner);
    }
}
