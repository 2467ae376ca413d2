using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Watchtower.Stellar;

namespace Watchtower.Contracts;

/// <summary>
/// The tower's name for one wallet's view of one channel: 16 bytes, derived from the network, the
/// escrow account R and the wallet's version account, so two parties of the same channel using the
/// same tower get distinct records and nobody can claim an id without owning that (R, A_i) pair.
/// 128 bits keep Redis keys and index entries short; second preimages stay out of reach.
/// </summary>
[JsonConverter(typeof(ChannelIdJsonConverter))]
public readonly struct ChannelId : IEquatable<ChannelId>, IComparable<ChannelId>
{
    public const int Size = 16;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("watchtower:channel:v1");

    // Two ulongs rather than an array: value equality, no allocation, cheap hashing in indexes.
    private readonly ulong _hi;
    private readonly ulong _lo;

    private ChannelId(ulong hi, ulong lo)
    {
        _hi = hi;
        _lo = lo;
    }

    public static ChannelId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new FormatException($"a channel id is {Size} bytes, got {bytes.Length}");
        }
        return new ChannelId(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
    }

    public static ChannelId Derive(Network network, AccountId escrow, AccountId versionAccount)
    {
        ArgumentNullException.ThrowIfNull(network);
        Span<byte> input = stackalloc byte[Domain.Length + 32 + 32 + 32];
        Domain.CopyTo(input);
        network.NetworkId.Bytes.CopyTo(input[Domain.Length..]);
        escrow.PublicKey.CopyTo(input[(Domain.Length + 32)..]);
        versionAccount.PublicKey.CopyTo(input[(Domain.Length + 64)..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return FromBytes(hash[..Size]);
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lo);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    public static ChannelId Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        return TryParse(hex, out var id) ? id : throw new FormatException($"not a channel id: '{hex}'");
    }

    public static bool TryParse(string? hex, out ChannelId id)
    {
        id = default;
        if (hex is null || hex.Length != Size * 2
            || !ulong.TryParse(hex.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hi)
            || !ulong.TryParse(hex.AsSpan(16, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var lo))
        {
            return false;
        }
        id = new ChannelId(hi, lo);
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{_hi:x16}{_lo:x16}");

    public bool Equals(ChannelId other) => _hi == other._hi && _lo == other._lo;

    public override bool Equals(object? obj) => obj is ChannelId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_hi, _lo);

    public int CompareTo(ChannelId other) => _hi != other._hi ? _hi.CompareTo(other._hi) : _lo.CompareTo(other._lo);

    public static bool operator <(ChannelId left, ChannelId right) => left.CompareTo(right) < 0;

    public static bool operator >(ChannelId left, ChannelId right) => left.CompareTo(right) > 0;

    public static bool operator <=(ChannelId left, ChannelId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(ChannelId left, ChannelId right) => left.CompareTo(right) >= 0;

    public static bool operator ==(ChannelId left, ChannelId right) => left.Equals(right);

    public static bool operator !=(ChannelId left, ChannelId right) => !left.Equals(right);
}

/// <summary>Channel ids travel in messages as their 32-character hex form.</summary>
public sealed class ChannelIdJsonConverter : JsonConverter<ChannelId>
{
    public override ChannelId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return ChannelId.TryParse(text, out var id) ? id : throw new JsonException("invalid channel id");
    }

    public override void Write(Utf8JsonWriter writer, ChannelId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}
