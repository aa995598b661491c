using NetBlocks.Tensors;

namespace NetBlocks.Optim;

/// <summary>
/// Stochastic gradient descent exactly as torch.optim.SGD (dampening 0): for each parameter p with gradient g,
/// g ← g + wd·p; with momentum, b ← g on the first step, else b ← μ·b + g, and g ← g + μ·b (Nesterov) or g ← b;
/// finally p ← p − lr·g. Parameters without a gradient are skipped.
/// </summary>
public sealed class Sgd
{
    private readonly Tensor[] _params;
    private readonly Tensor?[] _momentum;
    private readonly Tensor _scratch;

    public float LearningRate { get; set; }
    public float Momentum { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }

    public Sgd(IEnumerable<Tensor> parameters, float lr, float momentum = 0f, float weightDecay = 0f, bool nesterov = false)
    {
        if (lr < 0) throw new ArgumentException($"invalid learning rate: {lr}");
        if (momentum < 0) throw new ArgumentException($"invalid momentum value: {momentum}");
        if (weightDecay < 0) throw new ArgumentException($"invalid weight_decay value: {weightDecay}");
        if (nesterov && momentum <= 0) throw new ArgumentException("Nesterov momentum requires a momentum > 0");
        _params = parameters.ToArray();
        _momentum = new Tensor?[_params.Length];
        // on the parameters' device (the backend's SGD step refuses a scratch elsewhere); a meta model's is the CPU's, as before
        var device = _params.Length == 0 || _params[0].IsMeta ? Device.Cpu : _params[0].Device;
        _scratch = Tensor.ZerosPersistent(device, _params.Length == 0 ? 0 : _params.Max(p => p.Numel));
        LearningRate = lr; Momentum = momentum; WeightDecay = weightDecay; Nesterov = nesterov;
    }

    public IReadOnlyList<Tensor> Parameters => _params;

    /// <summary>The momentum buffer of parameter <paramref name="index"/> (null before its first step or without momentum).</summary>
    public Tensor? MomentumBuffer(int index) => _momentum[index];

    /// <summary>Restores a momentum buffer (checkpoint resume).</summary>
    public void SetMomentumBuffer(int index, float[] values)
    {
        if (values.Length != _params[index].Numel)
            throw new ArgumentException($"momentum buffer {index} has {values.Length} values, the parameter has {_params[index].Numel}");
        _momentum[index] ??= Tensor.ZerosPersistent(_params[index].Device, _params[index].ShapeArray);
        _momentum[index]!.CopyFrom(values);
    }

    public void ZeroGrad()
    {
        foreach (var p in _params)
            if (p.Grad is { } g) g.Backend.Fill(g, 0f);
    }

    public void Step()
    {
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            if (p.Grad is null) continue;
            bool firstStep = Momentum != 0 && _momentum[i] is null;
            if (firstStep) _momentum[i] = Tensor.ZerosPersistent(p.Device, p.ShapeArray);
            p.Backend.SgdStep(p, p.Grad, _momentum[i], firstStep, _scratch, LearningRate, Momentum, WeightDecay, Nesterov);
        }
    }
}
