using NetBlocks.Tensors;
using Kernel = NetBlocks.Kernels.BatchNorm;

namespace NetBlocks.Backends;

public sealed partial class CpuBackend
{
    public void BatchNormStatistics(Tensor x, float momentum, float eps, Tensor mean, Tensor invstd, Tensor? runningMean, Tensor? runningVar)
    {
        int n = x.Size(0), c = x.Size(1), s = x.Size(2) * x.Size(3);
        var ms = F32(mean); var istd = F32(invstd);
        var bm = new double[c]; var bv = new double[c];
        Kernel.Statistics(F32(x), n, c, s, bm, bv);
        double m = (double)n * s;
        for (int i = 0; i < c; i++)
        {
            ms[i] = (float)bm[i];
            istd[i] = (float)(1.0 / Math.Sqrt(bv[i] + eps));
        }
        if (runningMean is not null && runningVar is not null)
        {
            var rm = F32(runningMean); var rv = F32(runningVar);
            for (int i = 0; i < c; i++)
            {
                rm[i] = (float)((1 - momentum) * rm[i] + momentum * bm[i]);
                rv[i] = (float)((1 - momentum) * rv[i] + momentum * bv[i] * m / (m - 1));
            }
        }
    }

    public void BatchNormRunningStatistics(Tensor runningMean, Tensor runningVar, float eps, Tensor mean, Tensor invstd)
    {
        var rm = F32(runningMean); var rv = F32(runningVar);
        var ms = F32(mean); var istd = F32(invstd);
        for (int i = 0; i < ms.Length; i++)
        {
            ms[i] = rm[i];
            istd[i] = (float)(1.0 / Math.Sqrt(rv[i] + (double)eps));
        }
    }

    public void BatchNormNormalize(Tensor x, Tensor mean, Tensor invstd, Tensor? weight, Tensor? bias, Tensor y, bool relu)
    {
        int n = x.Size(0), c = x.Size(1), s = x.Size(2) * x.Size(3);
        Kernel.Normalize(F32(x), n, c, s, F32(mean), F32(invstd), F32OrEmpty(weight), F32OrEmpty(bias), F32(y), relu);
    }

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor? reluOutput, Tensor mean, Tensor invstd, Tensor? weight, bool training,
        Tensor? dx, Tensor? dweight, Tensor? dbias)
    {
        int n = x.Size(0), c = x.Size(1), s = x.Size(2) * x.Size(3);
        var gamma = F32OrEmpty(weight);
        Span<float> dxs = F32OrEmpty(dx), dgs = F32OrEmpty(dweight), dbs = F32OrEmpty(dbias);
        if (reluOutput is null) Kernel.Backward(F32(x), F32(dy), n, c, s, F32(mean), F32(invstd), gamma, training, dxs, dgs, dbs);
        else Kernel.BackwardRelu(F32(x), F32(dy), F32(reluOutput), n, c, s, F32(mean), F32(invstd), gamma, training, dxs, dgs, dbs);
    }
}
