using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Watchtower.Stellar;

/// <summary>An account sequence number (int64).</summary>
public readonly record struct SequenceNumber(long Value) : IComparable<SequenceNumber>
{
    /// <summary>The starting sequence number of an account created in ledger <paramref name="ledger"/>.</summary>
    public static SequenceNumber FromLedger(uint ledger) => new((long)ledger << 32);

    public static SequenceNumber operator +(SequenceNumber s, long delta) => new(checked(s.Value + delta));

    public static SequenceNumber operator -(SequenceNumber s, long delta) => new(checked(s.Value - delta));

    public static long operator -(SequenceNumber a, SequenceNumber b) => checked(a.Value - b.Value);

    public static bool operator <(SequenceNumber a, SequenceNumber b) => a.Value < b.Value;

    public static bool operator >(SequenceNumber a, SequenceNumber b) => a.Value > b.Value;

    public static bool operator <=(SequenceNumber a, SequenceNumber b) => a.Value <= b.Value;

    public static bool operator >=(SequenceNumber a, SequenceNumber b) => a.Value >= b.Value;

    public int CompareTo(SequenceNumber other) => Value.CompareTo(other.Value);

    public static SequenceNumber Parse(string s) => new(long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));

    public static bool TryParse([NotNullWhen(true)] string? s, out SequenceNumber value)
    {
        var ok = long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v);
        value = new SequenceNumber(v);
        return ok;
    }

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// An amount in stroops (1 XLM = 10^7 stroops). Text form is Stellar's 7-decimal amount
/// ("12.3456789"); <see cref="ToString"/> drops trailing zeros ("250", "0.5").
/// </summary>
public readonly record struct Stroops(long Value) : IComparable<Stroops>
{
    public const long PerLumen = 10_000_000;

    public static Stroops Zero => default;

    public static Stroops MaxValue => new(long.MaxValue);

    public static Stroops FromLumens(decimal lumens)
    {
        var stroops = lumens * PerLumen;
        if (stroops != decimal.Truncate(stroops))
        {
            throw new ArgumentException("more than 7 decimal places", nameof(lumens));
        }

        if (stroops > long.MaxValue || stroops < long.MinValue)
        {
            throw new OverflowException("amount does not fit in int64 stroops");
        }

        return new Stroops((long)stroops);
    }

    /// <summary>Parses a 7-decimal amount; negative amounts only when <paramref name="allowNegative"/>.</summary>
    public static Stroops Parse(string s, bool allowNegative = false)
    {
        ArgumentNullException.ThrowIfNull(s);
        var error = TryParseCore(s, allowNegative, out var value);
        return error is null ? value : throw new FormatException($"invalid amount \"{s}\": {error}");
    }

    public static bool TryParse([NotNullWhen(true)] string? s, out Stroops value, bool allowNegative = false)
    {
        value = default;
        return s is not null && TryParseCore(s, allowNegative, out value) is null;
    }

    private static string? TryParseCore(string s, bool allowNegative, out Stroops value)
    {
        value = default;
        var span = s.AsSpan();
        var negative = false;
        if (span.Length > 0 && span[0] == '-')
        {
            if (!allowNegative)
            {
                return "negative amount";
            }

            negative = true;
            span = span[1..];
        }

        var dot = span.IndexOf('.');
        var intPart = dot < 0 ? span : span[..dot];
        var fracPart = dot < 0 ? ReadOnlySpan<char>.Empty : span[(dot + 1)..];
        if (intPart.Length == 0 || (dot >= 0 && fracPart.Length == 0))
        {
            return "expected digits[.digits]";
        }

        if (fracPart.Length > 7)
        {
            return "more than 7 decimal places";
        }

        // Magnitude accumulated as a negative number so that long.MinValue stays representable.
        long acc = 0;
        foreach (var c in intPart)
        {
            if (!char.IsAsciiDigit(c))
            {
                return "expected digits[.digits]";
            }

            if (acc < (long.MinValue + (c - '0')) / 10)
            {
                return "amount overflows int64 stroops";
            }

            acc = acc * 10 - (c - '0');
        }

        for (var i = 0; i < 7; i++)
        {
            var d = i < fracPart.Length ? fracPart[i] - '0' : 0;
            if (i < fracPart.Length && !char.IsAsciiDigit(fracPart[i]))
            {
                return "expected digits[.digits]";
            }

            if (acc < (long.MinValue + d) / 10)
            {
                return "amount overflows int64 stroops";
            }

            acc = acc * 10 - d;
        }

        if (!negative)
        {
            if (acc == long.MinValue)
            {
                return "amount overflows int64 stroops";
            }

            acc = -acc;
        }

        value = new Stroops(acc);
        return null;
    }

    /// <summary>The amount with up to 7 decimals and no trailing zeros: "250", "0.5", "1.2345678".</summary>
    public string ToAmountString()
    {
        var fixed7 = ToFixed7String();
        var trimmed = fixed7.TrimEnd('0');
        return trimmed.EndsWith('.') ? trimmed[..^1] : trimmed;
    }

    /// <summary>The amount with exactly 7 decimals, as Horizon prints it: "250.0000000".</summary>
    public string ToFixed7String()
    {
        var magnitude = Value < 0 ? (ulong)(-(Value + 1)) + 1 : (ulong)Value;
        var whole = magnitude / PerLumen;
        var frac = magnitude % PerLumen;
        return string.Create(CultureInfo.InvariantCulture, $"{(Value < 0 ? "-" : string.Empty)}{whole}.{frac:D7}");
    }

    public override string ToString() => ToAmountString();

    public static Stroops operator +(Stroops a, Stroops b) => new(checked(a.Value + b.Value));

    public static Stroops operator -(Stroops a, Stroops b) => new(checked(a.Value - b.Value));

    public static Stroops operator *(Stroops a, long factor) => new(checked(a.Value * factor));

    public static Stroops operator -(Stroops a) => new(checked(-a.Value));

    public static bool operator <(Stroops a, Stroops b) => a.Value < b.Value;

    public static bool operator >(Stroops a, Stroops b) => a.Value > b.Value;

    public static bool operator <=(Stroops a, Stroops b) => a.Value <= b.Value;

    public static bool operator >=(Stroops a, Stroops b) => a.Value >= b.Value;

    public int CompareTo(Stroops other) => Value.CompareTo(other.Value);
}
