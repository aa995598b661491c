using NetBlocks.Autograd;
using NetBlocks.Nn;
using NetBlocks.Serialization;
using NetBlocks.Tensors;
using NetBlocks.Tests.Support;

namespace NetBlocks.Tests.Serialization;

public class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-ckpt-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The model PyTorch saved in tools/make_fixtures.py (state_dict_torch).</summary>
    private static Sequential TorchFixtureModel() =>
        new(new Sequential(new Conv2d(1, 4, 3), new BatchNorm2d(4), new ReLU()), new Flatten(), new Linear(64, 10));

    [Fact]
    public void AStateDictWrittenByPyTorchLoadsAndReproducesItsOutput()
    {
        var model = TorchFixtureModel();
        var path = Path.Combine(OpFixture.Root, "ops", "state_dict_torch.safetensors");
        Checkpoint.Load(model, path);
        Assert.Equal(3f, model.StateDict().Single(s => s.Key == "0.1.num_batches_tracked").Value.Item());
        var expected = OpFixture.Load("ops/state_dict_torch_eval");
        model.Eval();
        using var _ = GradMode.NoGrad();
        var y = model.Forward(TorchCheck.Load(expected, "input"));
        expected.AssertClose("output", y.Span);
    }

    [Fact]
    public void SaveThenLoadRestoresEveryValue()
    {
        var a = TorchFixtureModel();
        a.Forward(Tensor.Normal([2, 1, 6, 6], generator: new RandomGenerator(1))); // moves the running statistics
        var path = Path.Combine(_dir, "a.safetensors");
        Checkpoint.Save(a, path, new Dictionary<string, string> { ["model"] = "fixture" });
        var b = TorchFixtureModel();
        var file = Checkpoint.Load(b, path);
        Assert.Equal("fixture", file.Metadata["model"]);
        foreach (var ((ka, va), (kb, vb)) in a.StateDict().Zip(b.StateDict()))
        {
            Assert.Equal(ka, kb);
            Assert.Equal(va.ToArray(), vb.ToArray());
        }
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp*"));
    }

    [Fact]
    public void ATruncatedCheckpointNamesTheFileAndLeavesTheModelUntouched()
    {
        var path = Path.Combine(_dir, "t.safetensors");
        Checkpoint.Save(TorchFixtureModel(), path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);
        var model = TorchFixtureModel();
        var before = model.StateDict().Select(s => s.Value.ToArray()).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(model, path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("truncated", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, model.StateDict().Select(s => s.Value.ToArray()).ToArray());
    }

    [Fact]
    public void AMismatchedCheckpointListsEveryProblemAndLoadsNothing()
    {
        var path = Path.Combine(_dir, "m.safetensors");
        Checkpoint.Save(TorchFixtureModel(), path);
        var other = new Sequential(new Sequential(new Conv2d(1, 4, 3), new BatchNorm2d(4), new ReLU()), new Flatten(), new Linear(64, 5));
        var before = other.StateDict().Select(s => s.Value.ToArray()).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(other, path));
        Assert.Contains($"checkpoint '{path}'", e.Message);
        Assert.Contains("'2.weight': shape (10, 64) in the checkpoint", e.Message);
        Assert.Contains("(5, 64) in the model", e.Message);
        Assert.Equal(before, other.StateDict().Select(s => s.Value.ToArray()).ToArray());
    }

    [Fact]
    public void MissingAndUnexpectedKeysAreNamed()
    {
        var path = Path.Combine(_dir, "k.safetensors");
        Checkpoint.Save(new Sequential(new Linear(4, 2)), path);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(new Sequential(new Flatten(), new Linear(4, 2)), path));
        Assert.Contains("missing key '1.weight'", e.Message);
        Assert.Contains("unexpected key '0.weight'", e.Message);
    }

    [Fact]
    public void LazyModelsMustBeBuiltBeforeLoading()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Checkpoint.Load(new Sequential(Linear.Lazy(3)), "x.safetensors"));
        Assert.Contains("call Build(inputShape) before loading", e.Message);
    }
}
