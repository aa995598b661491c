using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.Models;

/// <summary>
/// Named children run in order, printed under a chosen class name: the torchvision containers that are
/// nn.Sequential subclasses (SimpleStemIN, AnyStage, Conv2dNormActivation, BottleneckTransform), so that a
/// RegNet prints and names its state dict as torchvision's does (<c>trunk_output.block1.block1-0.f.a.0.weight</c>).
/// </summary>
public sealed class Chain : Module
{
    private readonly string _typeName;

    public Chain(string typeName) => _typeName = typeName;

    public override string TypeName => _typeName;

    /// <summary>Appends a child under <paramref name="name"/>; returns this chain.</summary>
    public Chain Add(string name, Module module)
    {
        AddChild(name, module);
        return this;
    }

    /// <summary>Appends a child named by its index ("0", "1", …), as nn.Sequential does.</summary>
    public Chain Add(Module module) => Add(Children.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);

    public Module this[string name] => Children.First(c => c.Name == name).Module;

    protected override Tensor ForwardImpl(Tensor x) => ForwardChildrenInOrder(x);
}
