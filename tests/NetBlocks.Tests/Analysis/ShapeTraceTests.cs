using NetBlocks.Analysis;
using NetBlocks.Models;
using NetBlocks.Nn;

namespace NetBlocks.Tests.Analysis;

[Collection(DrawsDefaultRandomCollection.Name)]
public class ShapeTraceTests
{
    [Fact]
    public void RecordsEveryModuleInExecutionOrderWithoutLeavingTheHookSet()
    {
        var net = new Sequential(new Sequential(Conv2d.Lazy(4, 3, padding: 1), new ReLU()), new Flatten(), Linear.Lazy(5));
        var trace = ShapeTrace.Run(net, [2, 3, 8, 8]);

        Assert.Equal(["0.0", "0.1", "0", "1", "2", ""], trace.Calls.Select(c => c.Module.Path));
        Assert.Equal([2, 4, 8, 8], trace.Calls[2].Output);
        Assert.Equal([2, 256], trace.Calls[3].Output);
        Assert.Equal([2, 5], trace.Root.Output);
        Assert.Equal(["0", "1", "2"], trace.ChildCalls(trace.Root).Select(c => c.Module.Path));
        Assert.True(net.IsMaterialized);
        // the shape pass is left as it was: a plain Build afterwards records nothing
        net.Build(2, 3, 8, 8);
        Assert.Equal(6, trace.Calls.Count);
    }

    [Fact]
    public void SqueezeExcitationsPoolIsTracedOnTheBlockInput()
    {
        // the squeeze runs the avgpool module on the block input, so the traced forward shows it first
        var se = new SqueezeExcitation(8, 2);
        var a = ModelAnalyzer.Analyze(se, [3, 8, 5, 5]);

        var pool = a.Layers.Single(l => l.Name == "avgpool");
        Assert.Equal([3, 8, 5, 5], pool.Input!);
        Assert.Equal([3, 8, 1, 1], pool.Output!);
        Assert.Equal(3 * 2 * 8 + 3 * 8 * 2, a.Macs);                    // fc1 and fc2 are 1×1 convs on (3, 8, 1, 1)
        Assert.Equal(["avgpool", "fc1", "relu", "fc2", "sigmoid", "mul"],
            ForwardGraph.From(ShapeTrace.Run(se, [3, 8, 5, 5]), false).Ops.Select(o => o.Module?.Path ?? o.Name.Split(": ")[1]));
    }

    [Fact]
    public void ShapeErrorsNameTheLayer()
    {
        var vgg = D2lModels.Vgg11(divisor: 8);
        var e = Assert.Throws<ShapeException>(() => ModelAnalyzer.Analyze(vgg, [1, 1, 28, 28]));
        Assert.StartsWith("4.", e.Message, StringComparison.Ordinal);   // the fifth block's pool has a 1×1 input
        Assert.Null(Module.ForwardObserver);
    }
}
