using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using NetBlocks.Data;

namespace NetBlocks.Tests.Data;

/// <summary>A fresh directory under the system temp folder, deleted on Dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "netblocks-data-" + Guid.NewGuid().ToString("N")[..12]);

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Small synthetic IDX content and a fake HTTP server for the data tests (no network, no real dataset).</summary>
public static class DataTestSupport
{
    /// <summary>Raw IDX bytes: header <c>00 00 type rank</c>, big-endian dims, then <paramref name="data"/>.</summary>
    public static byte[] IdxBytes(int[] dims, byte[] data, byte type = 0x08, int? rank = null)
    {
        var b = new byte[4 + 4 * dims.Length + data.Length];
        b[2] = type;
        b[3] = (byte)(rank ?? dims.Length);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(b, 4 + 4 * dims.Length);
        return b;
    }

    public static byte[] Gzip(byte[] content)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(content);
        return ms.ToArray();
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>n images of h×w whose pixels encode the index (pixel 0 = index mod 251, the rest a pattern), labels i mod 10.</summary>
    public static (byte[] Images, byte[] Labels) Synthetic(int n, int h = 28, int w = 28)
    {
        var images = new byte[n * h * w];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = (byte)(i % 10);
            for (int p = 0; p < h * w; p++)
                images[i * h * w + p] = (byte)((i * 37 + p * 11 + (p / w) * (p % w)) % 256);
            images[i * h * w] = (byte)(i % 251);
        }
        return (images, labels);
    }

    public static ImageDataset Dataset(int n, int h = 28, int w = 28)
    {
        var (x, y) = Synthetic(n, h, w);
        return new ImageDataset(x, y, n, h, w, name: "synthetic");
    }

    /// <summary>The four files of a tiny Fashion-MNIST look-alike (train n, test m) and a source whose hashes match them.</summary>
    public static (DatasetSource Source, Dictionary<string, byte[]> Files) TinySource(int train = 30, int test = 10,
        string baseUrl = "http://mirror.invalid/tiny/")
    {
        var (trX, trY) = Synthetic(train);
        var (teX, teY) = Synthetic(test);
        var files = new Dictionary<string, byte[]>
        {
            ["train-images-idx3-ubyte"] = IdxBytes([train, 28, 28], trX),
            ["train-labels-idx1-ubyte"] = IdxBytes([train], trY),
            ["t10k-images-idx3-ubyte"] = IdxBytes([test, 28, 28], teX),
            ["t10k-labels-idx1-ubyte"] = IdxBytes([test], teY),
        };
        var source = new DatasetSource("tiny-mnist", "Tiny-MNIST", baseUrl, "TinyMNIST",
            files.Select(kv => new DatasetFile(kv.Key, Sha256(kv.Value))).ToList());
        return (source, files);
    }
}

/// <summary>An HttpMessageHandler answering from a function: a served file, a 404, or an exception (offline).</summary>
public sealed class FakeHttpHandler(Func<Uri, HttpResponseMessage> respond) : HttpMessageHandler
{
    public List<Uri> Requests { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (Requests) Requests.Add(request.RequestUri!);
        return Task.FromResult(respond(request.RequestUri!));
    }

    /// <summary>Serves <c>&lt;base&gt;&lt;name&gt;.gz</c> as the gzip of files[name]; anything else is a 404.</summary>
    public static FakeHttpHandler Serving(string baseUrl, IReadOnlyDictionary<string, byte[]> files) => new(uri =>
    {
        string s = uri.ToString();
        foreach (var (name, content) in files)
            if (s == baseUrl + name + ".gz")
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(DataTestSupport.Gzip(content)) };
        return new HttpResponseMessage(HttpStatusCode.NotFound);
    });

    public static FakeHttpHandler Offline() => new(uri =>
        throw new HttpRequestException($"Name or service not known ({uri.Host}:80)"));
}
