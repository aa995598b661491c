using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace NetBlocks.Reporting.Terminal;

/// <summary>
/// Training progress on a console. On a terminal (<c>interactive</c>) one line is redrawn in place with '\r'
/// (at most every <see cref="RedrawInterval"/>): label, bar, percent, steps, loss, throughput, ETA. In a log
/// (output redirected, CI) that would be noise, so plain lines are written instead: one each time another 10% of
/// the steps is done, and one at least every <see cref="PlainInterval"/> while steps keep coming.
/// The ETA is the average time per step since <see cref="Start"/> times the steps left.
/// </summary>
public sealed class ProgressReporter
{
    private const int BarWidth = 24;

    private readonly TextWriter _out;
    private readonly Func<TimeSpan> _clock;
    private readonly Lock _lock = new();
    private string _label = "";
    private long _total;
    private TimeSpan _started, _lastWrite;
    private bool _wroteOnce;
    private long _lastDecile;
    private int _lineLength;   // of the line on screen, so a shorter one can blank what is left of it

    /// <summary>Reports to the console, redrawing in place unless the output is redirected.</summary>
    public ProgressReporter() : this(Console.Out, interactive: !Console.IsOutputRedirected) { }

    /// <param name="output">where lines go.</param>
    /// <param name="interactive">true: redraw one line with '\r'; false: append plain lines.</param>
    /// <param name="clock">time since an arbitrary origin; defaults to a <see cref="Stopwatch"/>.</param>
    public ProgressReporter(TextWriter output, bool interactive, Func<TimeSpan>? clock = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        _out = output;
        Interactive = interactive;
        if (clock is null)
        {
            var watch = Stopwatch.StartNew();
            clock = () => watch.Elapsed;
        }
        _clock = clock;
    }

    public bool Interactive { get; }

    /// <summary>Least time between two redraws of the interactive line (the last step is always drawn).</summary>
    public TimeSpan RedrawInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Most time between two plain lines while updates arrive.</summary>
    public TimeSpan PlainInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Begins a phase of <paramref name="totalSteps"/> steps (0 or less: unknown, no bar or ETA).</summary>
    public void Start(long totalSteps, string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        lock (_lock)
        {
            _total = totalSteps;
            _label = label;
            _started = _clock();
            _lastWrite = _started;
            _wroteOnce = false;
            _lastDecile = 0;
        }
    }

    /// <summary>Reports that <paramref name="step"/> of the total steps are done.</summary>
    public void Update(long step, double loss, double imagesPerSecond)
    {
        lock (_lock)
        {
            TimeSpan now = _clock();
            bool last = _total > 0 && step >= _total;
            if (Interactive)
            {
                if (_wroteOnce && !last && now - _lastWrite < RedrawInterval) return;
                Redraw(InteractiveLine(step, loss, imagesPerSecond, now));
            }
            else
            {
                long decile = _total > 0 ? Math.Clamp(step * 10 / _total, 0, 10) : 0;
                if (decile <= _lastDecile && now - _lastWrite < PlainInterval) return;
                _lastDecile = Math.Max(_lastDecile, decile);
                _out.WriteLine(PlainLine(step, loss, imagesPerSecond, now));
            }
            _lastWrite = now;
            _wroteOnce = true;
            _out.Flush();
        }
    }

    /// <summary>Ends the phase with <paramref name="line"/> (e.g. the epoch's summary), replacing the progress line on a terminal.</summary>
    public void Finish(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        lock (_lock)
        {
            if (Interactive && _lineLength > 0) Redraw(line);
            else _out.Write(line);
            _out.WriteLine();
            _out.Flush();
            _lineLength = 0;
        }
    }

    private void Redraw(string line)
    {
        int pad = Math.Max(0, _lineLength - line.Length);
        _out.Write('\r');
        _out.Write(line);
        if (pad > 0) _out.Write(new string(' ', pad));
        _lineLength = line.Length;
    }

    private string InteractiveLine(long step, double loss, double imagesPerSecond, TimeSpan now)
    {
        var sb = new StringBuilder(_label);
        if (_total > 0)
        {
            double done = Math.Clamp(step / (double)_total, 0, 1);
            int filled = (int)(done * BarWidth);
            sb.Append(" [").Append('=', filled);
            if (filled < BarWidth) sb.Append('>').Append(' ', BarWidth - filled - 1);
            sb.Append(']').Append(Invariant($" {done * 100,3:F0}% {step}/{_total}"));
        }
        else
        {
            sb.Append(Invariant($" {step}"));
        }
        sb.Append(Rates(loss, imagesPerSecond));
        if (_total > 0) sb.Append(" ETA ").Append(Eta(step, now));
        return sb.ToString();
    }

    private string PlainLine(long step, double loss, double imagesPerSecond, TimeSpan now)
    {
        var sb = new StringBuilder(_label);
        sb.Append(_total > 0 ? Invariant($" {step}/{_total} ({Math.Clamp(step * 100 / _total, 0, 100)}%)") : Invariant($" step {step}"));
        sb.Append(Rates(loss, imagesPerSecond)).Append(" elapsed ").Append(Duration(now - _started));
        if (_total > 0) sb.Append(" ETA ").Append(Eta(step, now));
        return sb.ToString();
    }

    private static string Rates(double loss, double imagesPerSecond) =>
        Invariant($" loss {Number(loss, "F4")} {Number(imagesPerSecond, "F0")} img/s");

    private string Eta(long step, TimeSpan now)
    {
        if (step <= 0) return "--:--";
        double left = Math.Max(0, _total - step) * (now - _started).TotalSeconds / step;
        return Duration(TimeSpan.FromSeconds(left));
    }

    /// <summary>m:ss, or h:mm:ss from one hour.</summary>
    internal static string Duration(TimeSpan t)
    {
        long s = (long)Math.Round(Math.Max(0, t.TotalSeconds));
        return s >= 3600 ? Invariant($"{s / 3600}:{s / 60 % 60:D2}:{s % 60:D2}") : Invariant($"{s / 60}:{s % 60:D2}");
    }

    private static string Number(double v, string format) =>
        double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
