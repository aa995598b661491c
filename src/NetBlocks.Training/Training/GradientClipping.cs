using NetBlocks.Tensors;

namespace NetBlocks.Training;

/// <summary>d2l's clip_gradients: if the global L2 norm of all gradients exceeds <c>maxNorm</c>, scale them all by maxNorm / norm.</summary>
public static class GradientClipping
{
    /// <summary>Returns the norm before clipping.</summary>
    public static double ClipGlobalNorm(IEnumerable<Tensor> parameters, float maxNorm)
    {
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        double sq = 0;
        foreach (var g in grads) sq = g.Backend.SumOfSquares(g, sq);
        double norm = Math.Sqrt(sq);
        if (maxNorm > 0 && norm > maxNorm)
        {
            float scale = (float)(maxNorm / norm);
            foreach (var g in grads) g.Backend.Affine(g, scale, 0f, g);
        }
        return norm;
    }
}
