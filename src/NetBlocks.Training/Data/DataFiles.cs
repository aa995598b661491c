using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace NetBlocks.Data;

/// <summary>One file of a dataset: its canonical name without <c>.gz</c> and the SHA-256 of its decompressed content.</summary>
public sealed record DatasetFile(string Name, string Sha256);

/// <summary>
/// Where a dataset comes from: the cache folder name (<see cref="Name"/>), the mirror serving
/// <c>&lt;BaseUrl&gt;&lt;file&gt;.gz</c>, the folder torchvision uses under its root (<c>FashionMNIST</c>, whose
/// files live in <c>FashionMNIST/raw/</c>) and the files.
/// </summary>
public sealed record DatasetSource(string Name, string DisplayName, string BaseUrl, string TorchvisionFolder,
                                   IReadOnlyList<DatasetFile> Files);

/// <summary>How <see cref="DataFiles.Locate"/> and <see cref="FashionMnist.Load"/> find, fetch and check files.</summary>
public sealed record DataOptions
{
    /// <summary>Environment variable naming a data directory when no <c>--data</c> directory is given.</summary>
    public const string EnvironmentVariable = "NETBLOCKS_DATA";

    /// <summary>Client used to download missing files (default: a shared client). Tests pass a fake handler.</summary>
    public HttpClient? Http { get; init; }

    /// <summary>Download missing files into the chosen directory (default true).</summary>
    public bool Download { get; init; } = true;

    /// <summary>Check the SHA-256 of files found on disk too (downloads are always checked). Default true; costs ≈0.1 s.</summary>
    public bool VerifyHashes { get; init; } = true;

    /// <summary>Root of the per-user cache (default <see cref="DataFiles.DefaultCacheRoot"/>); the dataset goes to <c>&lt;root&gt;/&lt;name&gt;</c>.</summary>
    public string? CacheRoot { get; init; }

    /// <summary>Environment lookup (default <see cref="Environment.GetEnvironmentVariable(string)"/>); replaceable for tests.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Where download progress is written (default standard error; <see cref="TextWriter.Null"/> for silence).</summary>
    public TextWriter? Log { get; init; } = Console.Error;

    public CancellationToken CancellationToken { get; init; }
}

/// <summary>
/// Finds a dataset's files on disk, downloading the missing ones into the per-user cache (or the directory the user
/// chose). The directory is chosen once, by precedence: the <c>dataDir</c> argument (the CLI's <c>--data DIR</c>),
/// else <c>$NETBLOCKS_DATA</c>, else <see cref="DefaultCacheRoot"/>/&lt;dataset&gt;. Inside it a file may be
/// <c>&lt;name&gt;</c> or <c>&lt;name&gt;.gz</c>, directly or under <c>&lt;dataset&gt;/</c> or torchvision's
/// <c>&lt;Folder&gt;/raw/</c>.
/// </summary>
public static class DataFiles
{
    private static readonly Lazy<HttpClient> SharedHttp = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(5) });

    /// <summary>
    /// The per-user cache root: <c>$XDG_CACHE_HOME/netblocks</c> when set, else <c>~/.cache/netblocks</c> on Unix,
    /// else <c>%LOCALAPPDATA%\netblocks</c>.
    /// </summary>
    public static string DefaultCacheRoot(Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        string? xdg = getEnv("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "netblocks");
        if (!OperatingSystem.IsWindows())
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (!string.IsNullOrEmpty(home)) return Path.Combine(home, ".cache", "netblocks");
        }
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "netblocks");
    }

    /// <summary>The directory searched for <paramref name="source"/> and a phrase saying why it was chosen.</summary>
    public static (string Directory, string Origin) ChooseDirectory(DatasetSource source, string? dataDir, DataOptions? options = null)
    {
        options ??= new DataOptions();
        if (!string.IsNullOrWhiteSpace(dataDir))
            return (Path.GetFullPath(dataDir), "given with --data");
        string? env = options.GetEnvironmentVariable(DataOptions.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env))
            return (Path.GetFullPath(env), $"from ${DataOptions.EnvironmentVariable}");
        string root = options.CacheRoot ?? DefaultCacheRoot(options.GetEnvironmentVariable);
        return (Path.GetFullPath(Path.Combine(root, source.Name)),
                $"the per-user cache; no --data given and ${DataOptions.EnvironmentVariable} is not set");
    }

    /// <summary>The path of <paramref name="file"/> under <paramref name="directory"/> in any accepted layout, or null.</summary>
    public static string? FindFile(DatasetSource source, string directory, DatasetFile file)
    {
        foreach (string sub in new[] { "", source.Name, Path.Combine(source.TorchvisionFolder, "raw") })
            foreach (string ext in new[] { "", ".gz" })
            {
                string p = Path.Combine(directory, sub, file.Name + ext);
                if (File.Exists(p)) return p;
            }
        return null;
    }

    /// <summary>
    /// The path of every file of <paramref name="source"/> (by file name), downloading missing ones into the chosen
    /// directory when <see cref="DataOptions.Download"/> is on. A download is kept only if the SHA-256 of its
    /// decompressed content is the expected one; it is written atomically (temp file, then move).
    /// </summary>
    /// <exception cref="FileNotFoundException">files are missing and could not be downloaded; the message says where
    /// they must go and how to point NetBlocks at them.</exception>
    /// <exception cref="InvalidDataException">a downloaded file has the wrong content.</exception>
    public static IReadOnlyDictionary<string, string> Locate(DatasetSource source, string? dataDir, DataOptions? options = null)
    {
        options ??= new DataOptions();
        var (dir, origin) = ChooseDirectory(source, dataDir, options);
        var found = new Dictionary<string, string>();
        var missing = new List<DatasetFile>();
        foreach (var f in source.Files)
        {
            if (FindFile(source, dir, f) is string p) found[f.Name] = p;
            else missing.Add(f);
        }
        if (missing.Count == 0) return found;
        if (!options.Download)
            throw new FileNotFoundException(MissingMessage(source, dir, origin, missing, "downloading is turned off"));

        foreach (var f in missing)
        {
            try
            {
                found[f.Name] = DownloadAsync(source, dir, f, options).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (options.CancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or UnauthorizedAccessException or TaskCanceledException)
            {
                string url = source.BaseUrl + f.Name + ".gz";
                throw new FileNotFoundException(
                    MissingMessage(source, dir, origin, missing.Where(m => !found.ContainsKey(m.Name)).ToList(),
                                   $"downloading {url} failed: {Describe(e)}"), e);
            }
        }
        return found;
    }

    private static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
            if (!parts.Contains(x.Message)) parts.Add(x.Message);
        return string.Join(" → ", parts);
    }

    /// <summary>The text telling a user where the files must go and how to point NetBlocks at them.</summary>
    internal static string MissingMessage(DatasetSource source, string dir, string origin, IReadOnlyList<DatasetFile> missing, string why)
    {
        var sb = new StringBuilder();
        sb.Append($"{source.DisplayName} not found: {missing.Count} of {source.Files.Count} files missing in {dir} ({origin}), and {why}.\n");
        sb.Append($"Put the {source.Files.Count} files (gzip-compressed or not) in that directory:\n");
        foreach (var f in source.Files)
            sb.Append("  ").Append(Path.Combine(dir, f.Name + ".gz")).Append(missing.Contains(f) ? "    (missing)" : "").Append('\n');
        sb.Append($"or point NetBlocks at a directory that holds them with --data DIR or the environment variable {DataOptions.EnvironmentVariable}=DIR ");
        sb.Append($"(files directly in DIR, in DIR/{source.Name}/, or in DIR/{source.TorchvisionFolder}/raw/ as torchvision lays them out).\n");
        sb.Append($"They are served at {source.BaseUrl}<name>.gz.");
        return sb.ToString();
    }

    private static async Task<string> DownloadAsync(DatasetSource source, string dir, DatasetFile file, DataOptions options)
    {
        var ct = options.CancellationToken;
        var http = options.Http ?? SharedHttp.Value;
        string url = source.BaseUrl + file.Name + ".gz";
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{file.Name}.gz.{Guid.NewGuid():N}.part");
        options.Log?.WriteLine($"Downloading {url} to {dir}");
        try
        {
            using (var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false))
            {
                response.EnsureSuccessStatusCode();
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await using var output = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await body.CopyToAsync(output, ct).ConfigureAwait(false);
                await output.FlushAsync(ct).ConfigureAwait(false);
                options.Log?.WriteLine($"  {output.Length} bytes");
            }

            bool gz = Idx.IsGzip(tmp);
            string actual;
            try
            {
                actual = HashContent(tmp, gz);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"downloaded {url}: corrupt gzip stream ({e.Message}); nothing was written to {dir}", e);
            }
            if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException(
                    $"downloaded {url}: SHA-256 of the {(gz ? "decompressed " : "")}content is {actual}, expected {file.Sha256} " +
                    $"(a corrupt transfer or a different file); nothing was written to {dir}. Try again, or fetch the file by hand and put it at " +
                    Path.Combine(dir, file.Name + ".gz"));
            string final = Path.Combine(dir, file.Name + (gz ? ".gz" : ""));
            File.Move(tmp, final, overwrite: true);
            return final;
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Hex SHA-256 of a file's content, decompressed first when <paramref name="gzip"/>.</summary>
    internal static string HashContent(string path, bool gzip)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using Stream s = gzip ? new GZipStream(f, CompressionMode.Decompress) : f;
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
