using NetBlocks.Functional;
using NetBlocks.Tensors;
using static NetBlocks.Tests.Support.GradCheck;

namespace NetBlocks.Tests.Tensors;

/// <summary>
/// The pool's segments (large buffers as best-fit blocks of big arrays): the block bookkeeping on a segment of its own,
/// and, through the default context's pool (shared with tests running in parallel), that large tensors never overlap,
/// keep their values, and that a dropped tensor's block comes back when the GC finalises it.
/// </summary>
public class TensorPoolTests
{
    [Fact]
    public void ASegmentHandsOutTheSmallestFittingBlockAndMergesFreedNeighbours()
    {
        var s = new TensorPool.Segment(new float[1000]);
        Assert.True(s.FindBestFit(300, out int a, out _));
        s.Take(a, 300);                                     // [0, 300)
        Assert.True(s.FindBestFit(200, out int b, out _));
        s.Take(b, 200);                                     // [300, 500)
        Assert.True(s.FindBestFit(100, out int c, out _));
        s.Take(c, 100);                                     // [500, 600), free [600, 1000)
        Assert.Equal((0, 300, 500), (a, b, c));

        s.Give(a, 300);                                     // free: [0, 300) and [600, 1000)
        Assert.True(s.FindBestFit(250, out int d, out int size));
        Assert.Equal((0, 300), (d, size));                  // the 300 block, not the 400 one
        Assert.False(s.FindBestFit(401, out _, out _));

        s.Give(c, 100);                                     // merges with [600, 1000): free [500, 1000)
        Assert.True(s.FindBestFit(500, out int e, out size));
        Assert.Equal((500, 500), (e, size));
        s.Give(b, 200);                                     // merges both sides: the whole segment
        Assert.True(s.IsWhollyFree);
        Assert.True(s.FindBestFit(1000, out int f, out _));
        Assert.Equal(0, f);
    }

    [Fact]
    public void LargeTensorsAreDisjointBlocksThatKeepTheirValues()
    {
        int n = TensorPool.SegmentedLength + 37;
        var tensors = Enumerable.Range(0, 6).Select(i => Tensor.Full([n], i + 1f)).ToList();
        foreach (var t in tensors)
        {
            Assert.Equal(0, t.Offset % 16);
            Assert.True(t.Offset + n <= t.RawData.Length);
        }
        // blocks of the same segment do not overlap
        foreach (var t in tensors)
        foreach (var u in tensors)
            if (!ReferenceEquals(t, u) && ReferenceEquals(t.RawData, u.RawData))
                Assert.True(t.Offset + n <= u.Offset || u.Offset + n <= t.Offset, $"blocks at {t.Offset} and {u.Offset} overlap");
        tensors[1].Release();
        tensors[3].Release();
        var again = Tensor.Full([n - 1000], 9f);
        for (int i = 0; i < tensors.Count; i++)
            if (i != 1 && i != 3) Assert.All(tensors[i].ToArray(), v => Assert.Equal(i + 1f, v));
        Assert.All(again.ToArray(), v => Assert.Equal(9f, v));
        foreach (var t in tensors) t.Release();
        again.Release();
    }

    [Fact]
    public void ADroppedLargeTensorsBlockComesBackWhenTheGcFinalisesIt()
    {
        static WeakReference Drop()
        {
            var t = Tensor.Zeros(TensorPool.SegmentedLength * 2);
            return new WeakReference(t);
        }
        var weak = Drop();
        for (int i = 0; i < 5 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(weak.IsAlive);
        // its block is free again: a tensor of the same size fits without the pool growing, unless another test grew it
        long before = ExecutionContext.Current.Pool.AllocatedBytes;
        var t = Tensor.Zeros(TensorPool.SegmentedLength * 2);
        Assert.True(ExecutionContext.Current.Pool.AllocatedBytes == before || ExecutionContext.Current.Pool.AllocatedBytes > before + 4L * TensorPool.SegmentedLength * 2,
            "a tensor of the dropped one's size needed a new segment of just its size");
        t.Release();
    }

    [Fact]
    public void AConvolutionReadsAndWritesTensorsAtBlockOffsets()
    {
        // the weight a view into a large block (offset past 0); its gradient, the input's gradient and the output are
        // large enough to be blocks themselves; against the same convolution on small whole-array tensors
        var x = Randn(1, 4, 256, 32, 32);                   // 1,048,576 floats: x, dx and y are segment blocks
        var w = Randn(2, 512, 256, 3, 3);                   // 1,179,648 floats: so is dW
        int wn = 512 * 256 * 9;
        var block = Tensor.Empty(TensorPool.SegmentedLength + wn);
        var wView = block.NarrowRows(TensorPool.SegmentedLength, wn).ViewAs([512, 256, 3, 3]);
        w.Span.CopyTo(wView.Span);
        Assert.NotEqual(0, wView.Offset);
        var xb = Tensor.Empty(TensorPool.SegmentedLength + x.Numel).NarrowRows(TensorPool.SegmentedLength, x.Numel).ViewAs([4, 256, 32, 32]);
        x.Span.CopyTo(xb.Span);
        xb.RequiresGrad = true;
        wView.RequiresGrad = true;
        x.RequiresGrad = true;
        w.RequiresGrad = true;
        var y = F.Conv2d(xb, wView, padding: 1);
        var reference = F.Conv2d(x, w, padding: 1);
        Assert.Equal(reference.ToArray(), y.ToArray());
        var dy = Randn(3, 4, 512, 32, 32);
        (y * dy).Sum().Backward();
        (reference * dy).Sum().Backward();
        Assert.Equal(w.Grad!.ToArray(), wView.Grad!.ToArray());
        Assert.Equal(x.Grad!.ToArray(), xb.Grad!.ToArray());
        Assert.Contains(w.Grad!.ToArray(), v => v != 0);
    }
}
