using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Support;

/// <summary>
/// Runs an op or a module on a PyTorch fixture's inputs and compares the output and every gradient
/// (backward from the fixture's grad_output) with PyTorch's, within rtol 1e-4.
/// </summary>
public static class TorchCheck
{
    public static Tensor Load(OpFixture f, string name, bool requiresGrad = false)
    {
        var t = Tensor.FromArray(f.Array(name), f.Shape(name));
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>Op test: <paramref name="op"/> receives the named fixture tensors (all requiring grad).</summary>
    public static void Op(string fixture, Func<OpFixture, Tensor[], Tensor> op, params string[] inputs)
    {
        var f = OpFixture.Load("ops/" + fixture);
        var xs = inputs.Select(n => Load(f, n, requiresGrad: true)).ToArray();
        var y = op(f, xs);
        Assert.Equal(f.Shape("output"), y.Shape.ToArray());
        f.AssertClose("output", y.Span);
        y.Backward(Load(f, "grad_output"));
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.True(xs[i].Grad is not null, $"no gradient reached {inputs[i]}");
            f.AssertClose("grad." + inputs[i], xs[i].Grad!.Span, atol: 1e-5);
        }
    }

    /// <summary>Copies every fixture tensor named param.&lt;key&gt; into the module's state dict (the module must be built).</summary>
    public static void LoadParams(OpFixture f, Module m, string prefix = "param.")
    {
        var state = f.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(n => n[prefix.Length..], n => (f.Shape(n), f.Array(n)));
        m.LoadStateDict(state, source: "fixture " + f.Name);
    }

    /// <summary>Module test: output, input gradient and every parameter gradient against the fixture.</summary>
    public static void Module(string fixture, Module m, double gradAtol = 1e-5)
    {
        var f = OpFixture.Load("ops/" + fixture);
        var x = Load(f, "input", requiresGrad: true);
        m.Build(x.ShapeArray);
        LoadParams(f, m);
        var y = m.Forward(x);
        f.AssertClose("output", y.Span);
        y.Backward(Load(f, "grad_output"));
        f.AssertClose("grad.input", x.Grad!.Span, atol: gradAtol);
        foreach (var (name, p) in m.NamedParameters())
            f.AssertClose("grad.param." + name, p.Grad!.Span, atol: gradAtol);
        foreach (var (name, b) in m.NamedBuffers())
            if (f.Has("after." + name)) f.AssertClose("after." + name, b.Span);
    }
}
