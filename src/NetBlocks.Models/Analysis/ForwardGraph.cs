using NetBlocks.Models;
using NetBlocks.Nn;

namespace NetBlocks.Analysis;

/// <summary>
/// One tensor-level op of the forward pass: a leaf module, or a functional step a block runs between its modules
/// (ResNeXt's ReLUs and residual sum, squeeze-excitation's sigmoid and product). Tensors are ids into
/// <see cref="ForwardGraph.TensorElements"/>; an op that only views its input (Flatten) outputs its input's id.
/// </summary>
public sealed record FlowOp(string Name, Module? Module, int[] Inputs, int Output, long WorkspaceElements, Saves Saves, long ExtraSavedBytes);

/// <summary>
/// The forward pass as a list of ops over tensors, in execution order, derived from a <see cref="ShapeTrace"/> without
/// running anything. Data flow per container type:
/// <list type="bullet">
/// <item>Sequential, and any container not listed below: a chain, each child reading the previous child's output.</item>
/// <item>ResNeXtBlock: conv1 → bn1 → relu → conv2 → bn2 → relu → (se) → conv3 → bn3 = Y; shortcut X, or bn4(conv4(X));
/// then relu(Y + shortcut).</item>
/// <item>ResNetBlock (d2l's Residual): conv1 → bn1 → relu → conv2 → bn2 = Y; shortcut X or conv3(X); relu(Y + shortcut).</item>
/// <item>ResBottleneckBlock, ResBasicBlock (torchvision's RegNet): Y = f(X); shortcut X or proj(X); activation(Y + shortcut).</item>
/// <item>SqueezeExcitation: s = sigmoid(fc2(relu(fc1(avgpool(X))))); X · s.</item>
/// </list>
/// A new residual block type needs one case here so that its shortcut is held; otherwise it is costed as a chain.
/// </summary>
public sealed class ForwardGraph
{
    private readonly ShapeTrace _trace;
    private readonly bool _training;
    private readonly List<long> _tensors = new();
    private readonly List<FlowOp> _ops = new();

    private ForwardGraph(ShapeTrace trace, bool training)
    {
        _trace = trace;
        _training = training;
        Input = NewTensor(LayerCosts.Numel(trace.Root.Input));
        Output = Flow(trace.Root, Input);
    }

    /// <summary>Elements of each tensor, by id.</summary>
    public IReadOnlyList<long> TensorElements => _tensors;

    /// <summary>Ops in execution order.</summary>
    public IReadOnlyList<FlowOp> Ops => _ops;

    /// <summary>Id of the model's input tensor.</summary>
    public int Input { get; }

    /// <summary>Id of the model's output tensor.</summary>
    public int Output { get; }

    /// <summary>The graph for a training-mode forward (<paramref name="training"/>) or an evaluation-mode one (dropout is the identity).</summary>
    public static ForwardGraph From(ShapeTrace trace, bool training) => new(trace, training);

    private int NewTensor(long elements)
    {
        _tensors.Add(elements);
        return _tensors.Count - 1;
    }

    private int Flow(ShapeCall call, int x)
    {
        var kids = _trace.ChildCalls(call);
        if (kids.Count == 0) return Leaf(call, x);
        return call.Module switch
        {
            ResNeXtBlock => FlowResidual(call, kids, x, shortcut: ["conv4", "bn4"], reluAfter: ["bn1", "bn2"]),
            ResNetBlock => FlowResidual(call, kids, x, shortcut: ["conv3"], reluAfter: ["bn1"]),
            ResBottleneckBlock or ResBasicBlock => FlowResidual(call, kids, x, shortcut: ["proj"], reluAfter: [], activation: "activation"),
            SqueezeExcitation => FlowSqueezeExcitation(call, kids, x),
            _ => kids.Aggregate(x, (h, kid) => Flow(kid, h)),
        };
    }

    private int Leaf(ShapeCall call, int x)
    {
        var cost = LayerCosts.Of(call.Module, call.Input, call.Output);
        bool alias = _training ? cost.AliasInTraining : cost.AliasInInference;
        int output = alias ? x : NewTensor(LayerCosts.Numel(call.Output));
        var saves = alias ? Saves.None : cost.Saves;
        long extra = _training ? cost.ExtraSavedBytes : 0;
        _ops.Add(new FlowOp(call.Module.Describe(), call.Module, [x], output, cost.WorkspaceElements, saves, extra));
        return output;
    }

    private int Functional(Module block, string op, int[] inputs, long outputElements, Saves saves)
    {
        int output = NewTensor(outputElements);
        _ops.Add(new FlowOp($"{block.Describe()}: {op}", null, inputs, output, 0, saves, 0));
        return output;
    }

    private static string ChildName(ShapeCall parent, ShapeCall child) =>
        parent.Module.Children.First(c => ReferenceEquals(c.Module, child.Module)).Name;

    /// <summary>
    /// A residual block: children named in <paramref name="shortcut"/> form the shortcut branch on the block input X,
    /// the others the main branch Y (with a functional ReLU after each child named in <paramref name="reluAfter"/>);
    /// then relu(Y + shortcut), by the child named <paramref name="activation"/> when there is one. X stays alive until
    /// the sum reads it.
    /// </summary>
    private int FlowResidual(ShapeCall call, IReadOnlyList<ShapeCall> kids, int x, string[] shortcut, string[] reluAfter, string? activation = null)
    {
        int y = x, s = x;
        ShapeCall? act = null;
        foreach (var kid in kids)
        {
            var name = ChildName(call, kid);
            if (name == activation) { act = kid; continue; }
            if (shortcut.Contains(name)) { s = Flow(kid, s); continue; }
            y = Flow(kid, y);
            if (reluAfter.Contains(name)) y = Functional(call.Module, "relu", [y], _tensors[y], Saves.Output);
        }
        int sum = Functional(call.Module, "add", [y, s], _tensors[y], Saves.None);
        return act is null ? Functional(call.Module, "relu", [sum], _tensors[sum], Saves.Output) : Flow(act, sum);
    }

    private int FlowSqueezeExcitation(ShapeCall call, IReadOnlyList<ShapeCall> kids, int x)
    {
        int s = x;
        foreach (var kid in kids)
        {
            switch (ChildName(call, kid))
            {
                case "avgpool": s = Flow(kid, x); break;
                case "fc1": s = Functional(call.Module, "relu", [Flow(kid, s)], LayerCosts.Numel(kid.Output), Saves.Output); break;
                case "fc2": s = Functional(call.Module, "sigmoid", [Flow(kid, s)], LayerCosts.Numel(kid.Output), Saves.Output); break;
                default: s = Flow(kid, s); break;
            }
        }
        return Functional(call.Module, "mul", [x, s], _tensors[x], Saves.Input);
    }
}
