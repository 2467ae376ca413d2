using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

/// <summary>A 32-byte SHA-256 value (XDR Hash / uint256).</summary>
public readonly struct Hash256 : IEquatable<Hash256>, IXdrCodec<Hash256>
{
    public const int Size = 32;
    private static readonly byte[] Zero = new byte[Size];
    private readonly byte[]? _bytes;

    public Hash256(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"a hash is {Size} bytes, got {bytes.Length}", nameof(bytes));
        }

        _bytes = bytes.ToArray();
    }

    private Hash256(byte[] owned) => _bytes = owned;

    public ReadOnlySpan<byte> Bytes => _bytes ?? Zero;

    public byte[] ToArray() => Bytes.ToArray();

    public static Hash256 Sha256(ReadOnlySpan<byte> data)
    {
        var h = new byte[Size];
        SHA256.HashData(data, h);
        return new Hash256(h);
    }

    public static Hash256 Parse(string hex)
    {
        return TryParse(hex, out var h) ? h : throw new FormatException("a hash is 64 hex characters");
    }

    public static bool TryParse([NotNullWhen(true)] string? hex, out Hash256 hash)
    {
        hash = default;
        if (hex is null || hex.Length != Size * 2)
        {
            return false;
        }

        var bytes = new byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        hash = new Hash256(bytes);
        return true;
    }

    public override string ToString() => Convert.ToHexStringLower(Bytes);

    public bool Equals(Hash256 other) => Bytes.SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => obj is Hash256 h && Equals(h);

    public override int GetHashCode() => BitConverter.ToInt32(Bytes);

    public static bool operator ==(Hash256 left, Hash256 right) => left.Equals(right);

    public static bool operator !=(Hash256 left, Hash256 right) => !left.Equals(right);

    public void WriteXdr(XdrWriter w) => w.WriteFixedOpaque(Bytes);

    public static Hash256 ReadXdr(XdrReader r) => new(r.ReadFixedOpaque(Size));
}

/// <summary>A transaction hash (SHA-256 of the signature payload); hex in text.</summary>
public readonly struct TransactionHash : IEquatable<TransactionHash>
{
    public TransactionHash(Hash256 value) => Value = value;

    public TransactionHash(ReadOnlySpan<byte> bytes) => Value = new Hash256(bytes);

    public Hash256 Value { get; }

    public ReadOnlySpan<byte> Bytes => Value.Bytes;

    public static TransactionHash Parse(string hex) => new(Hash256.Parse(hex));

    public static bool TryParse([NotNullWhen(true)] string? hex, out TransactionHash hash)
    {
        var ok = Hash256.TryParse(hex, out var h);
        hash = new TransactionHash(h);
        return ok;
    }

    public override string ToString() => Value.ToString();

    public bool Equals(TransactionHash other) => Value.Equals(other.Value);

    public override bool Equals(object? obj) => obj is TransactionHash h && Equals(h);

    public override int GetHashCode() => Value.GetHashCode();

    public static bool operator ==(TransactionHash left, TransactionHash right) => left.Equals(right);

    public static bool operator !=(TransactionHash left, TransactionHash right) => !left.Equals(right);
}

/// <summary>A Stellar network, identified by the SHA-256 of its passphrase.</summary>
public sealed record Network
{
    private readonly string _passphrase = string.Empty;

    public Network(string passphrase) => Passphrase = passphrase;

    public static Network Public { get; } = new("Public Global Stellar Network ; September 2015");

    public static Network Testnet { get; } = new("Test SDF Network ; September 2015");

    public static Network Standalone { get; } = new("Standalone Network ; February 2017");

    public string Passphrase
    {
        get => _passphrase;
        init
        {
            // The id is derived here (not in an initializer) so that `with { Passphrase = … }` recomputes it.
            _passphrase = value ?? throw new ArgumentNullException(nameof(value));
            NetworkId = Hash256.Sha256(System.Text.Encoding.UTF8.GetBytes(value));
        }
    }

    public Hash256 NetworkId { get; private init; }

    public override string ToString() => Passphrase;
}
