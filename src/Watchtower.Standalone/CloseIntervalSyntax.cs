using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Watchtower.Standalone;

/// <summary>
/// The command line's ledger close setting: a duration ("5s", "1s", "250ms", "2m"), "on-demand"
/// (ledgers close only through the admin endpoints) or "on-submit" (a ledger closes as soon as a
/// transaction is queued).
/// </summary>
public static class CloseIntervalSyntax
{
    public static bool TryApply(string text, StandaloneOptions options, [NotNullWhen(true)] out StandaloneOptions? result)
    {
        ArgumentNullException.ThrowIfNull(options);
        result = null;
        switch (text)
        {
            case "on-demand":
                result = options with { CloseInterval = null, CloseOnSubmit = false };
                return true;
            case "on-submit":
                result = options with { CloseInterval = null, CloseOnSubmit = true };
                return true;
        }

        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1d)
            : text.EndsWith('s') ? (text[..^1], 1000d)
            : text.EndsWith('m') ? (text[..^1], 60_000d)
            : (text, double.NaN);
        if (double.IsNaN(unit) || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            return false;
        }

        result = options with { CloseInterval = TimeSpan.FromMilliseconds(value * unit), CloseOnSubmit = false };
        return true;
    }
}
