using NetBlocks.Nn;
using NetBlocks.Serialization;
using NetBlocks.Tests.Analysis;
using NetBlocks.Workflows;

namespace NetBlocks.Tests.Workflows;

/// <summary>
/// Issue #10, item 10: a checkpoint may make `eval`/`predict` build no more model than the weights it holds. A small
/// file whose metadata names a huge model used to get that model built and initialised (GBs, seconds) before its
/// tensors were checked.
/// </summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public sealed class CheckpointBombTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-bomb-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, IReadOnlyList<SafeTensor> tensors, string model, int resize)
    {
        var path = Path.Combine(_dir, name);
        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["model"] = model, ["resize"] = resize.ToString(), ["classes"] = "10" });
        return path;
    }

    [Fact]
    public void MetadataNamingAModelLargerThanTheFileFailsBeforeTheModelIsAllocated()
    {
        // 10 values that claim to be regnetx-400mf (5.1 M parameters, 20 MB): refused at its first layer
        var path = Write("bomb.safetensors", [new SafeTensor("w", [10], new float[10])], "regnetx-400mf", 32);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => InferenceModel.Load(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith($"{path}: regnetx-400mf at 32×32 with 10 classes: the model needs more than the 10 parameter and buffer elements the file holds (exceeded at ", e.Message);
        Assert.EndsWith("; nothing was allocated for it", e.Message);
        Assert.True(allocated < 4 << 20, $"{allocated} bytes allocated before the refusal");
    }

    [Fact]
    public void TheOptimizerStateInATrainingCheckpointDoesNotCountAsModelWeights()
    {
        // enough values in all, but only under optimizer.*: the model still gets none of them
        var path = Write("optimizer-only.safetensors", [new SafeTensor("optimizer.0.momentum", [1 << 20], new float[1 << 20])], "regnetx32", 32);
        var e = Assert.Throws<InvalidDataException>(() => InferenceModel.Load(path));
        Assert.Contains("the model needs more than the 0 parameter and buffer elements the file holds", e.Message);
    }

    [Fact]
    public void ARealCheckpointLoadsAndATooSmallResizeStillNamesTheSmallestInput()
    {
        var model = NetBlocks.Models.ModelZoo.CreateBuilt("nin/8", [1, 1, 96, 96]);
        var path = Path.Combine(_dir, "real.safetensors");
        Checkpoint.Save(model, path, new Dictionary<string, string> { ["model"] = "nin/8", ["resize"] = "96", ["classes"] = "10" });

        var loaded = InferenceModel.Load(path);
        Assert.Equal(model.ParameterCount, loaded.Model.ParameterCount);
        Assert.Equal(model.StateDict().Select(s => s.Value.ToArray()), loaded.Model.StateDict().Select(s => s.Value.ToArray()));

        // the smallest-input probes build other models besides: each is held to the file's size on its own
        var e = Assert.Throws<ShapeException>(() => InferenceModel.Load(path, resize: 32));
        Assert.StartsWith("input 1×32×32 is too small for nin/8: ", e.Message);
        Assert.EndsWith("the smallest input that works is 67×67", e.Message);
    }

    [Fact]
    public void TheBudgetCountsEveryStateTensorAndEndsWithItsScope()
    {
        using (ParameterBudget.Limit(4 * 1 * 3 * 3 + 4, "test"))
        {
            _ = new Conv2d(1, 4, 3);   // exactly the budget: weight 36 + bias 4
            var e = Assert.Throws<InvalidDataException>(() => new Linear(2, 1, bias: false));
            Assert.Equal("test: the model needs more than the 40 parameter and buffer elements the file holds " +
                         "(exceeded at Linear, whose state tensor (1, 2) has 2 elements); nothing was allocated for it", e.Message);
        }
        _ = new Linear(2, 1); // no budget outside the scope
    }

    [Fact]
    public void AnInputSizeInTheMetadataThatNoImageCouldBeClassifiedAtIsRefusedBeforeAnyForward()
    {
        // nin/8's weights do not depend on the input size, so the weight check passes; 15000×15000 needs GBs per image
        var model = NetBlocks.Models.ModelZoo.CreateBuilt("nin/8", [1, 1, 96, 96]);
        var path = Path.Combine(_dir, "huge-input.safetensors");
        Checkpoint.Save(model, path, new Dictionary<string, string> { ["model"] = "nin/8", ["resize"] = "15000", ["classes"] = "10" });
        var budget = () => new MemoryBudget(1L << 30, "a test's 1 GiB");

        var e = Assert.Throws<InsufficientMemoryException>(() => InferenceModel.Load(path, memory: budget));
        Assert.StartsWith($"{path}: nin/8 at 15000×15000 needs about ", e.Message);
        Assert.EndsWith("to classify one image, more than the 1.0 GiB available (a test's 1 GiB); if the file's input size is wrong, pass --resize", e.Message);

        // the same file at the size it was trained at loads within that budget
        Assert.Equal(96, InferenceModel.Load(path, resize: 96, memory: budget).Resize);
    }
}
