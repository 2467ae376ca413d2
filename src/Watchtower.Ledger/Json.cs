using System.Globalization;
using System.Text.Json;

namespace Watchtower.Ledger;

/// <summary>Tolerant readers for API JSON: Horizon spells some integers as strings, some as numbers, depending on version.</summary>
internal static class Json
{
    public static JsonElement Prop(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v
            : throw new LedgerClientException($"missing JSON property \"{name}\"");

    public static JsonElement? OptProp(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static string Str(this JsonElement e, string name)
    {
        var v = e.Prop(name);
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Number => v.GetRawText(),
            _ => throw new LedgerClientException($"JSON property \"{name}\" is not a string"),
        };
    }

    public static string? OptStr(this JsonElement e, string name) =>
        e.OptProp(name) is { } v ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()) : null;

    public static long Int64(this JsonElement e, string name) => ParseInt64(e.Str(name), name);

    public static long? OptInt64(this JsonElement e, string name) =>
        e.OptStr(name) is { } s ? ParseInt64(s, name) : null;

    public static ulong UInt64(this JsonElement e, string name) =>
        ulong.TryParse(e.Str(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new LedgerClientException($"JSON property \"{name}\" is not an unsigned integer");

    public static uint UInt32(this JsonElement e, string name) =>
        uint.TryParse(e.Str(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new LedgerClientException($"JSON property \"{name}\" is not a 32-bit unsigned integer");

    public static bool Bool(this JsonElement e, string name) => e.Prop(name).ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new LedgerClientException($"JSON property \"{name}\" is not a boolean"),
    };

    public static double Double(this JsonElement e, string name) =>
        double.TryParse(e.Str(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new LedgerClientException($"JSON property \"{name}\" is not a number");

    public static DateTimeOffset Time(this JsonElement e, string name) =>
        DateTimeOffset.TryParse(e.Str(name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var v)
            ? v.ToUniversalTime()
            : throw new LedgerClientException($"JSON property \"{name}\" is not an ISO 8601 time");

    public static DateTimeOffset UnixTime(this JsonElement e, string name) =>
        DateTimeOffset.FromUnixTimeSeconds(e.Int64(name));

    private static long ParseInt64(string s, string name) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new LedgerClientException($"JSON property \"{name}\" is not an integer");

    /// <summary>Runs a parser, turning any shape or XDR error into a <see cref="LedgerClientException"/>.</summary>
    public static T Parse<T>(string what, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (LedgerClientException)
        {
            throw;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or ArgumentException or OverflowException)
        {
            throw new LedgerClientException($"cannot parse {what}: {e.Message}", e);
        }
    }
}
