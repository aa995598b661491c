using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Backends;

public sealed partial class CpuBackend
{
    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, bool firstStep, Tensor scratch,
        float learningRate, float momentum, float weightDecay, bool nesterov)
    {
        var w = F32(param);
        var d = F32(scratch).Slice(0, param.Numel);
        F32(grad).CopyTo(d);
        if (weightDecay != 0) Elementwise.AddScaled(d, weightDecay, w);
        if (momentum != 0)
        {
            var buf = F32(momentumBuffer ?? throw new ArgumentException("SgdStep: momentum needs a momentum buffer"));
            if (firstStep) d.CopyTo(buf);
            else
            {
                Elementwise.Affine(buf, momentum, 0f, buf);
                Elementwise.AddInPlace(buf, d);
            }
            if (nesterov) Elementwise.AddScaled(d, momentum, buf);
            else buf.CopyTo(d);
        }
        Elementwise.AddScaled(w, -learningRate, d);
    }
}
