using System.Buffers.Binary;
using System.Text;
using NetBlocks.Serialization;
using NetBlocks.Tests.Support;

namespace NetBlocks.Tests.Serialization;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("netblocks-safetensors-");

    public void Dispose()
    {
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>Writes a raw file: u64 header length (or an override), header bytes, data bytes.</summary>
    private string WriteRaw(string name, string header, byte[]? data = null, ulong? headerLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + (data?.Length ?? 0)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data?.CopyTo(bytes, 8 + h.Length);
        string path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static InvalidDataException ReadFails(string path)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.StartsWith(path, e.Message);
        return e;
    }

    private static void AssertBitwiseEqual(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(actual[i]));
    }

    // ------------------------------------------------------------------ round trip

    [Fact]
    public void RoundTrip_PreservesShapesValuesAndMetadata()
    {
        var rank4 = Enumerable.Range(0, 2 * 3 * 4 * 5).Select(i => MathF.Sin(i) * 10).ToArray();
        var tensors = new List<SafeTensor>
        {
            new("layer.weight", [2, 3, 4, 5], rank4),
            new("scalar", [], [3.5f]),
            new("special", [5], [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon]),
            new("empty", [0, 4], []),
            new("a.bias", [3], [1f, -2f, 1e-30f]),
        };
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "3", ["note"] = "ünïcode \"quoted\" <x>" };
        string path = PathOf("rt.safetensors");

        SafeTensors.Write(path, tensors, meta);
        var file = SafeTensors.Read(path);

        // Written sorted by name, read back in file order.
        Assert.Equal(["a.bias", "empty", "layer.weight", "scalar", "special"], file.Tensors.Keys);
        foreach (var t in tensors)
        {
            var back = file.Tensors[t.Name];
            Assert.Equal(t.Name, back.Name);
            Assert.Equal(t.Shape, back.Shape);
            AssertBitwiseEqual(t.Data, back.Data);
            Assert.Equal("F32", file.SourceDTypes[t.Name]);
        }
        Assert.Empty(file.Tensors["scalar"].Shape);
        Assert.Single(file.Tensors["scalar"].Data);
        Assert.Equal(meta, file.Metadata);
        Assert.Equal(path, file.Path);
    }

    [Fact]
    public void Write_WithoutMetadata_ReadsEmptyMetadata()
    {
        string path = PathOf("nometa.safetensors");
        SafeTensors.Write(path, [new SafeTensor("x", [2], [1f, 2f])]);
        var file = SafeTensors.Read(path);
        Assert.Empty(file.Metadata);
        Assert.DoesNotContain("__metadata__", Encoding.UTF8.GetString(File.ReadAllBytes(path)));
    }

    [Fact]
    public void Write_HeaderLayoutMatchesPythonLibrary()
    {
        string path = PathOf("layout.safetensors");
        SafeTensors.Write(path,
            [new SafeTensor("b", [2], [1f, 2f]), new SafeTensor("a", [], [5f])],
            new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal(
            "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            header.TrimEnd(' '));
        Assert.Equal(8 + (int)n + 12, bytes.Length);
        // Data buffer: a then b, little-endian float32.
        Assert.Equal(5f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n)));
        Assert.Equal(2f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n + 8)));
    }

    [Fact]
    public void Write_RejectsInconsistentTensors_AndCreatesNoFile()
    {
        string path = PathOf("bad.safetensors");
        var e1 = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new SafeTensor("x", [2, 3], new float[5])]));
        Assert.Contains("'x'", e1.Message);
        Assert.Contains("6 elements but Data has 5", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path,
            [new SafeTensor("x", [1], [1f]), new SafeTensor("x", [1], [2f])]));
        Assert.Contains("duplicate tensor name 'x'", e2.Message);
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new SafeTensor("__metadata__", [1], [1f])]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new SafeTensor("neg", [-1], [])]));
        Assert.Empty(_dir.GetFiles());
    }

    // ------------------------------------------------------------------ atomicity

    [Fact]
    public void Write_LeavesNoTempFiles_AndReplacesExistingFile()
    {
        string path = PathOf("model.safetensors");
        SafeTensors.Write(path, [new SafeTensor("w", [4], [1f, 2f, 3f, 4f]), new SafeTensor("old", [1], [9f])]);
        Assert.Equal(["model.safetensors"], _dir.GetFiles().Select(f => f.Name));

        SafeTensors.Write(path, [new SafeTensor("w", [2], [7f, 8f])], new Dictionary<string, string> { ["step"] = "2" });
        Assert.Equal(["model.safetensors"], _dir.GetFiles().Select(f => f.Name));

        var file = SafeTensors.Read(path);
        Assert.Equal(["w"], file.Tensors.Keys);
        Assert.Equal([7f, 8f], file.Tensors["w"].Data);
        Assert.Equal("2", file.Metadata["step"]);
    }

    [Fact]
    public void Write_FailureDeletesTempFile_AndKeepsTarget()
    {
        // The target is a directory: the final move fails after the temp file was written.
        string target = PathOf("occupied");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "x");

        Assert.ThrowsAny<Exception>(() => SafeTensors.Write(target, [new SafeTensor("w", [1], [1f])]));

        Assert.Empty(_dir.GetFiles());  // no "occupied.tmp-..." left behind
        Assert.True(File.Exists(Path.Combine(target, "keep.txt")));
    }

    // ------------------------------------------------------------------ dtype conversion

    [Fact]
    public void Read_ConvertsAllSupportedDTypesToFloat32()
    {
        var data = new MemoryStream();
        var w = new BinaryWriter(data);
        w.Write(1.5); w.Write(-2.25);                                   // F64  [0,16)
        w.Write((Half)0.5f); w.Write((Half)(-3f)); w.Write((Half)65504f); // F16  [16,22)
        w.Write((ushort)0x3FC0); w.Write((ushort)0xC040);               // BF16 [22,26): 1.5, -3
        w.Write(7L); w.Write(-9L);                                      // I64  [26,42)
        w.Write(123456); w.Write(-1);                                   // I32  [42,50)
        w.Write((byte)0); w.Write((byte)255);                           // U8   [50,52)
        w.Write((byte)0); w.Write((byte)1); w.Write((byte)1);           // BOOL [52,55)
        w.Write((sbyte)-5);                                             // I8   [55,56)
        w.Write((short)-300);                                           // I16  [56,58)
        w.Flush();
        string header = """
            {"f64":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},
             "f16":{"dtype":"F16","shape":[3],"data_offsets":[16,22]},
             "bf16":{"dtype":"BF16","shape":[2],"data_offsets":[22,26]},
             "i64":{"dtype":"I64","shape":[2,1],"data_offsets":[26,42]},
             "i32":{"dtype":"I32","shape":[2],"data_offsets":[42,50]},
             "u8":{"dtype":"U8","shape":[2],"data_offsets":[50,52]},
             "bool":{"dtype":"BOOL","shape":[3],"data_offsets":[52,55]},
             "i8":{"dtype":"I8","shape":[],"data_offsets":[55,56]},
             "i16":{"dtype":"I16","shape":[1],"data_offsets":[56,58]}}
            """;
        var file = SafeTensors.Read(WriteRaw("dtypes.safetensors", header, data.ToArray()));

        Assert.Equal([1.5f, -2.25f], file.Tensors["f64"].Data);
        Assert.Equal([0.5f, -3f, 65504f], file.Tensors["f16"].Data);
        Assert.Equal([1.5f, -3f], file.Tensors["bf16"].Data);
        Assert.Equal([7f, -9f], file.Tensors["i64"].Data);
        Assert.Equal([2, 1], file.Tensors["i64"].Shape);
        Assert.Equal([123456f, -1f], file.Tensors["i32"].Data);
        Assert.Equal([0f, 255f], file.Tensors["u8"].Data);
        Assert.Equal([0f, 1f, 1f], file.Tensors["bool"].Data);
        Assert.Equal([-5f], file.Tensors["i8"].Data);
        Assert.Equal([-300f], file.Tensors["i16"].Data);
        Assert.Equal("I64", file.SourceDTypes["i64"]);
        Assert.Equal(["f64", "f16", "bf16", "i64", "i32", "u8", "bool", "i8", "i16"], file.Tensors.Keys);
    }

    [Fact]
    public void Read_AcceptsSpacePaddedHeader()
    {
        string header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}" + new string(' ', 5);
        var file = SafeTensors.Read(WriteRaw("padded.safetensors", header, BitConverter.GetBytes(2.5f)));
        Assert.Equal([2.5f], file.Tensors["x"].Data);
    }

    // ------------------------------------------------------------------ errors

    [Fact]
    public void Read_FileShorterThan8Bytes()
    {
        string path = PathOf("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5]);
        var e = ReadFails(path);
        Assert.Contains("5 bytes, shorter than the 8-byte header length", e.Message);
    }

    [Fact]
    public void Read_HeaderLengthLargerThanFile()
    {
        string path = WriteRaw("hdrlen.safetensors", "{}", headerLength: 1000);
        var e = ReadFails(path);
        Assert.Contains("header length 1000 is larger than the file (10 bytes", e.Message);
    }

    [Fact]
    public void Read_HugeHeaderLength()
    {
        // A random 8-byte prefix (e.g. a pickle .pt file) reads as an enormous length.
        string path = WriteRaw("huge.safetensors", "{}", headerLength: ulong.MaxValue);
        var e = ReadFails(path);
        Assert.Contains($"header length {ulong.MaxValue} is larger than the file", e.Message);
    }

    [Fact]
    public void Read_HeaderNotJson()
    {
        var e = ReadFails(WriteRaw("notjson.safetensors", "{\"x\": {\"dtype\": "));
        Assert.Contains("header is not valid JSON", e.Message);
    }

    [Fact]
    public void Read_HeaderNotUtf8()
    {
        string path = PathOf("notutf8.safetensors");
        var bytes = new byte[8 + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 4);
        bytes[8] = (byte)'"'; bytes[9] = 0xFF; bytes[10] = 0xFE; bytes[11] = (byte)'"';
        File.WriteAllBytes(path, bytes);
        var e = ReadFails(path);
        Assert.Contains("header is not valid UTF-8", e.Message);
    }

    [Theory]
    [InlineData("[1, 2]", "array")]
    [InlineData("\"text\"", "string")]
    [InlineData("42", "number")]
    public void Read_HeaderNotAnObject(string header, string kind)
    {
        var e = ReadFails(WriteRaw("notobj.safetensors", header));
        Assert.Contains($"header is a JSON {kind}, not an object", e.Message);
    }

    [Fact]
    public void Read_EntryNotAnObject()
    {
        var e = ReadFails(WriteRaw("entry.safetensors", "{\"w\": [1, 2]}"));
        Assert.Contains("tensor 'w': entry is a JSON array, not an object", e.Message);
    }

    [Theory]
    [InlineData("dtype", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("shape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}")]
    [InlineData("data_offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}")]
    public void Read_EntryMissingField(string field, string header)
    {
        var e = ReadFails(WriteRaw("missing.safetensors", header, new byte[4]));
        Assert.Contains($"tensor 'w': missing '{field}'", e.Message);
    }

    [Theory]
    [InlineData("Q4")]
    [InlineData("F8_E4M3")]
    [InlineData("f32")]
    public void Read_UnknownDType(string dtype)
    {
        var e = ReadFails(WriteRaw("dtype.safetensors",
            $"{{\"w\":{{\"dtype\":\"{dtype}\",\"shape\":[1],\"data_offsets\":[0,4]}}}}", new byte[4]));
        Assert.Contains($"tensor 'w': unknown or unsupported dtype '{dtype}'", e.Message);
    }

    [Fact]
    public void Read_NegativeDimension()
    {
        var e = ReadFails(WriteRaw("neg.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[3,-2],\"data_offsets\":[0,0]}}"));
        Assert.Contains("tensor 'w': negative dimension -2 at index 1", e.Message);
    }

    [Fact]
    public void Read_NonIntegerDimension()
    {
        var e = ReadFails(WriteRaw("frac.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4]));
        Assert.Contains("tensor 'w': shape entry 0 is not an integer (1.5)", e.Message);
    }

    [Fact]
    public void Read_OffsetsDoNotMatchShape()
    {
        var e = ReadFails(WriteRaw("size.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[12]));
        Assert.Contains("tensor 'w': data_offsets [0, 8] span 8 bytes but shape [3] of F32 needs 12 bytes", e.Message);

        var e2 = ReadFails(WriteRaw("size64.safetensors",
            "{\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[8]));
        Assert.Contains("shape [] of I64 needs 8 bytes", e2.Message);
    }

    [Fact]
    public void Read_InvalidOffsets()
    {
        var e = ReadFails(WriteRaw("backwards.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", new byte[8]));
        Assert.Contains("tensor 'w': invalid data_offsets [8, 4]", e.Message);

        var e2 = ReadFails(WriteRaw("negoff.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", new byte[8]));
        Assert.Contains("tensor 'w': data_offsets[0] is not a non-negative integer (-4)", e2.Message);

        var e3 = ReadFails(WriteRaw("oneoff.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[8]));
        Assert.Contains("'data_offsets' must be an array [begin, end]", e3.Message);
    }

    [Fact]
    public void Read_TruncatedFile_SaysExpectedAndActualSize()
    {
        string path = PathOf("truncated.safetensors");
        SafeTensors.Write(path, [new SafeTensor("a", [4], [1f, 2f, 3f, 4f]), new SafeTensor("b", [2, 2], [5f, 6f, 7f, 8f])]);
        long full = new FileInfo(path).Length;
        using (var fs = new FileStream(path, FileMode.Open)) fs.SetLength(full - 6);

        var e = ReadFails(path);
        Assert.Contains("file is truncated", e.Message);
        Assert.Contains("tensor 'b'", e.Message);
        Assert.Contains($"expected a file of at least {full} bytes, actual {full - 6} bytes", e.Message);
    }

    [Fact]
    public void Read_OverlappingOffsets()
    {
        var e = ReadFails(WriteRaw("overlap.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]));
        Assert.Contains("tensors 'a' [0, 8) and 'b' [4, 12) have overlapping data_offsets", e.Message);
    }

    [Fact]
    public void Read_MetadataMustBeStrings()
    {
        var e = ReadFails(WriteRaw("meta.safetensors", "{\"__metadata__\":{\"epoch\":3}}"));
        Assert.Contains("'__metadata__' value for 'epoch' must be a string, found a number", e.Message);
    }

    [Fact]
    public void Read_DuplicateTensorName()
    {
        var e = ReadFails(WriteRaw("dup.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]));
        Assert.Contains("duplicate tensor name 'a'", e.Message);
    }

    [Fact]
    public void Read_EmptyFileList_IsValid()
    {
        var file = SafeTensors.Read(WriteRaw("empty.safetensors", "{}"));
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    // ------------------------------------------------------------------ PyTorch-written files

    [Fact]
    public void Read_PyTorchFixture_WithInt64AndFloat32()
    {
        var f = OpFixture.Load("ops/batch_norm2d_train").File;
        Assert.Equal("I64", f.SourceDTypes["param.num_batches_tracked"]);
        Assert.Equal("I64", f.SourceDTypes["after.num_batches_tracked"]);
        Assert.Empty(f.Tensors["after.num_batches_tracked"].Shape);
        Assert.Equal([0f], f.Tensors["param.num_batches_tracked"].Data);
        Assert.Equal([1f], f.Tensors["after.num_batches_tracked"].Data);
        Assert.Equal("F32", f.SourceDTypes["input"]);
        Assert.Equal([2, 4, 5, 5], f.Tensors["input"].Shape);
        Assert.Equal("batch_norm2d", f.Metadata["op"]);

        var ce = OpFixture.Load("ops/cross_entropy").File;
        Assert.Equal("I64", ce.SourceDTypes["target"]);
        Assert.Equal([6], ce.Tensors["target"].Shape);
        Assert.All(ce.Tensors["target"].Data, v => Assert.True(v >= 0 && v < 10 && v == MathF.Floor(v)));
        Assert.Empty(ce.Tensors["output"].Shape);  // scalar loss
    }

    [Fact]
    public void Read_PyTorchStateDict_HasExactKeys()
    {
        var f = OpFixture.Load("ops/state_dict_torch").File;
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal(
            ["0.0.bias", "0.0.weight", "0.1.bias", "0.1.num_batches_tracked", "0.1.running_mean",
             "0.1.running_var", "0.1.weight", "2.bias", "2.weight"],
            f.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("I64", f.SourceDTypes["0.1.num_batches_tracked"]);
        Assert.Equal([3f], f.Tensors["0.1.num_batches_tracked"].Data);
        Assert.Equal([4, 1, 3, 3], f.Tensors["0.0.weight"].Shape);
        Assert.Equal([10, 64], f.Tensors["2.weight"].Shape);
    }

    [Fact]
    public void PyTorchFixture_RewrittenByNetBlocks_IsIdenticalAsFloat32()
    {
        // Re-writing an all-F32 PyTorch file reproduces the same bytes (same layout rules);
        // PyTorch-side check of a NetBlocks file: /usr/bin/python3 tools/check_safetensors.py FILE
        var src = OpFixture.Load("ops/linear").File;
        string path = PathOf("linear.safetensors");
        SafeTensors.Write(path, src.Tensors.Values.ToList(), src.Metadata);
        Assert.Equal(File.ReadAllBytes(src.Path), File.ReadAllBytes(path));
    }
}
