using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using NSec.Cryptography;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

/// <summary>The last 4 bytes of a signer key, used to find the signer of a decorated signature.</summary>
public readonly record struct SignatureHint(uint Value) : IXdrCodec<SignatureHint>
{
    public static SignatureHint FromBytes(ReadOnlySpan<byte> fourBytes) => new(BinaryPrimitives.ReadUInt32BigEndian(fourBytes));

    /// <summary>The hint of a key: its last 4 bytes.</summary>
    public static SignatureHint OfKey(ReadOnlySpan<byte> key) => FromBytes(key[^4..]);

    /// <summary>
    /// The hint of a signed-payload signature: the key's hint XOR the payload's last 4 bytes
    /// (a payload shorter than 4 bytes is zero-padded on the right).
    /// </summary>
    public static SignatureHint OfSignedPayload(ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload)
    {
        Span<byte> tail = stackalloc byte[4];
        tail.Clear();
        if (payload.Length >= 4)
        {
            payload[^4..].CopyTo(tail);
        }
        else
        {
            payload.CopyTo(tail);
        }

        return new SignatureHint(OfKey(key).Value ^ BinaryPrimitives.ReadUInt32BigEndian(tail));
    }

    public byte[] ToArray()
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, Value);
        return b;
    }

    public override string ToString() => Value.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Parses the 8 hex digits printed by <see cref="ToString"/>.</summary>
    public static SignatureHint Parse(string hex)
        => TryParse(hex, out var hint) ? hint : throw new FormatException("a signature hint is 8 hex digits");

    public static bool TryParse([NotNullWhen(true)] string? hex, out SignatureHint hint)
    {
        hint = default;
        if (hex is null || hex.Length != 8 || !uint.TryParse(hex, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var v))
        {
            return false;
        }

        hint = new SignatureHint(v);
        return true;
    }

    public void WriteXdr(XdrWriter w) => w.WriteUInt32(Value);

    public static SignatureHint ReadXdr(XdrReader r) => new(r.ReadUInt32());
}

/// <summary>An ed25519 account id (G…); XDR AccountID = PublicKey (type 0 + uint256).</summary>
public readonly struct AccountId : IEquatable<AccountId>, IXdrCodec<AccountId>, IComparable<AccountId>
{
    public const int KeySize = 32;
    private readonly Hash256 _key;

    public AccountId(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != KeySize)
        {
            throw new ArgumentException($"an ed25519 public key is {KeySize} bytes, got {publicKey.Length}", nameof(publicKey));
        }

        _key = new Hash256(publicKey);
    }

    private AccountId(Hash256 key) => _key = key;

    /// <summary>Wraps a raw uint256 read from XDR without copying it again.</summary>
    internal static AccountId FromKey(Hash256 key) => new(key);

    public ReadOnlySpan<byte> PublicKey => _key.Bytes;

    public SignatureHint Hint => SignatureHint.OfKey(PublicKey);

    public static AccountId Parse(string strKey) => new(StrKey.Decode(StrKeyVersion.AccountId, strKey));

    public static bool TryParse([NotNullWhen(true)] string? strKey, out AccountId id)
    {
        if (StrKey.TryDecode(StrKeyVersion.AccountId, strKey, out var key))
        {
            id = new AccountId(key);
            return true;
        }

        id = default;
        return false;
    }

    public override string ToString() => StrKey.Encode(StrKeyVersion.AccountId, PublicKey);

    public bool Equals(AccountId other) => _key.Equals(other._key);

    public override bool Equals(object? obj) => obj is AccountId a && Equals(a);

    public override int GetHashCode() => _key.GetHashCode();

    public int CompareTo(AccountId other) => PublicKey.SequenceCompareTo(other.PublicKey);

    public static bool operator ==(AccountId left, AccountId right) => left.Equals(right);

    public static bool operator !=(AccountId left, AccountId right) => !left.Equals(right);

    public void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(0); // PUBLIC_KEY_TYPE_ED25519
        w.WriteFixedOpaque(PublicKey);
    }

    public static AccountId ReadXdr(XdrReader r)
    {
        var type = r.ReadInt32();
        if (type != 0)
        {
            throw new XdrFormatException($"unsupported public key type {type}");
        }

        return FromKey(r.Read<Hash256>());
    }
}

/// <summary>An ed25519 secret seed (S…).</summary>
public readonly struct SecretSeed : IEquatable<SecretSeed>
{
    private readonly Hash256 _seed;

    public SecretSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != 32)
        {
            throw new ArgumentException($"an ed25519 seed is 32 bytes, got {seed.Length}", nameof(seed));
        }

        _seed = new Hash256(seed);
    }

    public ReadOnlySpan<byte> Bytes => _seed.Bytes;

    public static SecretSeed Parse(string strKey) => new(StrKey.Decode(StrKeyVersion.SecretSeed, strKey));

    public static bool TryParse([NotNullWhen(true)] string? strKey, out SecretSeed seed)
    {
        if (StrKey.TryDecode(StrKeyVersion.SecretSeed, strKey, out var bytes))
        {
            seed = new SecretSeed(bytes);
            return true;
        }

        seed = default;
        return false;
    }

    public override string ToString() => StrKey.Encode(StrKeyVersion.SecretSeed, Bytes);

    public bool Equals(SecretSeed other) => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Bytes, other.Bytes);

    public override bool Equals(object? obj) => obj is SecretSeed s && Equals(s);

    public override int GetHashCode() => _seed.GetHashCode();

    public static bool operator ==(SecretSeed left, SecretSeed right) => left.Equals(right);

    public static bool operator !=(SecretSeed left, SecretSeed right) => !left.Equals(right);
}

/// <summary>An ed25519 key pair (libsodium through NSec: verification is as strict as stellar-core's).</summary>
public sealed class KeyPair
{
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private KeyPair(Key key, SecretSeed seed)
    {
        _key = key;
        Seed = seed;
        AccountId = new AccountId(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public AccountId AccountId { get; }

    public SecretSeed Seed { get; }

    public static KeyPair Random()
    {
        var key = Key.Create(Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return new KeyPair(key, new SecretSeed(key.Export(KeyBlobFormat.RawPrivateKey)));
    }

    public static KeyPair FromSeed(SecretSeed seed)
        => new(Key.Import(Ed25519, seed.Bytes, KeyBlobFormat.RawPrivateKey), seed);

    public static KeyPair FromSecret(string secret) => FromSeed(SecretSeed.Parse(secret));

    public byte[] Sign(ReadOnlySpan<byte> data) => Ed25519.Sign(_key, data);

    public DecoratedSignature SignDecorated(ReadOnlySpan<byte> data) => new(AccountId.Hint, Sign(data));

    /// <summary>Signs <paramref name="payload"/> for a signed-payload signer (hint = key hint XOR payload tail).</summary>
    public DecoratedSignature SignPayloadDecorated(ReadOnlySpan<byte> payload)
        => new(SignatureHint.OfSignedPayload(AccountId.PublicKey, payload), Sign(payload));

    public static bool Verify(AccountId account, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != Ed25519.SignatureSize)
        {
            return false;
        }

        if (!PublicKey.TryImport(Ed25519, account.PublicKey, KeyBlobFormat.RawPublicKey, out var publicKey) || publicKey is null)
        {
            return false;
        }

        return Ed25519.Verify(publicKey, data, signature);
    }

    public override string ToString() => AccountId.ToString();
}

/// <summary>A (possibly multiplexed) account: G… or M… (KEY_TYPE_ED25519 / KEY_TYPE_MUXED_ED25519).</summary>
public sealed record MuxedAccount(AccountId Account, ulong? Id = null) : IXdrCodec<MuxedAccount>
{
    private const int KeyTypeEd25519 = 0;
    private const int KeyTypeMuxedEd25519 = 0x100;

    public static implicit operator MuxedAccount(AccountId account) => new(account);

    public static MuxedAccount Parse(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.StartsWith('M'))
        {
            var raw = StrKey.Decode(StrKeyVersion.MuxedAccount, address);
            return new MuxedAccount(new AccountId(raw.AsSpan(0, 32)), BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(32)));
        }

        return new MuxedAccount(AccountId.Parse(address));
    }

    public static bool TryParse([NotNullWhen(true)] string? address, [NotNullWhen(true)] out MuxedAccount? account)
    {
        account = null;
        if (address is null)
        {
            return false;
        }

        if (StrKey.TryDecode(StrKeyVersion.MuxedAccount, address, out var raw))
        {
            account = new MuxedAccount(new AccountId(raw.AsSpan(0, 32)), BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(32)));
            return true;
        }

        if (AccountId.TryParse(address, out var id))
        {
            account = new MuxedAccount(id);
            return true;
        }

        return false;
    }

    public override string ToString()
    {
        if (Id is not { } id)
        {
            return Account.ToString();
        }

        Span<byte> raw = stackalloc byte[40];
        Account.PublicKey.CopyTo(raw);
        BinaryPrimitives.WriteUInt64BigEndian(raw[32..], id);
        return StrKey.Encode(StrKeyVersion.MuxedAccount, raw);
    }

    public void WriteXdr(XdrWriter w)
    {
        if (Id is { } id)
        {
            w.WriteInt32(KeyTypeMuxedEd25519);
            w.WriteUInt64(id);
        }
        else
        {
            w.WriteInt32(KeyTypeEd25519);
        }

        w.WriteFixedOpaque(Account.PublicKey);
    }

    public static MuxedAccount ReadXdr(XdrReader r)
    {
        var type = r.ReadInt32();
        switch (type)
        {
            case KeyTypeEd25519:
                return new MuxedAccount(AccountId.FromKey(r.Read<Hash256>()));
            case KeyTypeMuxedEd25519:
                var id = r.ReadUInt64();
                return new MuxedAccount(AccountId.FromKey(r.Read<Hash256>()), id);
            default:
                throw new XdrFormatException($"unsupported muxed account key type {type}");
        }
    }
}
