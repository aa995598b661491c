using NetBlocks.Cli.Commands;
using NetBlocks.Cuda;
using NetBlocks.DesignSpace;
using NetBlocks.Tensors;
using NetBlocks.Tests.Cli;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// `sweep run --device cuda`: a worker trains its trials on its own device (cuda:9 here, a CudaBackend over ILGPU's CPU
/// accelerator), the store records that device in the trial's worker, and the trial's error equals the same trial's on
/// the CPU within 1e-4.
/// </summary>
[Collection(CudaCollection.Name)]
public sealed class CudaSweepTests(CudaFixture fixture) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netblocks-cuda-sweep-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_trial_on_the_device_records_it_and_matches_the_cpu_trial()
    {
        var data = TinyFashionMnist.Create(Path.Combine(_dir, "data"), train: 8, test: 4);
        var cpu = RunOne(data, "cpu", null);
        var device = RunOne(data, "gpu", [fixture.Backend.Device]);

        Assert.Matches("/w1$", cpu.Worker);
        Assert.EndsWith("/w1@cuda:9", device.Worker);
        Assert.Equal(TrialStatus.Done, device.Status);
        CudaAssert.Close([cpu.Error!.Value, cpu.Curve[0].TrainLoss, cpu.Curve[0].ValLoss],
            [device.Error!.Value, device.Curve[0].TrainLoss, device.Curve[0].ValLoss], "trial error and losses");
    }

    private TrialRecord RunOne(string data, string name, IReadOnlyList<Device>? devices)
    {
        using var store = new SqliteTrialStore(Path.Combine(_dir, name + ".db"));
        var model = new SampledModel(0, "vgg-bn:1x4,fc=8", new Dictionary<string, double> { ["w1"] = 4 }, 1000, 50_000);
        store.CreateSweep(new SweepDefinition(name, SpaceKind.AnyNetXA,
            new TrialSettings { Epochs = 1, Resize = 16, LimitTrain = 8, LimitVal = 4, Batch = 4, Seed = 3 }), [model]);
        ITrialRunner runner = new FashionMnistTrialRunner(data, verifyHashes: false);
        if (devices is not null) runner = new DeviceBoundTrialRunner(runner, [fixture.Backend]);
        var summary = new SweepRunner(store, runner).Run(name,
            new SweepRunOptions { Workers = 1, Threads = 1, Lease = TimeSpan.FromMinutes(10), Devices = devices });
        Assert.Equal(1, summary.Completed);
        return Assert.Single(store.Trials(name));
    }

    [Fact]
    public void Workers_and_devices_must_pair_up()
    {
        using var store = new SqliteTrialStore(Path.Combine(_dir, "pairs.db"));
        var e = Assert.Throws<ArgumentException>(() => new SweepRunner(store, new SimulatedTrialRunner(1)).Run("any",
            new SweepRunOptions { Workers = 2, Devices = [fixture.Backend.Device] }));
        Assert.Equal("2 worker(s) need one device each, got 1 (cuda:9)", e.Message);
    }
}
