using NetBlocks.Models;
using NetBlocks.Nn;

namespace NetBlocks.Analysis;

/// <summary>One module application seen by the shape pass: its input and output shapes, batch dimension included.</summary>
public sealed record ShapeCall(Module Module, int[] Input, int[] Output);

/// <summary>
/// A model's shape pass (<see cref="Module.Build"/>, a forward over a meta tensor) with every module's input and
/// output shape recorded by observing the forwards (<see cref="Module.ForwardObserver"/>): nothing is computed. The
/// calls arrive in execution order; a child's call completes before its parent's.
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
    }

    public Module Model { get; }

    /// <summary>Every call, in completion order (post-order: children before their parent); the root's call is last.</summary>
    public IReadOnlyList<ShapeCall> Calls => _calls;

    /// <summary>The root call: the model's input and output shapes.</summary>
    public ShapeCall Root => _calls[^1];

    /// <summary>
    /// Runs <c>model.Build(input)</c> (materialising lazy layers, as any first forward does) and records every
    /// module's forward. Shape errors propagate unchanged: they name the layer that cannot take its input.
    /// </summary>
    public static ShapeTrace Run(Module model, int[] input)
    {
        ArgumentNullException.ThrowIfNull(model);
        var calls = new List<ShapeCall>();
        var outer = Module.ForwardObserver;
        Module.ForwardObserver = (m, x, y) =>
        {
            calls.Add(new ShapeCall(m, x.Shape.ToArray(), y.Shape.ToArray()));
            outer?.Invoke(m, x, y);
        };
        try { model.Build(input); }
        finally { Module.ForwardObserver = outer; }
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
}
