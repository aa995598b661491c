using NetBlocks.Data;
using static NetBlocks.Tests.Data.DataTestSupport;

namespace NetBlocks.Tests.Data;

/// <summary>Finding, downloading and verifying the dataset files, on a tiny look-alike source and a fake HTTP handler.</summary>
public sealed class FashionMnistLoadTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Func<string, string?> Env(string? dataVar = null) =>
        name => name == DataOptions.EnvironmentVariable ? dataVar : null;

    private DataOptions Options(string? env = null, FakeHttpHandler? http = null, bool download = true) => new()
    {
        GetEnvironmentVariable = Env(env),
        CacheRoot = _dir["cache"],
        Http = http is null ? null : new HttpClient(http),
        Download = download,
        Log = TextWriter.Null,
    };

    private static void Put(string dir, IReadOnlyDictionary<string, byte[]> files, bool gzip = false)
    {
        Directory.CreateDirectory(dir);
        foreach (var (name, content) in files)
            File.WriteAllBytes(Path.Combine(dir, name + (gzip ? ".gz" : "")), gzip ? Gzip(content) : content);
    }

    [Fact]
    public void CanonicalSource_IsTheSeedsMirror_WithFourHashes()
    {
        var s = FashionMnist.Source;
        Assert.Equal("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", s.BaseUrl);
        Assert.Equal(["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
                     s.Files.Select(f => f.Name));
        Assert.All(s.Files, f => Assert.Matches("^[0-9a-f]{64}$", f.Sha256));
        Assert.Equal(["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"],
                     FashionMnist.TextLabels);
        Assert.Equal("ankle boot", FashionMnist.TextLabel(9));
    }

    [Fact]
    public void DirectoryPrecedence_DataArgument_ThenEnvironment_ThenCache()
    {
        var (source, _) = TinySource();
        var o = Options(env: _dir["env"]);
        Assert.Equal((_dir["arg"], "given with --data"), DataFiles.ChooseDirectory(source, _dir["arg"], o));
        var (envDir, envOrigin) = DataFiles.ChooseDirectory(source, null, o);
        Assert.Equal(_dir["env"], envDir);
        Assert.Contains("NETBLOCKS_DATA", envOrigin);
        var (cacheDir, cacheOrigin) = DataFiles.ChooseDirectory(source, null, Options());
        Assert.Equal(Path.Combine(_dir["cache"], "tiny-mnist"), cacheDir);
        Assert.Contains("cache", cacheOrigin);

        var xdg = DataFiles.DefaultCacheRoot(n => n == "XDG_CACHE_HOME" ? "/x/cache" : null);
        Assert.Equal(Path.Combine("/x/cache", "netblocks"), xdg);
    }

    [Fact]
    public void Load_UsesDataArgumentOverEnvironmentOverCache()
    {
        var (source, files) = TinySource(train: 20);
        var (_, other) = TinySource(train: 40);
        var otherSource = source with { Files = other.Select(kv => new DatasetFile(kv.Key, Sha256(kv.Value))).ToList() };
        Put(_dir["arg"], files);
        Put(_dir["env"], other);
        var o = Options(env: _dir["env"]) with { VerifyHashes = false };

        Assert.Equal(20, FashionMnist.Load(source, _dir["arg"], o).Train.Count);
        Assert.Equal(40, FashionMnist.Load(otherSource, null, o).Train.Count);
        Put(Path.Combine(_dir["cache"], "tiny-mnist"), files, gzip: true);
        Assert.Equal(20, FashionMnist.Load(source, null, Options()).Train.Count);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("", true)]
    [InlineData("TinyMNIST/raw", false)]   // torchvision's layout under its root
    [InlineData("tiny-mnist", true)]       // a data root holding several datasets
    public void Load_AcceptsCanonicalNames_WithOrWithoutGz_AndTorchvisionLayout(string sub, bool gzip)
    {
        var (source, files) = TinySource(train: 30, test: 10);
        Put(Path.Combine(_dir["root"], sub), files, gzip);
        var data = FashionMnist.Load(source, _dir["root"], Options(download: false));
        Assert.Equal((30, 28, 28), (data.Train.Count, data.Train.Height, data.Train.Width));
        Assert.Equal(10, data.Test.Count);
        Assert.Equal(FashionMnist.TextLabels, data.Train.ClassNames);
        Assert.Equal(files["train-labels-idx1-ubyte"][8..], data.Train.Labels);
    }

    [Fact]
    public void MissingFiles_MessageListsDirectoryFourNamesAndHowToPointAtThem()
    {
        var (source, files) = TinySource();
        Put(_dir["data"], files.Where(kv => kv.Key.StartsWith("train", StringComparison.Ordinal)).ToDictionary());
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(source, _dir["data"], Options(download: false)));
        Assert.Contains($"2 of 4 files missing in {_dir["data"]}", e.Message);
        foreach (var name in files.Keys) Assert.Contains(Path.Combine(_dir["data"], name + ".gz"), e.Message);
        Assert.Contains("--data DIR", e.Message);
        Assert.Contains("NETBLOCKS_DATA", e.Message);
        Assert.Contains("TinyMNIST/raw", e.Message);
    }

    [Fact]
    public void Download_WithCorrectHash_IsCachedAndThenReused()
    {
        var (source, files) = TinySource();
        var http = FakeHttpHandler.Serving(source.BaseUrl, files);
        var data = FashionMnist.Load(source, null, Options(http: http));
        Assert.Equal(30, data.Train.Count);
        Assert.Equal(4, http.Requests.Count);
        Assert.Contains(new Uri(source.BaseUrl + "t10k-labels-idx1-ubyte.gz"), http.Requests);

        string cache = Path.Combine(_dir["cache"], "tiny-mnist");
        Assert.Equal(files.Keys.Select(k => k + ".gz").Order(), Directory.GetFiles(cache).Select(Path.GetFileName).Order());
        Assert.All(data.Paths.Values, p => Assert.StartsWith(cache, p));

        // Second load: everything comes from the cache.
        var again = FashionMnist.Load(source, null, Options(http: FakeHttpHandler.Offline()));
        Assert.Equal(data.Train.Pixels, again.Train.Pixels);
    }

    [Fact]
    public void Download_OnlyFetchesMissingFiles()
    {
        var (source, files) = TinySource();
        string cache = Path.Combine(_dir["cache"], "tiny-mnist");
        Put(cache, files.Where(kv => kv.Key != "t10k-images-idx3-ubyte").ToDictionary());
        var http = FakeHttpHandler.Serving(source.BaseUrl, files);
        FashionMnist.Load(source, null, Options(http: http));
        Assert.Equal([new Uri(source.BaseUrl + "t10k-images-idx3-ubyte.gz")], http.Requests);
    }

    [Fact]
    public void Download_WithWrongContent_FailsOnHash_AndCachesNothing()
    {
        var (source, files) = TinySource();
        var tampered = files.ToDictionary(kv => kv.Key, kv => (byte[])kv.Value.Clone());
        tampered["train-images-idx3-ubyte"][100] ^= 1;
        var http = FakeHttpHandler.Serving(source.BaseUrl, tampered);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(source, null, Options(http: http)));
        Assert.Contains(source.BaseUrl + "train-images-idx3-ubyte.gz", e.Message);
        Assert.Contains("SHA-256", e.Message);
        Assert.Contains(source.Files[0].Sha256, e.Message);
        Assert.Contains("nothing was written", e.Message);
        string cache = Path.Combine(_dir["cache"], "tiny-mnist");
        Assert.Empty(Directory.GetFiles(cache, "train-images*"));
        Assert.Empty(Directory.GetFiles(cache, "*.part"));
    }

    [Fact]
    public void Offline_SaysWhereTheFilesMustGo()
    {
        var (source, files) = TinySource();
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(source, null, Options(http: FakeHttpHandler.Offline())));
        string cache = Path.Combine(_dir["cache"], "tiny-mnist");
        Assert.Contains($"4 of 4 files missing in {cache}", e.Message);
        Assert.Contains("Name or service not known", e.Message);
        Assert.Contains(source.BaseUrl + "train-images-idx3-ubyte.gz", e.Message);
        foreach (var name in files.Keys) Assert.Contains(Path.Combine(cache, name + ".gz"), e.Message);
        Assert.Contains("--data DIR", e.Message);
        Assert.Contains("NETBLOCKS_DATA=DIR", e.Message);
        Assert.IsType<HttpRequestException>(e.InnerException);
        Assert.Empty(Directory.GetFiles(cache));
    }

    [Fact]
    public void Http404_IsReportedLikeOffline()
    {
        var (source, _) = TinySource();
        var http = FakeHttpHandler.Serving(source.BaseUrl, new Dictionary<string, byte[]>());
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(source, null, Options(http: http)));
        Assert.Contains("404", e.Message);
    }

    [Fact]
    public void LocalFileWithCanonicalNameButWrongHash_IsRejected_UnlessVerificationIsOff()
    {
        var (source, files) = TinySource();
        var changed = files.ToDictionary(kv => kv.Key, kv => (byte[])kv.Value.Clone());
        changed["t10k-labels-idx1-ubyte"][9] = 3;
        Put(_dir["data"], changed);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(source, _dir["data"], Options(download: false)));
        Assert.Contains(Path.Combine(_dir["data"], "t10k-labels-idx1-ubyte"), e.Message);
        Assert.Contains("SHA-256", e.Message);
        Assert.Contains("VerifyHashes", e.Message);
        var data = FashionMnist.Load(source, _dir["data"], Options(download: false) with { VerifyHashes = false });
        Assert.Equal(3, data.Test.Labels[1]);
    }

    [Fact]
    public void CountMismatchBetweenImagesAndLabels_IsReported()
    {
        var (source, files) = TinySource(train: 30);
        files["train-labels-idx1-ubyte"] = IdxBytes([29], new byte[29]);
        Put(_dir["data"], files);
        var e = Assert.Throws<InvalidDataException>(() =>
            FashionMnist.Load(source, _dir["data"], Options(download: false) with { VerifyHashes = false }));
        Assert.Contains("30 images", e.Message);
        Assert.Contains("29 labels", e.Message);
        Assert.Contains(Path.Combine(_dir["data"], "train-labels-idx1-ubyte"), e.Message);
    }
}
