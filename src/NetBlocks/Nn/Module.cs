using System.Text;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>
/// A layer or a block of layers, as torch.nn.Module: named children, parameters and buffers, train/eval mode,
/// a PyTorch-compatible state dict and printout. Layers may be declared without input sizes (lazy, as torch's Lazy
/// modules): they materialise when their forward first sees an input, typically in <see cref="Build"/>, the shape pass,
/// which is an ordinary forward over a meta tensor (no elements, nothing computed).
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Module Module)> _children = new();
    private readonly List<string> _parameterNames = new();
    private readonly Dictionary<string, Tensor?> _parameters = new();
    private readonly List<string> _bufferNames = new();
    private readonly Dictionary<string, Tensor> _buffers = new();
    private Pipeline? _childPlan;

    /// <summary>Dotted path from the root model (e.g. "stage2.0.conv2"); empty for the root.</summary>
    public string Path { get; private set; } = "";

    /// <summary>True in training mode (dropout active, batch norm uses batch statistics).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>
    /// Counts the events after which this module's own parameters and buffers may hold other values than before: a
    /// parameter or buffer registered (a tensor replaced), a state dict loaded, training mode entered. What an
    /// <see cref="InferencePlan"/> compares with the count it saw to know that the weights it prepared are still these
    /// (an in-place write into a tensor by other means is not counted).
    /// </summary>
    public int StateVersion { get; private set; }

    /// <summary>The PyTorch class name shown in printouts and summaries (e.g. Conv2d).</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>
    /// Runs the module. Shape errors name this module's path, the expected and the actual shape. On a meta input the
    /// ops check shapes and compute nothing; the output's size is then checked in 64-bit arithmetic, so an output with
    /// more elements than a tensor holds is an error naming this module, never a count that wrapped around.
    /// </summary>
    public Tensor Forward(Tensor x)
    {
        Tensor y;
        try
        {
            y = ForwardImpl(x);
            if (y.IsMeta) Sizes.Elements(y.Shape, "output");
        }
        catch (ArgumentException e) when (e is not ShapeException) { throw Located(e); }
        ForwardObserver?.Invoke(this, x, y);
        return y;
    }

    /// <summary>An op's argument error as a shape error that names this module (its path, expected and actual shape).</summary>
    protected ShapeException Located(ArgumentException e) => new($"{Describe()}: {e.Message}", e);

    protected abstract Tensor ForwardImpl(Tensor x);

    /// <summary>
    /// next = f(h) inside a block's forward. Without a graph nobody else holds the intermediate h, so its buffer goes
    /// back to the pool as soon as it is consumed (with a graph, Backward() frees it).
    /// </summary>
    protected static Tensor Then(Tensor h, Func<Tensor, Tensor> f)
    {
        var next = f(h);
        if (!ReferenceEquals(next, h)) Done(h);
        return next;
    }

    /// <summary>
    /// Runs the children one after another, as nn.Sequential, through <see cref="ChildPlan"/>: each consumes the
    /// previous one's output, intermediates go back to the pool as soon as they are consumed, and a BatchNorm2d followed
    /// by a ReLU runs fused.
    /// </summary>
    protected Tensor ForwardChildrenInOrder(Tensor x) => ChildPlan.Run(x);

    /// <summary>The children as a <see cref="Pipeline"/> (with its fusion plan), made once and again only when a child is added.</summary>
    protected Pipeline ChildPlan => _childPlan ??= Pipeline.Sequence(_children.Select(c => c.Module).ToList());

    /// <summary>
    /// op(a, b) where a and b are this forward's intermediates (or its input <paramref name="x"/>): each is given back
    /// (<see cref="Done"/>) once op has read it, except x, which belongs to the caller. E.g. a residual sum
    /// <c>Combine(x, body.Run(x), shortcut.Run(x), F.Add)</c>.
    /// </summary>
    protected static Tensor Combine(Tensor x, Tensor a, Tensor b, Func<Tensor, Tensor, Tensor> op)
    {
        var y = op(a, b);
        if (!ReferenceEquals(a, x)) Done(a);
        if (!ReferenceEquals(b, x)) Done(b);
        return y;
    }

    /// <summary>
    /// Gives back an intermediate this module made and has finished with, when nothing else can need it: without a
    /// graph, always; with a graph, when it is the graph's own (not a leaf) and no backward function reads its values
    /// (e.g. a convolution's output consumed by ReLU, whose backward reads only its own output). Backward() would free
    /// it anyway; freeing it now keeps peak training memory at what backward really needs, as PyTorch does.
    /// </summary>
    public static void Done(Tensor t)
    {
        if (!Autograd.GradMode.IsEnabled || (t.GradFn is not null && t.BackwardReaders == 0)) t.Release();
    }

    /// <summary>
    /// The shape pass: the output shape for an input shape (batch dimension included), found by an ordinary
    /// <see cref="Forward"/> of a meta tensor without gradient recording. Lazy layers materialise on the way (with the
    /// same random draws a forward of real data would make); nothing is computed and no activation is allocated. Raises
    /// the errors Forward would. Sizes are checked in 64-bit arithmetic: an input or output with more elements than a
    /// tensor holds is a <see cref="ShapeException"/> naming the module and the size, never a count that wrapped around.
    /// </summary>
    public int[] Build(params int[] inputShape)
    {
        try { Sizes.Elements(inputShape, "input"); }
        catch (ArgumentException e) { throw new ShapeException($"{Describe()}: {e.Message}", e); }
        using var _ = Autograd.GradMode.NoGrad();
        return Forward(Tensor.Meta(inputShape)).ShapeArray;
    }

    /// <summary>
    /// Sees every successful <see cref="Forward"/> on this thread as (module, input, output), children before their
    /// parent. Set by Analysis.ShapeTrace around one meta forward, so analysis learns each layer's shapes without a
    /// method per layer type; null otherwise. (Fused steps of a <see cref="Pipeline"/> run module by module on meta
    /// tensors, so a shape pass shows every module.)
    /// </summary>
    public static Action<Module, Tensor, Tensor>? ForwardObserver
    {
        get => t_forwardObserver;
        set => t_forwardObserver = value;
    }

    [ThreadStatic] private static Action<Module, Tensor, Tensor>? t_forwardObserver;

    /// <summary>"path (Type)" or just the type for the root.</summary>
    public string Describe() => Path.Length == 0 ? TypeName : $"{Path} ({TypeName})";

    /// <summary>The module's path in its model ("stage1.block2.conv1"), or its type name at the root: a step's name in a plan.</summary>
    internal string Label => Path.Length == 0 ? TypeName : Path;

    // ------------------------------------------------------------------ registration

    protected T AddChild<T>(string name, T child) where T : Module
    {
        if (_children.Exists(c => c.Name == name)) throw new ArgumentException($"a child named '{name}' already exists in {Describe()}");
        _children.Add((name, child));
        _childPlan = null;
        child.SetPath(Path.Length == 0 ? name : $"{Path}.{name}");
        return child;
    }

    private void SetPath(string path)
    {
        Path = path;
        foreach (var (name, child) in _children) child.SetPath($"{path}.{name}");
    }

    /// <summary>Declares a parameter slot; null until a lazy layer is materialised.</summary>
    protected void RegisterParameter(string name, Tensor? value)
    {
        if (!_parameters.ContainsKey(name)) _parameterNames.Add(name);
        if (value is not null) value.RequiresGrad = true;
        _parameters[name] = value;
        StateVersion++;
    }

    protected void RegisterBuffer(string name, Tensor value)
    {
        if (!_buffers.ContainsKey(name)) _bufferNames.Add(name);
        _buffers[name] = value;
        StateVersion++;
    }

    protected Tensor? GetParameter(string name) => _parameters[name];

    /// <summary>
    /// A zeroed parameter or buffer tensor for this module, reserved against the thread's <see cref="ParameterBudget"/>
    /// before it is allocated; a meta tensor (nothing allocated, nothing reserved) while the thread's
    /// <see cref="ParameterDevice"/> is meta. Every layer materialises its state through here.
    /// </summary>
    protected Tensor NewState(params int[] shape)
    {
        if (ParameterDevice.Current.IsMeta) return Tensor.Meta(shape);
        ParameterBudget.Reserve(this, shape);
        return Tensor.ZerosPersistent(ParameterDevice.Current, shape);
    }

    public IReadOnlyList<(string Name, Module Module)> Children => _children;

    /// <summary>Every module below this one (depth first, this one excluded) with its path relative to this module.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        foreach (var (name, child) in _children)
        {
            var full = prefix.Length == 0 ? name : $"{prefix}.{name}";
            yield return (full, child);
            foreach (var sub in child.NamedModules(full)) yield return sub;
        }
    }

    /// <summary>Parameters with their state-dict names, in PyTorch order.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var name in _parameterNames)
            if (_parameters[name] is { } p) yield return (Join(prefix, name), p);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedParameters(Join(prefix, name))) yield return item;
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var name in _bufferNames) yield return (Join(prefix, name), _buffers[name]);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedBuffers(Join(prefix, name))) yield return item;
    }

    /// <summary>True once every parameter slot of every module has a tensor (lazy layers materialised).</summary>
    public bool IsMaterialized => _parameters.Values.All(p => p is not null) && _children.All(c => c.Module.IsMaterialized);

    /// <summary>Number of parameter elements (after materialisation).</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.Numel);

    // ------------------------------------------------------------------ modes

    /// <summary>Training mode on (or off) for this module and all below it.</summary>
    public Module Train(bool on = true)
    {
        Training = on;
        if (on) StateVersion++;
        foreach (var (_, child) in _children) child.Train(on);
        return this;
    }

    /// <summary>Evaluation mode: dropout off, batch norm uses running statistics.</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears the gradients of every parameter (in place, keeping the buffers).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
            if (p.Grad is { } g) g.Backend.Fill(g, 0f);
    }

    /// <summary>Calls <paramref name="action"/> on this module and every module below it, as torch's Module.apply.</summary>
    public Module Apply(Action<Module> action)
    {
        foreach (var (_, child) in _children) child.Apply(action);
        action(this);
        return this;
    }

    // ------------------------------------------------------------------ state dict

    /// <summary>Parameters and buffers with PyTorch's keys (0.0.weight, stage1.0.bn1.running_mean…), in PyTorch's order.</summary>
    public IReadOnlyList<(string Key, Tensor Value)> StateDict()
    {
        var list = new List<(string, Tensor)>();
        CollectState("", list);
        return list;
    }

    private void CollectState(string prefix, List<(string, Tensor)> list)
    {
        foreach (var name in _parameterNames)
            if (_parameters[name] is { } p) list.Add((Join(prefix, name), p));
        foreach (var name in _bufferNames) list.Add((Join(prefix, name), _buffers[name]));
        foreach (var (name, child) in _children) child.CollectState(Join(prefix, name), list);
    }

    /// <summary>
    /// Copies values into parameters and buffers by key. Every key and shape is checked before anything is written,
    /// so a mismatch never leaves the model half-loaded.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, (int[] Shape, float[] Data)> state, bool strict = true, string source = "state dict")
    {
        if (!IsMaterialized)
            throw new InvalidOperationException($"{Describe()} has lazy layers that are not materialised yet: call Build(inputShape) before loading a {source}");
        var own = StateDict();
        var problems = new List<string>();
        var ownKeys = new HashSet<string>(own.Select(o => o.Key));
        foreach (var (key, value) in own)
        {
            if (!state.TryGetValue(key, out var v)) { if (strict) problems.Add($"missing key '{key}'"); continue; }
            if (!v.Shape.AsSpan().SequenceEqual(value.Shape) && !(v.Data.Length == 1 && value.Numel == 1))
                problems.Add($"'{key}': shape {ShapeUtil.Format(v.Shape)} in the {source}, {ShapeUtil.Format(value.Shape)} in the model");
        }
        if (strict)
            foreach (var key in state.Keys)
                if (!ownKeys.Contains(key)) problems.Add($"unexpected key '{key}'");
        if (problems.Count > 0)
            throw new InvalidDataException($"cannot load the {source} into {TypeName}: " + string.Join("; ", problems.Take(20)) +
                (problems.Count > 20 ? $"; … and {problems.Count - 20} more" : ""));
        foreach (var (key, value) in own)
            if (state.TryGetValue(key, out var v)) value.CopyFrom(v.Data);
        StateVersion++;
        foreach (var (_, m) in NamedModules()) m.StateVersion++;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    // ------------------------------------------------------------------ printing

    /// <summary>Arguments shown inside the parentheses of the printout, as PyTorch's extra_repr.</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>The module tree exactly as PyTorch prints it.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Print(sb, 0);
        return sb.ToString();
    }

    private void Print(StringBuilder sb, int indent)
    {
        sb.Append(TypeName).Append('(');
        if (_children.Count == 0) { sb.Append(ExtraRepr()).Append(')'); return; }
        var extra = ExtraRepr();
        if (extra.Length > 0) sb.Append('\n').Append(' ', indent + 2).Append(extra);
        foreach (var (name, child) in _children)
        {
            sb.Append('\n').Append(' ', indent + 2).Append('(').Append(name).Append("): ");
            child.Print(sb, indent + 2);
        }
        sb.Append('\n').Append(' ', indent).Append(')');
    }
}
