namespace NetBlocks.Autograd;

/// <summary>Whether ops record a graph. Per thread, like torch.is_grad_enabled().</summary>
public static class GradMode
{
    [ThreadStatic] private static bool _disabled;

    public static bool IsEnabled => !_disabled;

    /// <summary>
    /// Disables graph recording until the returned scope is disposed, as torch.no_grad():
    /// <c>using (GradMode.NoGrad()) { … }</c>.
    /// </summary>
    public static NoGradScope NoGrad() => new(enable: false);

    /// <summary>Re-enables recording inside a no-grad region.</summary>
    public static NoGradScope EnableGrad() => new(enable: true);

    public readonly struct NoGradScope : IDisposable
    {
        private readonly bool _previouslyDisabled;

        internal NoGradScope(bool enable)
        {
            _previouslyDisabled = _disabled;
            _disabled = !enable;
        }

        public void Dispose() => _disabled = _previouslyDisabled;
    }
}
