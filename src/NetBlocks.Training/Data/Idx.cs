using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace NetBlocks.Data;

/// <summary>
/// An unsigned-byte IDX array as read from a file: <see cref="Data"/> holds prod(<see cref="Dims"/>) bytes in
/// row-major order. <see cref="Sha256"/> is the hex SHA-256 of the whole (decompressed) file, header included.
/// </summary>
public sealed record IdxArray(string Path, int[] Dims, byte[] Data, string Sha256)
{
    public int Rank => Dims.Length;
}

/// <summary>
/// Reader and writer for the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
/// a big-endian header <c>00 00 TT RR</c> (TT = element type, 0x08 = unsigned byte; RR = rank), RR big-endian
/// int32 dimensions, then the elements row-major. Files may be gzip-compressed (detected by the magic bytes
/// 1f 8b, whatever the file is called). Every problem with a file is an <see cref="InvalidDataException"/>
/// whose message names the file and what is wrong.
/// </summary>
public static class Idx
{
    /// <summary>Element type byte of unsigned-byte data, the only one NetBlocks reads.</summary>
    public const byte UByte = 0x08;

    /// <summary>The most bytes deflate can expand one compressed byte to (RFC 1951: a 258-byte match per ~2 bits).</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>Magic number of an unsigned-byte rank-3 array (images N×rows×cols).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an unsigned-byte rank-1 array (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an unsigned-byte IDX array of any rank (1–4).</summary>
    public static IdxArray Read(string path) => ReadCore(path, expectedRank: null, what: "data");

    /// <summary>Reads images: magic 0x00000803, dims (N, rows, cols), rows and cols positive.</summary>
    public static IdxArray ReadImages(string path)
    {
        var a = ReadCore(path, expectedRank: 3, what: "pixel data");
        if (a.Dims[1] == 0 || a.Dims[2] == 0)
            throw Bad(path, $"images of {a.Dims[1]}×{a.Dims[2]} pixels: rows and columns must be positive");
        return a;
    }

    /// <summary>Reads labels: magic 0x00000801, dims (N).</summary>
    public static IdxArray ReadLabels(string path) => ReadCore(path, expectedRank: 1, what: "label data");

    /// <summary>
    /// Reads an images file and a labels file and checks they describe the same number of samples and, when
    /// <paramref name="numClasses"/> is given, that every label is below it.
    /// </summary>
    public static ImageDataset ReadDataset(string imagesPath, string labelsPath, int? numClasses = null,
                                           IReadOnlyList<string>? classNames = null, string? name = null)
    {
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (images.Dims[0] != labels.Dims[0])
            throw new InvalidDataException(
                $"{imagesPath} holds {images.Dims[0]} images but {labelsPath} holds {labels.Dims[0]} labels: " +
                "the counts must match (are the two files from the same split?)");
        if (numClasses is int k)
        {
            int i = labels.Data.AsSpan().IndexOfAnyExceptInRange((byte)0, (byte)(k - 1));
            if (i >= 0)
                throw new InvalidDataException($"{labelsPath}: label {labels.Data[i]} at index {i} is out of range [0, {k})");
        }
        return new ImageDataset(images.Data, labels.Data, images.Dims[0], images.Dims[1], images.Dims[2],
                                classNames, name ?? Path.GetFileName(imagesPath));
    }

    /// <summary>
    /// Writes an unsigned-byte IDX file (gzip-compressed when <paramref name="gzip"/>), atomically (temp file + move).
    /// prod(<paramref name="dims"/>) must equal <c>data.Length</c>.
    /// </summary>
    public static void Write(string path, ReadOnlySpan<int> dims, ReadOnlySpan<byte> data, bool gzip = false)
    {
        if (dims.Length is < 1 or > 255) throw new ArgumentException($"rank {dims.Length} is not in [1, 255]", nameof(dims));
        long n = 1;
        foreach (int d in dims)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d}", nameof(dims));
            n *= d;
        }
        if (n != data.Length) throw new ArgumentException($"dims [{string.Join(", ", dims.ToArray())}] need {n} bytes, got {data.Length}", nameof(data));
        var header = new byte[4 + 4 * dims.Length];
        header[2] = UByte;
        header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);

        string full = System.IO.Path.GetFullPath(path);
        string tmp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                Stream s = gzip ? new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true) : file;
                s.Write(header);
                s.Write(data);
                if (gzip) s.Dispose();
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>True when the file starts with the gzip magic bytes 1f 8b.</summary>
    public static bool IsGzip(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> b = stackalloc byte[2];
        return f.ReadAtLeast(b, 2, throwOnEndOfStream: false) == 2 && b[0] == 0x1f && b[1] == 0x8b;
    }

    private static IdxArray ReadCore(string path, int? expectedRank, string what)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        bool gz = IsGzip(path);
        string where = gz ? " (after gzip decompression)" : "";
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using Stream s = gz ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            Span<byte> magic = stackalloc byte[4];
            int got = s.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
            if (got < 4)
                throw Bad(path, $"truncated header: {got} bytes{where}, an IDX file starts with a 4-byte magic number");
            sha.AppendData(magic);
            int magicValue = BinaryPrimitives.ReadInt32BigEndian(magic);
            string expectedMagic = expectedRank switch
            {
                3 => " (expected 0x00000803: unsigned-byte images of rank 3)",
                1 => " (expected 0x00000801: unsigned-byte labels of rank 1)",
                _ => "",
            };
            if (magic[0] != 0 || magic[1] != 0)
                throw Bad(path, $"not an IDX file: magic number 0x{magicValue:X8}{expectedMagic}{where}");
            if (magic[2] != UByte)
                throw Bad(path, $"magic number 0x{magicValue:X8}: element type 0x{magic[2]:X2} ({TypeName(magic[2])}) is not supported, " +
                                $"only unsigned bytes (0x08){expectedMagic}");
            int rank = magic[3];
            if (expectedRank is int r && rank != r)
                throw Bad(path, $"magic number 0x{magicValue:X8} says rank {rank}{expectedMagic}");
            if (rank is 0 or > 4)
                throw Bad(path, $"magic number 0x{magicValue:X8} says rank {rank}; expected 1 to 4");

            var dimBytes = new byte[4 * rank];
            got = s.ReadAtLeast(dimBytes, dimBytes.Length, throwOnEndOfStream: false);
            if (got < dimBytes.Length)
                throw Bad(path, $"truncated header: {4 + got} bytes{where}, rank {rank} needs {4 + dimBytes.Length} (magic + {rank} dimensions)");
            sha.AppendData(dimBytes);
            var dims = new int[rank];
            long count = 1;
            for (int i = 0; i < rank; i++)
            {
                dims[i] = BinaryPrimitives.ReadInt32BigEndian(dimBytes.AsSpan(4 * i));
                if (dims[i] < 0)
                    throw Bad(path, $"dimension {i} is {dims[i]} (negative; header dims [{string.Join(", ", dims[..(i + 1)])}])");
                count *= dims[i];
                if (count > Array.MaxLength)
                    throw Bad(path, $"header dims [{string.Join(", ", dims[..(i + 1)])}…] describe more than {Array.MaxLength} bytes: corrupt header?");
            }

            // What the file can hold, checked before anything is allocated: a plain file holds exactly its data after the
            // header; a gzip stream inflates to at most 1032 bytes per compressed byte (deflate's limit).
            long header = 4 + 4L * rank;
            if (!gz && count != file.Length - header)
                throw Bad(path, count > file.Length - header
                    ? $"truncated: expected {count} bytes of {what} for dims [{string.Join(", ", dims)}], found {file.Length - header} (checked before reading)"
                    : $"more bytes than the header's dims [{string.Join(", ", dims)}] describe ({count} bytes of {what} expected, " +
                      $"{file.Length - header} after the header): trailing garbage or a wrong header");
            if (gz && count > MaxDeflateRatio * file.Length)
                throw Bad(path, $"header dims [{string.Join(", ", dims)}] describe {count} bytes of {what}, more than the {file.Length}-byte " +
                                $"gzip file can hold ({MaxDeflateRatio}:1 at most): corrupt header?");
            // Read in chunks so that a corrupt gzip header claiming gigabytes fails on the data, not on the allocation.
            var data = ReadExactly(s, (int)count, path, what, where, dims);
            sha.AppendData(data);
            Span<byte> extra = stackalloc byte[1];
            if (s.Read(extra) > 0)
                throw Bad(path, $"more bytes than the header's dims [{string.Join(", ", dims)}] describe ({count} bytes of {what} expected){where}: " +
                                "trailing garbage or a wrong header");
            return new IdxArray(path, dims, data, Convert.ToHexStringLower(sha.GetHashAndReset()));
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            // GZipStream's own errors (bad deflate data, CRC or length mismatch) do not name the file.
            throw Bad(path, $"corrupt gzip stream: {e.Message}", e);
        }
    }

    private static byte[] ReadExactly(Stream s, int count, string path, string what, string where, int[] dims)
    {
        const int Chunk = 1 << 24;
        var data = new byte[Math.Min(count, Chunk)];
        int filled = 0;
        while (filled < count)
        {
            if (filled == data.Length)
                Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
            int n = s.Read(data, filled, data.Length - filled);
            if (n == 0)
                throw Bad(path, $"truncated: expected {count} bytes of {what} for dims [{string.Join(", ", dims)}], found {filled}{where}");
            filled += n;
        }
        return data;
    }

    private static string TypeName(byte t) => t switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown type",
    };

    private static InvalidDataException Bad(string path, string problem, Exception? inner = null) => new($"{path}: {problem}", inner);
}
