using NetBlocks.Data;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Cli;

/// <summary>
/// A few hundred learnable 28×28 images in the four Fashion-MNIST IDX files (the class decides which horizontal band
/// is bright), so training commands run in tests without the real dataset.
/// </summary>
internal static class TinyFashionMnist
{
    public static string Create(string dir, int train = 320, int test = 120)
    {
        Directory.CreateDirectory(dir);
        Write(dir, "train", train, seed: 1);
        Write(dir, "t10k", test, seed: 2);
        return dir;
    }

    private static void Write(string dir, string prefix, int n, ulong seed)
    {
        var g = new RandomGenerator(seed);
        var pixels = new byte[n * 28 * 28];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int label = i % 10;
            labels[i] = (byte)label;
            for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
            {
                double v = 40 + 30 * g.NextNormal() + (y * 10 / 28 == label ? 150 : 0);
                pixels[(i * 28 + y) * 28 + x] = (byte)Math.Clamp(v, 0, 255);
            }
        }
        Idx.Write(Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz"), [n, 28, 28], pixels, gzip: true);
        Idx.Write(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz"), [n], labels, gzip: true);
    }
}
