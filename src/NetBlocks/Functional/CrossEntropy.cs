using NetBlocks.Autograd;
using NetBlocks.Tensors;
using Kernel = NetBlocks.Kernels.Softmax;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>
    /// Mean cross-entropy of logits (N, K) against integer labels in [0, K): L = −(1/N) Σᵢ log softmax(xᵢ)[yᵢ],
    /// torch.nn.functional.cross_entropy with reduction='mean'. Fused log-softmax + NLL, numerically stable.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> labels)
    {
        using var profile = OpProfiler.Scope("CrossEntropy");
        if (logits.Rank != 2) throw new ArgumentException($"cross_entropy: expected logits (N, K), got {ShapeUtil.Format(logits.Shape)}");
        int n = logits.Size(0), k = logits.Size(1);
        if (labels.Length != n) throw new ArgumentException($"cross_entropy: {labels.Length} labels for a batch of {n} logits");
        if (n == 0) throw new ArgumentException("cross_entropy: empty batch");
        for (int i = 0; i < n; i++)
            if ((uint)labels[i] >= (uint)k)
                throw new ArgumentException($"cross_entropy: label {labels[i]} at index {i} is out of range: the logits have {k} classes, labels must be in [0, {k - 1}]");
        if (AnyMeta(logits)) return Tensor.Meta();
        var logp = Tensor.Empty(n, k);
        Kernel.LogSoftmax(logits.Span, logp.Span, n, k);
        var lp = logp.Span;
        double loss = 0;
        for (int i = 0; i < n; i++) loss -= lp[i * k + labels[i]];
        var y = Tensor.Scalar((float)(loss / n));
        if (Node.ShouldRecord(logits)) return new CrossEntropyBackward(logits, logp, labels.ToArray()).Attach(y);
        logp.Release();
        return y;
    }

    /// <summary>L = −mean log softmax(x)[y]. dx = dL · (softmax(x) − onehot(y)) / N.</summary>
    private sealed class CrossEntropyBackward(Tensor logits, Tensor logp, int[] labels) : Node(logits)
    {
        public override string Name => "NllLossBackward0";

        protected internal override void Backward(Tensor dl)
        {
            using var profile = OpProfiler.Scope("CrossEntropyBackward");
            int n = logits.Size(0), k = logits.Size(1);
            float scale = dl.Span[0] / n;
            var dx = Tensor.Empty(n, k);
            var d = dx.Span; var lp = logp.Span;
            for (int i = 0; i < n * k; i++) d[i] = MathF.Exp(lp[i]) * scale;
            for (int i = 0; i < n; i++) d[i * k + labels[i]] -= scale;
            Accumulate(0, dx);
        }

        protected internal override void ReleaseSaved() => logp.Release();
    }
}
