using System.Globalization;

namespace NetBlocks.Training;

/// <summary>
/// Learning rate as a function of training progress, evaluated every step:
/// constant; step:EVERY:GAMMA (×GAMMA every EVERY epochs, as torch's StepLR); cosine[:WARMUP] (linear warm-up over
/// WARMUP epochs from 0, then half a cosine down to 0 at the last step, as pycls's cos schedule).
/// </summary>
public sealed class LearningRateSchedule
{
    private enum Kind { Constant, Step, Cosine }

    private readonly Kind _kind;
    private readonly double _every, _gamma, _warmup;

    public string Spec { get; }

    private LearningRateSchedule(string spec, Kind kind, double every = 0, double gamma = 1, double warmup = 0)
    {
        Spec = spec; _kind = kind; _every = every; _gamma = gamma; _warmup = warmup;
    }

    private const string Forms = "Forms: constant | step:EVERY:GAMMA (e.g. step:3:0.1) | cosine[:WARMUP_EPOCHS] (e.g. cosine:1)";

    public static LearningRateSchedule Parse(string spec)
    {
        var parts = spec.Trim().ToLowerInvariant().Split(':');
        double Num(int i, string what)
        {
            if (i >= parts.Length || !double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0)
                throw new FormatException($"schedule '{spec}': expected a non-negative number for {what}. {Forms}");
            return v;
        }
        switch (parts[0])
        {
            case "constant" when parts.Length == 1: return new(spec, Kind.Constant);
            case "step" when parts.Length == 3:
                var every = Num(1, "EVERY (epochs)");
                if (every <= 0) throw new FormatException($"schedule '{spec}': EVERY must be positive. {Forms}");
                return new(spec, Kind.Step, every: every, gamma: Num(2, "GAMMA"));
            case "cosine" when parts.Length <= 2: return new(spec, Kind.Cosine, warmup: parts.Length == 2 ? Num(1, "WARMUP_EPOCHS") : 0);
            default:
                throw new FormatException($"unknown schedule '{spec}'. {Forms}");
        }
    }

    /// <summary>The learning rate at fractional epoch <paramref name="epoch"/> (0 = first step) of <paramref name="totalEpochs"/>.</summary>
    public float At(float baseLr, double epoch, int totalEpochs) => _kind switch
    {
        Kind.Constant => baseLr,
        Kind.Step => (float)(baseLr * Math.Pow(_gamma, Math.Floor(epoch / _every + 1e-9))),
        _ => Cosine(baseLr, epoch, totalEpochs),
    };

    private float Cosine(float baseLr, double epoch, int totalEpochs)
    {
        if (_warmup > 0 && epoch < _warmup) return (float)(baseLr * epoch / _warmup);
        double span = Math.Max(totalEpochs - _warmup, 1e-9);
        double t = Math.Clamp((epoch - _warmup) / span, 0, 1);
        return (float)(baseLr * 0.5 * (1 + Math.Cos(Math.PI * t)));
    }
}
