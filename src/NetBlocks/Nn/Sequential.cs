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

    protected override Tensor ForwardImpl(Tensor x) => ForwardChildrenInOrder(x);

}
