using ILGPU;
using ILGPU.Runtime;

namespace NetBlocks.Cuda;

/// <summary>
/// One SGD update of one parameter on the device, the order of operations of the engine's <c>Optim.Sgd</c> (PyTorch's,
/// dampening 0), a thread per element: d = g (+ wd·p); with momentum, b = d on the first step, else b = μ·b + 0 then
/// b += d, and d = d + μ·b (Nesterov) or d = b; finally p += −lr·d. The gradient is read, not changed.
/// </summary>
public sealed class CudaSgd
{
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, SgdArgs> _kernel;

    internal CudaSgd(CudaContext context)
        => _kernel = context.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, SgdArgs>(Kernel);

    /// <summary>
    /// Updates <paramref name="parameter"/> from <paramref name="gradient"/>; <paramref name="momentumBuffer"/> (may be
    /// empty when momentum is 0) is set from d on the <paramref name="firstStep"/>, else updated.
    /// </summary>
    public void Step(ArrayView<float> parameter, ArrayView<float> gradient, ArrayView<float> momentumBuffer, float lr, float momentum,
        float weightDecay, bool nesterov, bool firstStep)
    {
        const string op = "cuda sgd step";
        if (lr < 0) throw new ArgumentException($"{op}: invalid learning rate: {lr}");
        if (momentum < 0) throw new ArgumentException($"{op}: invalid momentum value: {momentum}");
        if (weightDecay < 0) throw new ArgumentException($"{op}: invalid weight_decay value: {weightDecay}");
        if (nesterov && momentum <= 0) throw new ArgumentException($"{op}: Nesterov momentum requires a momentum > 0");
        if (gradient.Length != parameter.Length)
            throw new ArgumentException($"{op}: a gradient of {gradient.Length} elements for a parameter of {parameter.Length}");
        if (momentum != 0 && momentumBuffer.Length != parameter.Length)
            throw new ArgumentException($"{op}: a momentum buffer of {momentumBuffer.Length} elements for a parameter of {parameter.Length}");
        if (parameter.Length > int.MaxValue) throw new ArgumentException($"{op}: {parameter.Length} elements exceed a kernel launch");
        var args = new SgdArgs
        {
            Lr = lr, Momentum = momentum, WeightDecay = weightDecay, Nesterov = nesterov ? 1 : 0, FirstStep = firstStep ? 1 : 0,
        };
        if (parameter.Length > 0) _kernel((int)parameter.Length, parameter, gradient, momentumBuffer.OrEmptyOf(parameter), args);
    }

    internal struct SgdArgs
    {
        public float Lr, Momentum, WeightDecay;
        public int Nesterov, FirstStep;
    }

    private static void Kernel(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> buffer, SgdArgs a)
    {
        float d = g[i];
        if (a.WeightDecay != 0) d += a.WeightDecay * p[i];
        if (a.Momentum != 0)
        {
            float b;
            if (a.FirstStep != 0) b = d;
            else
            {
                b = a.Momentum * buffer[i] + 0f;
                b += d;
            }
            buffer[i] = b;
            if (a.Nesterov != 0) d += a.Momentum * b;
            else d = b;
        }
        p[i] += -a.Lr * d;
    }
}
