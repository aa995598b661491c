using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Nn;

/// <summary>Children run in order, as torch.nn.Sequential; children are named "0", "1", … unless named explicitly.</summary>
public sealed class Sequential : Module
{
    public Sequential(params Module[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    /// <summary>Appends a child named by its index.</summary>
    public Sequential Add(Module module)
    {
        AddChild(Children.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        return this;
    }

    /// <summary>Appends a named child (e.g. "stem", "stage1", "head"), as add_module.</summary>
    public Sequential Add(string name, Module module)
    {
        AddChild(name, module);
        return this;
    }

    public Module this[int index] => Children[index].Module;
    public int Count => Children.Count;

    protected override Tensor ForwardImpl(Tensor x)
    {
        var h = x;
        foreach (var (_, child) in Children)
        {
            var next = child.Forward(h);
            // Nobody else holds an intermediate: give its buffer back as soon as it is consumed, unless backward reads it.
            if (!ReferenceEquals(h, x) && !ReferenceEquals(next, h)) Done(h);
            h = next;
        }
        return h;
    }

    protected override int[] InferShape(int[] input)
    {
        var shape = input;
        foreach (var (_, child) in Children) shape = child.Build(shape);
        return shape;
    }
}
