namespace NetBlocks.Reporting.Charts;

/// <summary>
/// Replaces a file in one step: the bytes go to a temporary file in the same directory (same volume, so the move
/// is a rename), which is then moved over the target. A reader sees the old file or the new one, never half of one.
/// </summary>
internal static class AtomicFile
{
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string tmp = Path.Combine(directory, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                fs.Write(bytes);
            // On Windows a viewer holding the file open can make the rename fail for a moment.
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    File.Move(tmp, full, overwrite: true);
                    return;
                }
                catch (IOException) when (attempt < 3)
                {
                    Thread.Sleep(50 * attempt);
                }
            }
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { /* keep the original error */ }
            throw;
        }
    }

    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));
}
