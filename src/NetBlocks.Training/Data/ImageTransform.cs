using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Data;

/// <summary>
/// What happens to each uint8 image on its way into a batch, in this order:
/// <list type="number">
/// <item>augmentation on the source image, when enabled: <c>RandomCrop(size, padding=CropPadding)</c> (zero padding)
/// then <c>RandomHorizontalFlip(0.5)</c>, drawn from a seeded <see cref="RandomGenerator"/>;</item>
/// <item>resize to <see cref="Height"/>×<see cref="Width"/> (0 = keep the source size) by <see cref="Mode"/>;</item>
/// <item>scale to [0, 1] (v/255, as <c>ToTensor</c>);</item>
/// <item>normalise, when <see cref="Mean"/> and <see cref="Std"/> are set: (x − mean)/std, as <c>Normalize</c>.</item>
/// </list>
/// d2l's <c>FashionMNIST(resize=(224, 224))</c> is <c>new ImageTransform { Height = 224, Width = 224 }</c>.
/// </summary>
public sealed record ImageTransform
{
    /// <summary>Output height (0 = the source height).</summary>
    public int Height { get; init; }

    /// <summary>Output width (0 = the source width).</summary>
    public int Width { get; init; }

    public ResizeMode Mode { get; init; } = ResizeMode.Pil;

    /// <summary>Normalisation mean (with <see cref="Std"/>); null = no normalisation.</summary>
    public float? Mean { get; init; }

    public float? Std { get; init; }

    /// <summary>Random-crop padding in source pixels (0 = no random crop).</summary>
    public int CropPadding { get; init; }

    /// <summary>Flip horizontally with probability ½.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>True when applying it draws random numbers.</summary>
    public bool IsRandom => CropPadding > 0 || HorizontalFlip;

    /// <summary>A square resize, as d2l's <c>resize=(size, size)</c>.</summary>
    public static ImageTransform Resize(int size, ResizeMode mode = ResizeMode.Pil) => new() { Height = size, Width = size, Mode = mode };

    /// <summary>Compiles the transform for source images of <paramref name="height"/>×<paramref name="width"/>.</summary>
    public ImagePipeline Compile(int height, int width) => new(this, height, width);
}

/// <summary>
/// An <see cref="ImageTransform"/> compiled for one source size: coefficient tables and the byte→float table are built
/// once. Thread-safe: per-call state lives in the caller's <see cref="ImagePipeline.Scratch"/>.
/// </summary>
public sealed class ImagePipeline
{
    private readonly PilResize? _pil;
    private readonly BilinearResize? _bilinear;
    private readonly float _mean, _std;
    private readonly float[] _table;

    internal ImagePipeline(ImageTransform t, int height, int width)
    {
        if (t.Height < 0 || t.Width < 0) throw new ArgumentException($"output size {t.Height}×{t.Width} must not be negative");
        if (t.CropPadding < 0) throw new ArgumentException($"crop padding {t.CropPadding} must not be negative");
        if (t.Mean.HasValue != t.Std.HasValue) throw new ArgumentException("set both Mean and Std to normalise, or neither");
        if (t.Std is float s0 && !(s0 > 0)) throw new ArgumentException($"std {s0} must be positive");
        Transform = t;
        InHeight = height;
        InWidth = width;
        OutHeight = t.Height == 0 ? height : t.Height;
        OutWidth = t.Width == 0 ? width : t.Width;
        if (t.Mode == ResizeMode.Pil) _pil = new PilResize(height, width, OutHeight, OutWidth);
        else _bilinear = new BilinearResize(height, width, OutHeight, OutWidth);
        // Without normalisation, (x − 0)/1 = x exactly, so one formula serves both.
        (_mean, _std) = (t.Mean ?? 0f, t.Std ?? 1f);
        _table = PilResize.ToTensorTable(_mean, _std);
        if (_pil is not null) Resample = new ImageResample(_pil.Rows, _pil.Columns, _table);
    }

    /// <summary>
    /// The resize and conversion (and normalisation) as one backend op (<see cref="Functional.F.ResampleImages"/>), with the same
    /// taps and table as <see cref="Apply"/>: how a batch is resized on a device. Null for <see cref="ResizeMode.Bilinear"/>,
    /// whose float arithmetic has no device twin.
    /// </summary>
    public ImageResample? Resample { get; }

    public ImageTransform Transform { get; }
    public int InHeight { get; }
    public int InWidth { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }
    public int OutSize => OutHeight * OutWidth;

    /// <summary>Per-thread working memory for <see cref="Apply"/>.</summary>
    public sealed class Scratch
    {
        internal byte[] Augmented = [];
        internal byte[] Rows = [];
        internal float[] Floats = [];
    }

    /// <summary>The random choices of one sample's augmentation.</summary>
    public readonly record struct Augmentation(int Top, int Left, bool Flip);

    /// <summary>Draws one sample's augmentation (top, left in [0, 2·padding], flip with probability ½), in that order.</summary>
    public Augmentation Draw(RandomGenerator rng)
    {
        int p = Transform.CropPadding;
        int top = p > 0 ? rng.NextInt(2 * p + 1) : p;
        int left = p > 0 ? rng.NextInt(2 * p + 1) : p;
        bool flip = Transform.HorizontalFlip && rng.NextFloat() < 0.5f;
        return new Augmentation(top, left, flip);
    }

    /// <summary>
    /// Transforms one image (<see cref="InHeight"/>×<see cref="InWidth"/> bytes) into <paramref name="dst"/>
    /// (<see cref="OutHeight"/>×<see cref="OutWidth"/> floats). <paramref name="augmentation"/> comes from
    /// <see cref="Draw"/> (ignored when the transform is not random).
    /// </summary>
    public void Apply(ReadOnlySpan<byte> src, Span<float> dst, Scratch scratch, Augmentation augmentation = default)
    {
        src = Augmented(src, scratch, augmentation);
        if (dst.Length != OutSize) throw new ArgumentException($"destination has {dst.Length} elements, expected {OutHeight}×{OutWidth}");
        if (_pil is not null)
        {
            if (scratch.Rows.Length < _pil.ScratchSize) scratch.Rows = new byte[_pil.ScratchSize];
            _pil.Apply(src, dst, scratch.Rows, _table);
            return;
        }
        int n = src.Length;
        if (scratch.Floats.Length < n) scratch.Floats = new float[n];
        var f = scratch.Floats.AsSpan(0, n);
        for (int i = 0; i < n; i++) f[i] = src[i] / 255f; // ToTensor: byte.float().div(255)
        _bilinear!.Apply(f, dst);
        if (Transform.Mean is not null)
            for (int i = 0; i < dst.Length; i++) dst[i] = (dst[i] - _mean) / _std;
    }

    /// <summary>
    /// What <see cref="Resample"/> takes for one image: the augmented source (<see cref="InHeight"/>×<see cref="InWidth"/>
    /// bytes, cropped and flipped as <see cref="Apply"/> does) widened to ints into <paramref name="dst"/>.
    /// </summary>
    public void Pixels(ReadOnlySpan<byte> src, Span<int> dst, Scratch scratch, Augmentation augmentation = default)
    {
        src = Augmented(src, scratch, augmentation);
        if (dst.Length != src.Length) throw new ArgumentException($"destination has {dst.Length} elements, expected {InHeight}×{InWidth}");
        for (int i = 0; i < src.Length; i++) dst[i] = src[i];
    }

    /// <summary>
    /// The source image (checked: <see cref="InHeight"/>×<see cref="InWidth"/> bytes) after the random crop and flip of
    /// <paramref name="augmentation"/>, in <paramref name="scratch"/>; the source itself when the transform is not random.
    /// </summary>
    private ReadOnlySpan<byte> Augmented(ReadOnlySpan<byte> src, Scratch scratch, Augmentation augmentation)
    {
        if (src.Length != InHeight * InWidth) throw new ArgumentException($"image has {src.Length} pixels, expected {InHeight}×{InWidth}");
        if (!Transform.IsRandom) return src;
        if (scratch.Augmented.Length < src.Length) scratch.Augmented = new byte[src.Length];
        var aug = scratch.Augmented.AsSpan(0, src.Length);
        CropFlip(src, aug, InHeight, InWidth, augmentation.Top - Transform.CropPadding, augmentation.Left - Transform.CropPadding, augmentation.Flip);
        return aug;
    }

    /// <summary>
    /// out[y, x] = in[y + dy, x' + dx] (0 outside), x' = W−1−x when flipping: a crop of the zero-padded image at
    /// offset (dy, dx) relative to the original, then a horizontal flip.
    /// </summary>
    internal static void CropFlip(ReadOnlySpan<byte> src, Span<byte> dst, int h, int w, int dy, int dx, bool flip)
    {
        for (int y = 0; y < h; y++)
        {
            var d = dst.Slice(y * w, w);
            int sy = y + dy;
            if ((uint)sy >= (uint)h) { d.Clear(); continue; }
            var row = src.Slice(sy * w, w);
            for (int x = 0; x < w; x++)
            {
                int sx = (flip ? w - 1 - x : x) + dx;
                d[x] = (uint)sx < (uint)w ? row[sx] : (byte)0;
            }
        }
    }
}
