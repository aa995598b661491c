namespace NetBlocks.Cli.Commands;

/// <summary>
/// For the tests of signals (`train --hold-at TEXT`, hidden): passes everything through to <paramref name="inner"/>,
/// and after the first line that contains <paramref name="marker"/> waits, on the writing thread — the training thread,
/// for progress lines — until <paramref name="release"/> is cancelled (a stop signal), at most five minutes. A test that
/// sends its signal when it reads that line therefore always lands mid-run, however loaded the machine is: the run
/// cannot finish between the line and the signal.
/// </summary>
internal sealed class HoldingWriter(TextWriter inner, string marker, CancellationToken release) : TextWriter
{
    private int _held;

    public override System.Text.Encoding Encoding => inner.Encoding;

    public override void Write(char value) => inner.Write(value);

    public override void Write(string? value) => inner.Write(value);

    public override void WriteLine(string? value)
    {
        inner.WriteLine(value);
        if (value is null || !value.Contains(marker, StringComparison.Ordinal) || Interlocked.Exchange(ref _held, 1) == 1) return;
        inner.WriteLine($"holding after this line until a stop signal (--hold-at {marker.Trim()})");
        inner.Flush();
        release.WaitHandle.WaitOne(TimeSpan.FromMinutes(5));
    }

    public override void Flush() => inner.Flush();
}
