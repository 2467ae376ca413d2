using NSec.Cryptography;

namespace Watchtower.Contracts;

/// <summary>The tower's X25519 public key that wallets seal bundles to (32 bytes, base64 in configuration).</summary>
public readonly struct TowerPublicKey : IEquatable<TowerPublicKey>
{
    public const int Size = 32;
    private readonly byte[]? _bytes;

    public TowerPublicKey(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new FormatException($"an X25519 public key is {Size} bytes, got {bytes.Length}");
        }
        _bytes = bytes.ToArray();
    }

    public ReadOnlySpan<byte> Bytes => _bytes ?? new byte[Size];

    public static TowerPublicKey Parse(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        var bytes = new byte[Size + 3];
        return Convert.TryFromBase64String(base64, bytes, out var written) && written == Size
            ? new TowerPublicKey(bytes.AsSpan(0, Size))
            : throw new FormatException("not a base64 X25519 public key");
    }

    public override string ToString() => Convert.ToBase64String(Bytes);

    public bool Equals(TowerPublicKey other) => Bytes.SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => obj is TowerPublicKey other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(Bytes);

    public static bool operator ==(TowerPublicKey left, TowerPublicKey right) => left.Equals(right);

    public static bool operator !=(TowerPublicKey left, TowerPublicKey right) => !left.Equals(right);
}

/// <summary>The tower's X25519 private key: opens sealed bundles. Held only by ingestion and responders.</summary>
public sealed class TowerSealingKey : IDisposable
{
    private readonly Key _key;

    private TowerSealingKey(Key key)
    {
        _key = key;
        PublicKey = new TowerPublicKey(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public TowerPublicKey PublicKey { get; }

    internal Key Key => _key;

    public static TowerSealingKey Generate() =>
        new(Key.Create(KeyAgreementAlgorithm.X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>Imports the raw 32-byte private key (e.g. from a mounted secret).</summary>
    public static TowerSealingKey FromPrivateKey(ReadOnlySpan<byte> rawPrivateKey)
    {
        if (rawPrivateKey.Length != 32)
        {
            throw new FormatException("an X25519 private key is 32 bytes");
        }
        return new(Key.Import(KeyAgreementAlgorithm.X25519, rawPrivateKey, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <summary>The raw private key, for writing it to a secret store once at provisioning.</summary>
    public byte[] ExportPrivateKey() => _key.Export(KeyBlobFormat.RawPrivateKey);

    public void Dispose() => _key.Dispose();
}
