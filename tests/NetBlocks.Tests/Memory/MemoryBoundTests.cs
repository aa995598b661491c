using NetBlocks.Autograd;
using NetBlocks.Functional;
using NetBlocks.Nn;
using NetBlocks.Optim;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Memory;

[CollectionDefinition("Memory", DisableParallelization = true)]
public class MemoryCollection;

/// <summary>
/// A thousand training steps must not grow memory: after warm-up every buffer comes from the pool and the graph is
/// freed by Backward(). Runs alone so that other tests' allocations do not blur the pool's counters.
/// </summary>
[Collection("Memory")]
public class MemoryBoundTests
{
    [Fact]
    public void AThousandTrainingStepsKeepTheHeapAndThePoolBounded()
    {
        // a context of its own, with a pool of its own: the counters are this test's alone
        using var context = new ExecutionContext();
        using var inForce = context.Enter();
        var pool = context.Pool;
        RandomGenerator.ManualSeed(1);
        var model = new Sequential(
            Conv2d.Lazy(8, 3, padding: 1), new BatchNorm2d(), new ReLU(), new MaxPool2d(2),
            Conv2d.Lazy(8, 3, padding: 1, groups: 2), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Dropout(0.2f), Linear.Lazy(10));
        var x = Tensor.Normal([16, 1, 12, 12], generator: new RandomGenerator(2));
        var labels = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        model.Build(x.ShapeArray);
        var opt = new Sgd(model.Parameters(), 0.05f, momentum: 0.9f);

        void Step()
        {
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), labels);
            loss.Backward();
            opt.Step();
        }

        void Evaluate()
        {
            model.Eval();
            using (GradMode.NoGrad()) model.Forward(x);
            model.Train();
        }

        for (int i = 0; i < 20; i++) { Step(); Evaluate(); }
        Step(); Step(); // steady state: the last evaluation's output left with the caller, one step refills the pool
        long poolAfterWarmup = pool.AllocatedBytes;
        long heapAfterWarmup = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < 1000; i++) Step();
        long poolGrowth = pool.AllocatedBytes - poolAfterWarmup;
        long heapGrowth = GC.GetTotalMemory(forceFullCollection: true) - heapAfterWarmup;

        // Training steps recycle every buffer: the graph's intermediates go back to the pool at each Backward().
        Assert.Equal(0, poolGrowth);
        Assert.True(heapGrowth < 4 << 20, $"the managed heap grew by {heapGrowth} bytes over 1000 training steps");

        // Evaluation outputs handed to the caller are not pooled (the caller keeps them); dropped ones go to the GC,
        // so the heap stays bounded while intermediates of the no-grad forward are recycled.
        for (int i = 0; i < 300; i++) Evaluate();
        long evalPoolGrowth = pool.AllocatedBytes - poolAfterWarmup;
        Assert.True(evalPoolGrowth <= 300 * 16 * 10 * 4, $"evaluation allocated {evalPoolGrowth} pool bytes: more than its outputs");
        long heapAfterEval = GC.GetTotalMemory(forceFullCollection: true) - heapAfterWarmup;
        Assert.True(heapAfterEval < 4 << 20, $"the managed heap grew by {heapAfterEval} bytes with evaluation");
        Assert.True(pool.RetainedBytes < 16 << 20, $"the pool retains {pool.RetainedBytes} bytes for a 16×1×12×12 model");
    }
}
