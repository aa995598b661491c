using NetBlocks.Models;
using NetBlocks.Nn;

namespace NetBlocks.Analysis;

/// <summary>One module application seen by the shape pass: the shapes it was built for, batch dimension included.</summary>
/// <param name="Inferred">True when the container never built this child itself (its forward calls the functional form)
/// and the trace built it on the tensor it stands for, e.g. squeeze-excitation's avgpool on the block input.</param>
public sealed record ShapeCall(Module Module, int[] Input, int[] Output, bool Inferred = false);

/// <summary>
/// A model's shape pass (<see cref="Module.Build"/>) with every module's input and output shape recorded, computed
/// without running the network. Containers build their children in the order their forward runs them, so the calls
/// arrive in execution order; a child's call completes before its parent's.
/// </summary>
public sealed class ShapeTrace
{
    private readonly List<ShapeCall> _calls;
    private readonly Dictionary<ShapeCall, int> _index = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<ShapeCall, int> _start = new(ReferenceEqualityComparer.Instance);

    private ShapeTrace(Module model, List<ShapeCall> calls)
    {
        Model = model;
        _calls = calls;
        Reindex();
        FillInUnbuiltChildren();
    }

    public Module Model { get; }

    /// <summary>Every call, in completion order (post-order: children before their parent); the root's call is last.</summary>
    public IReadOnlyList<ShapeCall> Calls => _calls;

    /// <summary>The root call: the model's input and output shapes.</summary>
    public ShapeCall Root => _calls[^1];

    /// <summary>
    /// Runs <c>model.Build(input)</c> (materialising lazy layers, as any first Build does) and records every call.
    /// Shape errors propagate unchanged: they name the layer that cannot take its input.
    /// </summary>
    public static ShapeTrace Run(Module model, int[] input)
    {
        ArgumentNullException.ThrowIfNull(model);
        var calls = new List<ShapeCall>();
        var outer = Module.BuildObserver;
        Module.BuildObserver = (m, i, o) =>
        {
            calls.Add(new ShapeCall(m, (int[])i.Clone(), (int[])o.Clone()));
            outer?.Invoke(m, i, o);
        };
        try { model.Build(input); }
        finally { Module.BuildObserver = outer; }
        return new ShapeTrace(model, calls);
    }

    /// <summary>All calls of <paramref name="module"/> in execution order (empty when it never ran).</summary>
    public IReadOnlyList<ShapeCall> CallsOf(Module module) => _calls.Where(c => ReferenceEquals(c.Module, module)).ToList();

    /// <summary>
    /// The calls of <paramref name="call"/>'s direct children made while it ran, in execution order. Found from the
    /// post-order: walking back from the parent, each child's subtree is a contiguous run ending at the child's call.
    /// </summary>
    public IReadOnlyList<ShapeCall> ChildCalls(ShapeCall call)
    {
        var result = new List<ShapeCall>();
        var children = call.Module.Children.Select(c => c.Module).ToHashSet(ReferenceEqualityComparer.Instance);
        int j = _index[call] - 1;
        while (j >= 0 && children.Contains(_calls[j].Module))
        {
            result.Add(_calls[j]);
            j = _start[_calls[j]] - 1;
        }
        result.Reverse();
        return result;
    }

    private void Reindex()
    {
        _index.Clear();
        _start.Clear();
        for (int i = 0; i < _calls.Count; i++)
        {
            var call = _calls[i];
            _index[call] = i;
            int start = i;
            var children = call.Module.Children.Select(c => c.Module).ToHashSet(ReferenceEqualityComparer.Instance);
            int j = i - 1;
            while (j >= 0 && children.Contains(_calls[j].Module))
            {
                start = _start[_calls[j]];
                j = start - 1;
            }
            _start[call] = start;
        }
    }

    /// <summary>
    /// Where a container keeps a child module that its shape pass never builds because its forward calls the functional
    /// form instead, this says which tensor the module stands for: squeeze-excitation's avgpool reads the block input;
    /// the pycls/torchvision residual blocks' activation reads the sum (the block's output shape). Any other unbuilt
    /// child stays unknown (no shapes, no costs).
    /// </summary>
    private static (int[] Input, bool AtEnd)? UnbuiltChildInput(ShapeCall parent, string child) => (parent.Module, child) switch
    {
        (SqueezeExcitation, "avgpool") => (parent.Input, false),
        (ResBottleneckBlock or ResBasicBlock, "activation") => (parent.Output, true),
        _ => null,
    };

    private void FillInUnbuiltChildren()
    {
        var seen = _calls.Select(c => c.Module).ToHashSet(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _calls.Count; i++)
        {
            var parent = _calls[i];
            foreach (var (name, child) in parent.Module.Children)
            {
                if (seen.Contains(child) || !child.IsMaterialized || UnbuiltChildInput(parent, name) is not { } stands) continue;
                var (input, atEnd) = stands;
                var extra = new List<ShapeCall>();
                var outer = Module.BuildObserver;
                Module.BuildObserver = (m, inp, o) => extra.Add(new ShapeCall(m, (int[])inp.Clone(), (int[])o.Clone(), Inferred: true));
                try { child.Build(input); }
                catch (ArgumentException) { continue; }
                finally { Module.BuildObserver = outer; }
                foreach (var e in extra) seen.Add(e.Module);
                _calls.InsertRange(atEnd ? _index[parent] : _start[parent], extra);
                Reindex();
                i += extra.Count;
            }
        }
    }
}
