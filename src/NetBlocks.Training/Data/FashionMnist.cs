namespace NetBlocks.Data;

/// <summary>
/// Fashion-MNIST (Xiao et al., 2017): 60 000 training and 10 000 test grayscale images of 28×28 pixels in 10
/// classes, as d2l's <c>d2l.FashionMNIST</c> loads it. Use <see cref="Load"/>, then a <see cref="DataLoader"/>
/// per split (d2l: <c>batch_size=128, resize=(224, 224)</c>).
/// </summary>
public sealed class FashionMnist
{
    /// <summary>d2l's <c>text_labels</c>, indexed by label.</summary>
    public static readonly IReadOnlyList<string> TextLabels =
        ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"];

    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>
    /// The canonical mirror (the one torchvision 0.14 and the seed's log use) and the files. The hashes are SHA-256
    /// of the decompressed IDX content (what the reader sees, whatever the compression), computed with
    /// <c>zcat &lt;file&gt;.gz | sha256sum</c> from the verified copies in shared/data/fashion-mnist; decompressed sizes
    /// 47 040 016, 60 008, 7 840 016 and 10 008 bytes. (Hashing the .gz would tie us to one compressor run: the
    /// copies there are recompressed and differ in size from the mirror's, yet decompress to the same bytes.)
    /// </summary>
    public static readonly DatasetSource Source = new(
        Name: "fashion-mnist",
        DisplayName: "Fashion-MNIST",
        BaseUrl: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        TorchvisionFolder: "FashionMNIST",
        Files:
        [
            new(TrainImages, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            new(TrainLabels, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            new(TestImages, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            new(TestLabels, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        ]);

    private FashionMnist(ImageDataset train, ImageDataset test, IReadOnlyDictionary<string, string> paths)
    {
        Train = train;
        Test = test;
        Paths = paths;
    }

    /// <summary>The 60 000 training images (d2l: <c>data.train</c>).</summary>
    public ImageDataset Train { get; }

    /// <summary>The 10 000 test images, used as validation set by d2l (<c>data.val</c>).</summary>
    public ImageDataset Test { get; }

    /// <summary>The file each split was read from, by canonical name.</summary>
    public IReadOnlyDictionary<string, string> Paths { get; }

    /// <summary>d2l's text label of a class index.</summary>
    public static string TextLabel(int label) =>
        (uint)label < (uint)TextLabels.Count ? TextLabels[label] : throw new ArgumentOutOfRangeException(nameof(label), label, "Fashion-MNIST labels are 0..9");

    /// <summary>
    /// Finds (see <see cref="DataFiles"/> for the search order: <paramref name="dataDir"/>, then $NETBLOCKS_DATA, then the
    /// per-user cache), downloads if needed, verifies and reads the four files.
    /// </summary>
    /// <exception cref="FileNotFoundException">the files are missing and could not be downloaded (the message says where to put them).</exception>
    /// <exception cref="InvalidDataException">a file is corrupt, truncated, not IDX, has the wrong hash, or the image and label counts differ.</exception>
    public static FashionMnist Load(string? dataDir = null, DataOptions? options = null) => Load(Source, dataDir, options);

    /// <summary>As <see cref="Load(string?, DataOptions?)"/> for another source with the same four-file layout (tests use a small fake).</summary>
    internal static FashionMnist Load(DatasetSource source, string? dataDir, DataOptions? options)
    {
        options ??= new DataOptions();
        var paths = DataFiles.Locate(source, dataDir, options);
        var expected = source.Files.ToDictionary(f => f.Name, f => f.Sha256);

        IdxArray Check(IdxArray a, string name)
        {
            if (options.VerifyHashes && !string.Equals(a.Sha256, expected[name], StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException(
                    $"{a.Path}: not the canonical {source.DisplayName} file {name} (SHA-256 of its content is {a.Sha256}, expected {expected[name]}). " +
                    "If it is damaged, delete it (a missing file is downloaded again); to load other IDX data under these names (e.g. MNIST), " +
                    "turn hash verification off (--no-verify on the command line; DataOptions.VerifyHashes = false in code).");
            return a;
        }

        ImageDataset Split(string images, string labels, string split)
        {
            var x = Check(Idx.ReadImages(paths[images]), images);
            var y = Check(Idx.ReadLabels(paths[labels]), labels);
            if (x.Dims[0] != y.Dims[0])
                throw new InvalidDataException(
                    $"{x.Path} holds {x.Dims[0]} images but {y.Path} holds {y.Dims[0]} labels: the counts must match");
            int bad = y.Data.AsSpan().IndexOfAnyExceptInRange((byte)0, (byte)(TextLabels.Count - 1));
            if (bad >= 0)
                throw new InvalidDataException($"{y.Path}: label {y.Data[bad]} at index {bad} is not a Fashion-MNIST class (0..9)");
            return new ImageDataset(x.Data, y.Data, x.Dims[0], x.Dims[1], x.Dims[2], TextLabels, $"{source.Name} {split}");
        }

        var train = Split(source.Files[0].Name, source.Files[1].Name, "train");
        var test = Split(source.Files[2].Name, source.Files[3].Name, "test");
        return new FashionMnist(train, test, paths);
    }
}
