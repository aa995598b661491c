namespace NetBlocks.Data;

/// <summary>
/// Grayscale images and their class labels, kept as bytes: image i is
/// <c>Pixels[i*Height*Width .. (i+1)*Height*Width)</c> (row-major, 0 = black … 255 = white), its label
/// <c>Labels[i]</c>. Transforms to float happen per batch (<see cref="DataLoader"/>), so 60 000 Fashion-MNIST
/// images cost 47 MB, not 188 MB (or 12 GB at 224×224).
/// </summary>
public sealed class ImageDataset
{
    public ImageDataset(byte[] pixels, byte[] labels, int count, int height, int width,
                        IReadOnlyList<string>? classNames = null, string name = "")
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (count < 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"bad dataset shape {count}×{height}×{width}");
        if ((long)count * height * width > pixels.Length)
            throw new ArgumentException($"{count} images of {height}×{width} need {(long)count * height * width} bytes, got {pixels.Length}", nameof(pixels));
        if (labels.Length < count)
            throw new ArgumentException($"{count} images need {count} labels, got {labels.Length}", nameof(labels));
        Pixels = pixels;
        Labels = labels;
        Count = count;
        Height = height;
        Width = width;
        ClassNames = classNames ?? [];
        Name = name;
    }

    public byte[] Pixels { get; }
    public byte[] Labels { get; }
    public int Count { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Text of each class index (empty when unknown).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>For messages: e.g. "fashion-mnist train".</summary>
    public string Name { get; }

    public int ImageSize => Height * Width;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"dataset has {Count} images");
        return Pixels.AsSpan(index * ImageSize, ImageSize);
    }

    /// <summary>The first <paramref name="count"/> samples (all when count ≥ Count), sharing the arrays.</summary>
    public ImageDataset Take(int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "must be non-negative");
        return count >= Count ? this : new ImageDataset(Pixels, Labels, count, Height, Width, ClassNames, Name);
    }

    /// <summary>How many samples carry each label (index = label).</summary>
    public int[] LabelHistogram()
    {
        int max = 0;
        for (int i = 0; i < Count; i++) max = Math.Max(max, Labels[i]);
        var h = new int[Math.Max(max + 1, ClassNames.Count)];
        for (int i = 0; i < Count; i++) h[Labels[i]]++;
        return h;
    }

    public override string ToString() => $"{Name} ({Count} images {Height}×{Width}, {ClassNames.Count} classes)";
}
