using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace NetBlocks.Serialization;

/// <summary>
/// One named float32 tensor as stored in a safetensors file: contiguous row-major data,
/// <c>Data.Length</c> = product of <see cref="Shape"/> (1 for the scalar shape <c>[]</c>).
/// </summary>
public sealed record SafeTensor(string Name, int[] Shape, float[] Data)
{
    /// <summary>Number of elements of a shape (1 for <c>[]</c>); negative dims or 64-bit overflow are an <see cref="ArgumentException"/>.</summary>
    public static long ElementCount(ReadOnlySpan<int> shape) => NetBlocks.Kernels.Sizes.Product(shape);
}

/// <summary>The contents of a safetensors file, all tensors converted to float32.</summary>
public sealed class SafeTensorFile
{
    internal SafeTensorFile(string path,
                            IReadOnlyDictionary<string, SafeTensor> tensors,
                            IReadOnlyDictionary<string, string> dtypes,
                            IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        Tensors = tensors;
        SourceDTypes = dtypes;
        Metadata = metadata;
    }

    /// <summary>The file this was read from.</summary>
    public string Path { get; }

    /// <summary>Tensors by name, in the order of the file's header.</summary>
    public IReadOnlyDictionary<string, SafeTensor> Tensors { get; }

    /// <summary>The dtype each tensor had in the file (e.g. <c>"I64"</c> for num_batches_tracked).</summary>
    public IReadOnlyDictionary<string, string> SourceDTypes { get; }

    /// <summary>The <c>__metadata__</c> strings (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor called <paramref name="name"/>; the error lists the names present.</summary>
    public SafeTensor Get(string name) =>
        Tensors.TryGetValue(name, out var t)
            ? t
            : throw new KeyNotFoundException(
                $"{Path}: no tensor '{name}'; the file has: {string.Join(", ", Tensors.Keys)}");
}

/// <summary>
/// Reader and writer for the safetensors format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
/// (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {..}}</c>),
/// then the data buffer (offsets relative to its start, little-endian, contiguous row-major).
/// </summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";

    /// <summary>Largest header accepted (the reference implementation uses the same limit).</summary>
    public const long MaxHeaderBytes = 100L << 20;

    private static readonly string[] KnownDTypes =
        ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL"];

    private static int DTypeSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => 0,
    };

    // ------------------------------------------------------------------ write

    /// <summary>
    /// Writes <paramref name="tensors"/> as F32 with optional string metadata, the way the Python
    /// library does (tensors sorted by name, <c>__metadata__</c> first, compact JSON, header padded
    /// with spaces to a multiple of 8 bytes). Atomic: the file is written to a temporary file in the
    /// same directory, flushed to disk, then moved over <paramref name="path"/>.
    /// </summary>
    public static void Write(string path, IReadOnlyList<SafeTensor> tensors,
                             IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);

        var ordered = Validate(tensors, metadata);
        byte[] header = BuildHeader(ordered, metadata);

        string full = System.IO.Path.GetFullPath(path);
        string tmp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None,
                                           bufferSize: 1 << 16))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
                fs.Write(len);
                fs.Write(header);
                foreach (var t in ordered) WriteFloats(fs, t.Data);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch { /* keep the original error */ }
            throw;
        }
    }

    private static List<SafeTensor> Validate(IReadOnlyList<SafeTensor> tensors,
                                             IReadOnlyDictionary<string, string>? metadata)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<SafeTensor>(tensors.Count);
        foreach (var t in tensors)
        {
            if (t is null) throw new ArgumentException("tensor list contains null", nameof(tensors));
            if (string.IsNullOrEmpty(t.Name)) throw new ArgumentException("tensor with an empty name", nameof(tensors));
            if (t.Name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved and cannot name a tensor", nameof(tensors));
            if (!seen.Add(t.Name)) throw new ArgumentException($"duplicate tensor name '{t.Name}'", nameof(tensors));
            if (t.Shape is null || t.Data is null) throw new ArgumentException($"tensor '{t.Name}': null shape or data", nameof(tensors));
            long n;
            try { n = SafeTensor.ElementCount(t.Shape); }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"tensor '{t.Name}': {e.Message}", nameof(tensors), e);
            }
            if (n != t.Data.Length)
                throw new ArgumentException(
                    $"tensor '{t.Name}': shape [{string.Join(", ", t.Shape)}] has {n} elements but Data has {t.Data.Length}",
                    nameof(tensors));
            list.Add(t);
        }
        if (metadata is not null)
            foreach (var (k, v) in metadata)
                if (k is null || v is null) throw new ArgumentException("metadata keys and values must not be null", nameof(metadata));
        // The reference library sorts by (dtype, name); all ours are F32, so by name, bytewise.
        list.Sort((a, b) => CompareUtf8(a.Name, b.Name));
        return list;
    }

    private static int CompareUtf8(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    private static byte[] BuildHeader(List<SafeTensor> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
        using (var w = new Utf8JsonWriter(buffer, options))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in ordered)
            {
                long bytes = (long)t.Data.Length * sizeof(float);
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        int len = (int)buffer.Length;
        int padded = (len + 7) / 8 * 8;
        for (int i = len; i < padded; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteFloats(Stream s, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            s.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }
        var chunk = new byte[4096 * 4];
        for (int i = 0; i < data.Length; i += 4096)
        {
            int n = Math.Min(4096, data.Length - i);
            for (int j = 0; j < n; j++)
                BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(j * 4), data[i + j]);
            s.Write(chunk, 0, n * 4);
        }
    }

    // ------------------------------------------------------------------ read

    private sealed record Entry(string Name, string DType, int[] Shape, long Begin, long End);

    /// <summary>
    /// Reads a safetensors file. F32 tensors are returned as is; F64, F16, BF16, I64, I32, I16, I8,
    /// U64, U32, U16, U8 and BOOL are converted to float32. Every problem with the file is an
    /// <see cref="InvalidDataException"/> whose message starts with the path.
    /// </summary>
    public static SafeTensorFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long fileLength = RandomAccess.GetLength(handle);

        InvalidDataException Bad(string what) => new($"{path}: {what}");

        if (fileLength < 8)
            throw Bad($"file is {fileLength} bytes, shorter than the 8-byte header length prefix; not a safetensors file");
        Span<byte> lenBytes = stackalloc byte[8];
        ReadExactly(handle, lenBytes, 0);
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLen > (ulong)(fileLength - 8))
            throw Bad($"header length {headerLen} is larger than the file ({fileLength} bytes, {fileLength - 8} after the length prefix); truncated or not a safetensors file");
        if (headerLen > MaxHeaderBytes)
            throw Bad($"header length {headerLen} exceeds the {MaxHeaderBytes}-byte limit");

        var headerBytes = new byte[(int)headerLen];
        ReadExactly(handle, headerBytes, 8);
        long dataStart = 8 + (long)headerLen;
        long dataLength = fileLength - dataStart;

        var (entries, metadata) = ParseHeader(headerBytes, Bad);

        // Sizes, ranges, overlaps: all checked before any tensor data is read.
        foreach (var e in entries)
        {
            long count = SafeTensor.ElementCount(e.Shape);
            long expected;
            try { expected = checked(count * DTypeSize(e.DType)); }
            catch (OverflowException) { throw Bad($"tensor '{e.Name}': shape [{string.Join(", ", e.Shape)}] is too large"); }
            if (e.Begin < 0 || e.End < e.Begin)
                throw Bad($"tensor '{e.Name}': invalid data_offsets [{e.Begin}, {e.End}]");
            if (e.End - e.Begin != expected)
                throw Bad($"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] span {e.End - e.Begin} bytes but shape [{string.Join(", ", e.Shape)}] of {e.DType} needs {expected} bytes");
            if (count > Array.MaxLength)
                throw Bad($"tensor '{e.Name}': {count} elements do not fit in a float[]");
        }
        foreach (var e in entries)
        {
            if (e.End > dataLength)
                throw Bad($"file is truncated: tensor '{e.Name}' needs data bytes [{e.Begin}, {e.End}) but the data buffer has only {dataLength} bytes (expected a file of at least {dataStart + e.End} bytes, actual {fileLength} bytes)");
        }
        var bySpan = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ToList();
        for (int i = 1; i < bySpan.Count; i++)
        {
            var a = bySpan[i - 1];
            var b = bySpan[i];
            if (b.Begin < a.End)
                throw Bad($"tensors '{a.Name}' [{a.Begin}, {a.End}) and '{b.Name}' [{b.Begin}, {b.End}) have overlapping data_offsets");
        }

        var tensors = new OrderedDictionary<string, SafeTensor>(entries.Count, StringComparer.Ordinal);
        var dtypes = new OrderedDictionary<string, string>(entries.Count, StringComparer.Ordinal);
        foreach (var e in entries)
        {
            var data = new float[SafeTensor.ElementCount(e.Shape)];
            if (data.Length > 0)
            {
                try { ReadTensor(handle, dataStart + e.Begin, e.DType, data); }
                catch (EndOfStreamException x) { throw Bad($"tensor '{e.Name}': {x.Message} (file changed while reading?)"); }
            }
            tensors.Add(e.Name, new SafeTensor(e.Name, e.Shape, data));
            dtypes.Add(e.Name, e.DType);
        }
        return new SafeTensorFile(path,
                                  new ReadOnlyDictionary<string, SafeTensor>(tensors),
                                  new ReadOnlyDictionary<string, string>(dtypes),
                                  new ReadOnlyDictionary<string, string>(metadata));
    }

    private static (List<Entry>, OrderedDictionary<string, string>) ParseHeader(
        byte[] headerBytes, Func<string, InvalidDataException> bad)
    {
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes))
            throw bad("header is not valid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw bad($"header is not valid JSON: {e.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw bad($"header is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");

            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (var prop in root.EnumerateObject())
            {
                string name = prop.Name;
                if (name == MetadataKey)
                {
                    if (sawMetadata) throw bad($"duplicate '{MetadataKey}'");
                    sawMetadata = true;
                    if (prop.Value.ValueKind == JsonValueKind.Null) continue;
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw bad($"'{MetadataKey}' must be an object of strings, found a {prop.Value.ValueKind.ToString().ToLowerInvariant()}");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw bad($"'{MetadataKey}' value for '{m.Name}' must be a string, found a {m.Value.ValueKind.ToString().ToLowerInvariant()}");
                        if (!metadata.TryAdd(m.Name, m.Value.GetString()!))
                            throw bad($"duplicate '{MetadataKey}' key '{m.Name}'");
                    }
                    continue;
                }
                if (!names.Add(name)) throw bad($"duplicate tensor name '{name}'");
                entries.Add(ParseEntry(name, prop.Value, bad));
            }
            return (entries, metadata);
        }
    }

    private static Entry ParseEntry(string name, JsonElement v, Func<string, InvalidDataException> bad)
    {
        if (v.ValueKind != JsonValueKind.Object)
            throw bad($"tensor '{name}': entry is a JSON {v.ValueKind.ToString().ToLowerInvariant()}, not an object");
        if (!v.TryGetProperty("dtype", out var dt)) throw bad($"tensor '{name}': missing 'dtype'");
        if (!v.TryGetProperty("shape", out var sh)) throw bad($"tensor '{name}': missing 'shape'");
        if (!v.TryGetProperty("data_offsets", out var off)) throw bad($"tensor '{name}': missing 'data_offsets'");

        if (dt.ValueKind != JsonValueKind.String) throw bad($"tensor '{name}': 'dtype' must be a string");
        string dtype = dt.GetString()!;
        if (Array.IndexOf(KnownDTypes, dtype) < 0)
            throw bad($"tensor '{name}': unknown or unsupported dtype '{dtype}' (supported: {string.Join(", ", KnownDTypes)})");

        if (sh.ValueKind != JsonValueKind.Array) throw bad($"tensor '{name}': 'shape' must be an array");
        var shape = new int[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim))
                throw bad($"tensor '{name}': shape entry {i} is not an integer ({d.GetRawText()})");
            if (dim < 0) throw bad($"tensor '{name}': negative dimension {dim} at index {i} of shape");
            if (dim > int.MaxValue) throw bad($"tensor '{name}': dimension {dim} at index {i} is too large");
            shape[i++] = (int)dim;
        }
        try { SafeTensor.ElementCount(shape); }
        catch (ArgumentException) { throw bad($"tensor '{name}': shape [{string.Join(", ", shape)}] has too many elements"); }

        if (off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw bad($"tensor '{name}': 'data_offsets' must be an array [begin, end]");
        long begin = OffsetAt(off, 0, name, bad), end = OffsetAt(off, 1, name, bad);
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long OffsetAt(JsonElement off, int i, string name, Func<string, InvalidDataException> bad)
    {
        var e = off[i];
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0)
            throw bad($"tensor '{name}': data_offsets[{i}] is not a non-negative integer ({e.GetRawText()})");
        return v;
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (buffer.Length > 0)
        {
            int n = RandomAccess.Read(handle, buffer, offset);
            if (n <= 0) throw new EndOfStreamException($"unexpected end of file at byte {offset}");
            buffer = buffer[n..];
            offset += n;
        }
    }

    private static void ReadTensor(SafeFileHandle handle, long offset, string dtype, float[] dst)
    {
        int size = DTypeSize(dtype);
        if (dtype == "F32" && BitConverter.IsLittleEndian)
        {
            ReadExactly(handle, MemoryMarshal.AsBytes(dst.AsSpan()), offset);
            return;
        }
        const int ChunkElems = 1 << 14;
        var buf = new byte[ChunkElems * size];
        for (int start = 0; start < dst.Length; start += ChunkElems)
        {
            int n = Math.Min(ChunkElems, dst.Length - start);
            var bytes = buf.AsSpan(0, n * size);
            ReadExactly(handle, bytes, offset + (long)start * size);
            Convert(dtype, bytes, dst.AsSpan(start, n));
        }
    }

    private static void Convert(string dtype, ReadOnlySpan<byte> b, Span<float> dst)
    {
        switch (dtype)
        {
            case "F32":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(b[(i * 4)..]);
                break;
            case "F64":
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(b[(i * 8)..]);
                break;
            case "F16":
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(b[(i * 2)..]);
                break;
            case "BF16":
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 2)..]) << 16);
                break;
            case "I64":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt64LittleEndian(b[(i * 8)..]);
                break;
            case "U64":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadUInt64LittleEndian(b[(i * 8)..]);
                break;
            case "I32":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32LittleEndian(b[(i * 4)..]);
                break;
            case "U32":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadUInt32LittleEndian(b[(i * 4)..]);
                break;
            case "I16":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt16LittleEndian(b[(i * 2)..]);
                break;
            case "U16":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 2)..]);
                break;
            case "I8":
                for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)b[i];
                break;
            case "U8":
                for (int i = 0; i < dst.Length; i++) dst[i] = b[i];
                break;
            case "BOOL":
                for (int i = 0; i < dst.Length; i++) dst[i] = b[i] != 0 ? 1f : 0f;
                break;
            default:
                throw new InvalidOperationException($"unhandled dtype {dtype}");
        }
    }
}
