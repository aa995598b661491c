using System.Buffers.Binary;
using System.Text;
using NetBlocks.Serialization;

namespace NetBlocks.Tests.Serialization;

/// <summary>Element counts of safetensors shapes go through the checked size helper: a product past 2^63 is an error naming the tensor.</summary>
public sealed class SafeTensorsSizeTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("netblocks-safetensors-size-");
    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Read_ShapeWithTooManyElements()
    {
        var header = Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,4]}}");
        var bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        var path = Path.Combine(_dir.FullName, "huge.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Equal($"{path}: tensor 'w': shape [2147483647, 2147483647, 2147483647] has too many elements", e.Message);
    }

    [Fact]
    public void Write_RejectsANegativeDimensionNamingTheTensor()
    {
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(Path.Combine(_dir.FullName, "neg.safetensors"), [new SafeTensor("w", [2, -1], [])]));
        Assert.StartsWith("tensor 'w': shape (2, -1) has a negative size -1", e.Message);
    }
}
