using NetBlocks.Models;
using NetBlocks.Nn;

namespace NetBlocks.Tests.Analysis;

/// <summary>
/// The seeds' d2l models built by hand from NetBlocks layers, exactly as tools/make_analysis_fixtures.py builds them in
/// PyTorch, so the analysis is checked independently of the model zoo.
/// </summary>
internal static class D2lModels
{
    public static readonly (int Convs, int Channels)[] Vgg11Arch = [(1, 64), (1, 128), (2, 256), (2, 512), (2, 512)];

    public static Sequential VggBlock(int convs, int channels)
    {
        var block = new Sequential();
        for (int i = 0; i < convs; i++) block.Add(Conv2d.Lazy(channels, 3, padding: 1)).Add(new ReLU());
        return block.Add(new MaxPool2d(2, 2));
    }

    public static Sequential Vgg((int Convs, int Channels)[] arch, int classes = 10)
    {
        var net = new Sequential();
        foreach (var (convs, channels) in arch) net.Add(VggBlock(convs, channels));
        return net.Add(new Flatten())
            .Add(Linear.Lazy(4096)).Add(new ReLU()).Add(new Dropout(0.5f))
            .Add(Linear.Lazy(4096)).Add(new ReLU()).Add(new Dropout(0.5f))
            .Add(Linear.Lazy(classes));
    }

    public static Sequential Vgg11(int divisor = 1) => Vgg(Vgg11Arch.Select(b => (b.Convs, b.Channels / divisor)).ToArray());

    public static Sequential NinBlock(int channels, int kernel, int stride, int padding) => new(
        Conv2d.Lazy(channels, kernel, stride, padding), new ReLU(),
        Conv2d.Lazy(channels, 1), new ReLU(),
        Conv2d.Lazy(channels, 1), new ReLU());

    public static Sequential Nin(int classes = 10) => new(
        NinBlock(96, 11, 4, 0), new MaxPool2d(3, 2),
        NinBlock(256, 5, 1, 2), new MaxPool2d(3, 2),
        NinBlock(384, 3, 1, 1), new MaxPool2d(3, 2),
        new Dropout(0.5f),
        NinBlock(classes, 3, 1, 1),
        new AdaptiveAvgPool2d(1), new Flatten());

    public static Sequential AlexNet(int classes = 10) => new(
        Conv2d.Lazy(96, 11, 4, 1), new ReLU(), new MaxPool2d(3, 2),
        Conv2d.Lazy(256, 5, padding: 2), new ReLU(), new MaxPool2d(3, 2),
        Conv2d.Lazy(384, 3, padding: 1), new ReLU(),
        Conv2d.Lazy(384, 3, padding: 1), new ReLU(),
        Conv2d.Lazy(256, 3, padding: 1), new ReLU(), new MaxPool2d(3, 2), new Flatten(),
        Linear.Lazy(4096), new ReLU(), new Dropout(0.5f),
        Linear.Lazy(4096), new ReLU(), new Dropout(0.5f),
        Linear.Lazy(classes));

    /// <summary>d2l's AnyNet: stem "0", stages "stage1"…, head (global pool, flatten, linear).</summary>
    public static Sequential AnyNet((int Depth, int Channels, int GroupWidth, double BotMul)[] arch, int stemChannels, int classes = 10)
    {
        var net = new Sequential(new Sequential(Conv2d.Lazy(stemChannels, 3, 2, 1), new BatchNorm2d(), new ReLU()));
        for (int i = 0; i < arch.Length; i++)
        {
            var (depth, channels, groupWidth, botMul) = arch[i];
            var stage = new Sequential();
            for (int j = 0; j < depth; j++)
                stage.Add(j == 0 ? new ResNeXtBlock(channels, groupWidth, botMul, useProjection: true, stride: 2)
                                 : new ResNeXtBlock(channels, groupWidth, botMul));
            net.Add($"stage{i + 1}", stage);
        }
        return net.Add("head", new Sequential(new AdaptiveAvgPool2d(1), new Flatten(), Linear.Lazy(classes)));
    }

    public static Sequential RegNetX32(int classes = 10) => AnyNet([(4, 32, 16, 1), (6, 80, 16, 1)], 32, classes);
}
