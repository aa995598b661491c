using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>
/// Steps that run one after another inside a forward, each consuming the previous one's output: what nn.Sequential
/// does, for a container's children and for the branches of a block that are not modules of their own (a ResNeXt
/// block's body and shortcut). Every intermediate goes back to the pool as soon as the next step has consumed it,
/// unless backward reads it (<see cref="Module.Done"/>); the pipeline's input is never freed, it belongs to the caller.
/// <para>
/// The fusion plan is written here, once, when the pipeline is made: a <see cref="BatchNorm2d"/> followed by a ReLU is
/// one step (<see cref="BatchNorm2d.ForwardRelu"/>: the same values and gradients, one pass less over the activations
/// each way), and a <see cref="ReLU"/> module of an intermediate runs in place when nothing else holds it
/// (<see cref="ReLU.ForwardConsuming"/>). A meta forward (a shape pass) runs every module's own
/// <see cref="Module.Forward"/> instead, so an observer of forwards sees each module the model declares.
/// </para>
/// <para>
/// A <see cref="Conv2d"/> step directly followed by a batch-norm step (alone or fused with its ReLU) is a pair an
/// <see cref="InferencePlan"/> may fold, and one directly followed by a ReLU step a pair whose ReLU it may run in the
/// convolution's store: while a plan that prepared that convolution so is in force, the two steps run as its
/// <see cref="PreparedConvolution"/> (the folded weights, the ReLU in the store); otherwise, as always, step by step.
/// </para>
/// </summary>
public sealed class Pipeline
{
    private readonly List<Step> _steps = new();
    /// <summary>Aligned with the steps: the conv + batch norm (+ ReLU) or conv + ReLU pair starting at that step, or null.</summary>
    private readonly List<FusablePair?> _pairs = new();

    /// <summary>A convolution step and the next: its batch norm (null: none) and whether a ReLU follows (the bn's, or the step itself).</summary>
    private sealed record FusablePair(Conv2d Conv, BatchNorm2d? Bn, bool Relu);

    /// <summary>The steps' names, in order ("conv1", "bn1+relu", "relu()"…): the plan as a reader or a test sees it.</summary>
    public IReadOnlyList<string> Plan => _steps.Select(s => s.Name).ToList();

    /// <summary>
    /// The plan for modules run in order, as nn.Sequential: each BatchNorm2d directly followed by a ReLU fuses with it,
    /// each other ReLU runs in place on an intermediate, every other module runs its Forward.
    /// </summary>
    public static Pipeline Sequence(IReadOnlyList<Module> modules)
    {
        var p = new Pipeline();
        for (int i = 0; i < modules.Count; i++)
        {
            if (modules[i] is BatchNorm2d bn && i + 1 < modules.Count && modules[i + 1] is ReLU relu) { p.BatchNormRelu(bn, relu); i++; }
            else if (modules[i] is ReLU r) p.Add(new ReluStep(r));
            else p.Then(modules[i]);
        }
        return p;
    }

    /// <summary>Appends a module's forward; null (an optional layer that is absent) appends nothing.</summary>
    public Pipeline Then(Module? module)
    {
        if (module is not null) Add(new ModuleStep(module));
        return this;
    }

    /// <summary>Appends a functional step (F.Relu, F.Sigmoid, a flatten) that is not a module of the model.</summary>
    public Pipeline Then(string name, Func<Tensor, Tensor> op)
    {
        Add(new FunctionStep(name, op));
        return this;
    }

    /// <summary>
    /// Appends relu(bn(h)) as one fused step. <paramref name="relu"/> is the model's ReLU module when it declares one
    /// (a meta forward then runs it, for observers), null where the source applies the function (d2l's F.relu).
    /// </summary>
    public Pipeline BatchNormRelu(BatchNorm2d bn, ReLU? relu = null)
    {
        Add(new BatchNormReluStep(bn, relu));
        return this;
    }

    /// <summary>
    /// Appends a step; a batch norm right after a convolution marks the pair an inference plan may fold, a ReLU right
    /// after one the pair whose ReLU it may run in the convolution's store.
    /// </summary>
    private void Add(Step step)
    {
        _steps.Add(step);
        _pairs.Add(null);
        int n = _steps.Count;
        if (n >= 2 && _steps[n - 2] is ModuleStep { Module: Conv2d conv })
        {
            if (step is ModuleStep { Module: BatchNorm2d bn }) _pairs[n - 2] = new FusablePair(conv, bn, Relu: false);
            else if (step is BatchNormReluStep fused) _pairs[n - 2] = new FusablePair(conv, fused.BatchNorm, Relu: true);
            else if (step is ReluStep) _pairs[n - 2] = new FusablePair(conv, null, Relu: true);
        }
    }

    /// <summary>Runs the steps on <paramref name="x"/> (which stays the caller's); no steps give back x itself.</summary>
    public Tensor Run(Tensor x)
    {
        var h = x;
        for (int i = 0; i < _steps.Count; i++)
        {
            bool owned = !ReferenceEquals(h, x);
            var pair = _pairs[i];
            Tensor next;
            if (pair is not null && h.IsMeta) InferencePlan.Trace(pair.Conv, pair.Bn, pair.Relu);
            if (pair is not null && !h.IsMeta && InferencePlan.Current?.Find(pair.Conv, pair.Bn) is { } prepared)
            {
                next = prepared.Forward(h, pair.Relu);
                i++; // the batch-norm or ReLU step ran inside the prepared convolution
            }
            else next = h.IsMeta ? _steps[i].RunEach(h) : _steps[i].Run(h, owned);
            if (owned && !ReferenceEquals(next, h)) Module.Done(h);
            h = next;
        }
        return h;
    }

    private abstract class Step
    {
        public abstract string Name { get; }

        /// <summary>The step on real tensors; <paramref name="owned"/>: h is an intermediate of this pipeline, nobody else's.</summary>
        public abstract Tensor Run(Tensor h, bool owned);

        /// <summary>The step on a meta tensor, unfused: each module through its own Forward.</summary>
        public virtual Tensor RunEach(Tensor h) => Run(h, owned: false);
    }

    private sealed class ModuleStep(Module module) : Step
    {
        public Module Module => module;
        public override string Name => module.Label;
        public override Tensor Run(Tensor h, bool owned) => module.Forward(h);
    }

    private sealed class ReluStep(ReLU relu) : Step
    {
        public override string Name => relu.Label + " (in place)";
        public override Tensor Run(Tensor h, bool owned) => owned ? relu.ForwardConsuming(h) : relu.Forward(h);
        public override Tensor RunEach(Tensor h) => relu.Forward(h);
    }

    private sealed class BatchNormReluStep(BatchNorm2d bn, ReLU? relu) : Step
    {
        public BatchNorm2d BatchNorm => bn;
        public override string Name => relu is null ? bn.Label + "+relu()" : bn.Label + "+" + relu.Label;
        public override Tensor Run(Tensor h, bool owned) => bn.ForwardRelu(h);

        public override Tensor RunEach(Tensor h)
        {
            var y = bn.Forward(h);
            return relu is null ? F.Relu(y) : relu.Forward(y);
        }
    }

    private sealed class FunctionStep(string name, Func<Tensor, Tensor> op) : Step
    {
        public override string Name => name + "()";
        public override Tensor Run(Tensor h, bool owned) => op(h);
    }
}
