using NetBlocks.Data;
using static NetBlocks.Tests.Data.DataTestSupport;

namespace NetBlocks.Tests.Data;

public sealed class IdxTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, byte[] bytes)
    {
        string p = _dir[name];
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private static InvalidDataException AssertBad(Func<object> read, string path, params string[] parts)
    {
        var e = Assert.Throws<InvalidDataException>(read);
        Assert.Contains(path, e.Message);
        foreach (var part in parts) Assert.Contains(part, e.Message);
        return e;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsImagesAndLabels_RawOrGzip_DetectedByMagicNotName(bool gzip)
    {
        var (x, y) = Synthetic(5, 4, 3);
        byte[] images = IdxBytes([5, 4, 3], x), labels = IdxBytes([5], y);
        // The name says nothing: gzip is recognised by its 1f 8b magic.
        string pi = Write("images.idx", gzip ? Gzip(images) : images);
        string pl = Write("labels.idx", gzip ? Gzip(labels) : labels);

        var a = Idx.ReadImages(pi);
        Assert.Equal([5, 4, 3], a.Dims);
        Assert.Equal(x, a.Data);
        Assert.Equal(Sha256(images), a.Sha256);   // hash of the decompressed content
        var l = Idx.ReadLabels(pl);
        Assert.Equal(y, l.Data);

        var ds = Idx.ReadDataset(pi, pl, numClasses: 10);
        Assert.Equal((5, 4, 3), (ds.Count, ds.Height, ds.Width));
        Assert.Equal(x.AsSpan(12, 12).ToArray(), ds.Image(1).ToArray());
    }

    [Fact]
    public void Write_RoundTrips_AndIsAtomic()
    {
        var (x, _) = Synthetic(3, 5, 6);
        string p = _dir["w-images-idx3-ubyte.gz"];
        Idx.Write(p, [3, 5, 6], x, gzip: true);
        Assert.True(Idx.IsGzip(p));
        Assert.Equal(x, Idx.ReadImages(p).Data);
        Assert.Single(Directory.GetFiles(_dir.Path)); // no temp file left behind
    }

    [Fact]
    public void BadMagic_NamesFileAndExpectedMagic()
    {
        string p = Write("bad-magic", [0x12, 0x34, 0x08, 0x03, 0, 0, 0, 1]);
        AssertBad(() => Idx.ReadImages(p), p, "not an IDX file", "0x12340803", "0x00000803");
    }

    [Fact]
    public void UnsupportedElementType_IsReported()
    {
        string p = Write("floats", IdxBytes([2], new byte[8], type: 0x0D));
        AssertBad(() => Idx.ReadLabels(p), p, "element type 0x0D", "float32", "0x00000801");
    }

    [Fact]
    public void WrongRank_IsReported()
    {
        string labels = Write("labels-as-images", IdxBytes([4], new byte[4]));
        AssertBad(() => Idx.ReadImages(labels), labels, "magic number 0x00000801 says rank 1", "expected 0x00000803");
        string images = Write("images-as-labels", IdxBytes([1, 2, 2], new byte[4]));
        AssertBad(() => Idx.ReadLabels(images), images, "says rank 3", "expected 0x00000801");
    }

    [Fact]
    public void TruncatedHeader_IsReported()
    {
        string p = Write("short-magic", [0, 0]);
        AssertBad(() => Idx.ReadImages(p), p, "truncated header", "2 bytes");
        string q = Write("short-dims", [0, 0, 8, 3, 0, 0, 0, 5, 0, 0]);
        AssertBad(() => Idx.ReadImages(q), q, "truncated header", "10 bytes", "needs 16");
        string g = Write("short-dims.gz", Gzip([0, 0, 8, 3, 0, 0, 0, 5]));
        AssertBad(() => Idx.ReadImages(g), g, "truncated header", "after gzip decompression");
    }

    [Fact]
    public void TruncatedData_SaysExpectedAndFound()
    {
        // Fashion-MNIST's training header, but only 1000 bytes of pixels.
        var bytes = IdxBytes([60000, 28, 28], new byte[1000]);
        string p = Write("train-images-idx3-ubyte", bytes);
        AssertBad(() => Idx.ReadImages(p), p, "expected 47040000 bytes of pixel data", "found 1000");
        string g = Write("train-images-idx3-ubyte.gz", Gzip(IdxBytes([2, 28, 28], new byte[1000])));
        AssertBad(() => Idx.ReadImages(g), g, "expected 1568 bytes of pixel data", "found 1000", "gzip");
        string l = Write("labels", IdxBytes([10], new byte[7]));
        AssertBad(() => Idx.ReadLabels(l), l, "expected 10 bytes of label data", "found 7");
    }

    [Fact]
    public void AHeaderClaimingMoreThanTheFileCanHoldIsRefusedBeforeTheDataIsAllocated()
    {
        // Fashion-MNIST's training header over 1000 bytes: plain, the file length says so; gzipped, no 1032:1 inflation reaches 47 MB
        var bytes = IdxBytes([60000, 28, 28], new byte[1000]);
        string p = Write("train-images-idx3-ubyte", bytes), g = Write("train-images-idx3-ubyte.gz", Gzip(bytes));
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertBad(() => Idx.ReadImages(p), p, "truncated: expected 47040000 bytes of pixel data for dims [60000, 28, 28], found 1000 (checked before reading)");
        AssertBad(() => Idx.ReadImages(g), g, "header dims [60000, 28, 28] describe 47040000 bytes of pixel data, more than the ",
            "-byte gzip file can hold (1032:1 at most): corrupt header?");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "the 16 MB first chunk is never allocated");
    }

    [Fact]
    public void TrailingBytes_AreReported()
    {
        string p = Write("long", IdxBytes([3], new byte[5]));
        AssertBad(() => Idx.ReadLabels(p), p, "more bytes than the header's dims [3]");
    }

    [Fact]
    public void CorruptGzip_IsReported()
    {
        var gz = Gzip(IdxBytes([50], Enumerable.Range(0, 50).Select(i => (byte)i).ToArray()));
        var corrupt = (byte[])gz.Clone();
        for (int i = 12; i < corrupt.Length - 8; i++) corrupt[i] ^= 0x5A;   // mangle the deflate stream
        string p = Write("corrupt.gz", corrupt);
        AssertBad(() => Idx.ReadLabels(p), p, "gzip");

        var badCrc = (byte[])gz.Clone();
        badCrc[^8] ^= 0xFF;                                                // CRC32 of the trailer
        string c = Write("bad-crc.gz", badCrc);
        AssertBad(() => Idx.ReadLabels(c), c, "corrupt gzip stream");

        string t = Write("cut.gz", gz[..(gz.Length / 2)]);                 // stream cut in the middle
        AssertBad(() => Idx.ReadLabels(t), t);
    }

    [Fact]
    public void CountMismatch_NamesBothFiles()
    {
        string pi = Write("imgs", IdxBytes([3, 2, 2], new byte[12]));
        string pl = Write("lbls", IdxBytes([4], new byte[4]));
        var e = AssertBad(() => Idx.ReadDataset(pi, pl), pi, "3 images", "4 labels", "must match");
        Assert.Contains(pl, e.Message);
    }

    [Fact]
    public void LabelOutOfRange_IsReported()
    {
        string pi = Write("imgs", IdxBytes([3, 2, 2], new byte[12]));
        string pl = Write("lbls", IdxBytes([3], [1, 12, 3]));
        AssertBad(() => Idx.ReadDataset(pi, pl, numClasses: 10), pl, "label 12 at index 1");
    }

    [Fact]
    public void MissingFile_IsFileNotFound()
    {
        string p = _dir["nope"];
        var e = Assert.Throws<FileNotFoundException>(() => Idx.Read(p));
        Assert.Contains(p, e.Message);
    }
}
