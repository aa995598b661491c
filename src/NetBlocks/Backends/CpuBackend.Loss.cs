using NetBlocks.Tensors;
using Kernel = NetBlocks.Kernels.Softmax;

namespace NetBlocks.Backends;

public sealed partial class CpuBackend
{
    public void LogSoftmax(Tensor x, Tensor y) => Kernel.LogSoftmax(F32(x), F32(y), x.Size(0), x.Size(1));

    public void LogSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) => Kernel.LogSoftmaxBackward(F32(y), F32(dy), F32(dx), y.Size(0), y.Size(1));

    public void CrossEntropy(Tensor logits, Tensor labels, Tensor logp, Tensor loss)
    {
        int n = logits.Size(0), k = logits.Size(1);
        var ls = I32(labels);
        Kernel.CheckLabels(ls[..n], k);
        Kernel.LogSoftmax(F32(logits), F32(logp), n, k);
        var lp = logp.Span;
        double total = 0;
        for (int i = 0; i < n; i++) total -= lp[i * k + ls[i]];
        F32(loss)[0] = (float)(total / n);
    }

    public void CrossEntropyBackward(Tensor logp, Tensor labels, Tensor dloss, Tensor dx)
    {
        int n = logp.Size(0), k = logp.Size(1);
        float scale = F32(dloss)[0] / n;
        var d = F32(dx); var lp = F32(logp); var ls = I32(labels);
        for (int i = 0; i < n * k; i++) d[i] = MathF.Exp(lp[i]) * scale;
        for (int i = 0; i < n; i++) d[i * k + ls[i]] -= scale;
    }
}
