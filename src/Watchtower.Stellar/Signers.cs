using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

/// <summary>A signer key (XDR SignerKey); StrKey G / T / X / P.</summary>
public abstract record SignerKey : IXdrCodec<SignerKey>
{
    private protected SignerKey() { }

    public abstract void WriteXdr(XdrWriter w);

    public static SignerKey ReadXdr(XdrReader r)
    {
        var type = r.ReadInt32();
        switch (type)
        {
            case 0:
                return new Ed25519SignerKey(AccountId.FromKey(r.Read<Hash256>()));
            case 1:
                return new PreAuthTxSignerKey(r.Read<Hash256>());
            case 2:
                return new HashXSignerKey(r.Read<Hash256>());
            case 3:
                var key = AccountId.FromKey(r.Read<Hash256>());
                return new SignedPayloadSignerKey(key, r.ReadVarOpaque(SignedPayloadSignerKey.MaxPayload));
            default:
                throw new XdrFormatException($"unknown signer key type {type}");
        }
    }

    /// <summary>Parses a G…, T…, X… or P… StrKey.</summary>
    public static SignerKey Parse(string strKey)
    {
        ArgumentNullException.ThrowIfNull(strKey);
        return strKey.Length > 0 ? strKey[0] switch
        {
            'G' => new Ed25519SignerKey(AccountId.Parse(strKey)),
            'T' => new PreAuthTxSignerKey(new Hash256(StrKey.Decode(StrKeyVersion.PreAuthTx, strKey))),
            'X' => new HashXSignerKey(new Hash256(StrKey.Decode(StrKeyVersion.Sha256Hash, strKey))),
            'P' => SignedPayloadSignerKey.FromStrKeyPayload(StrKey.Decode(StrKeyVersion.SignedPayload, strKey)),
            _ => throw new StrKeyFormatException("a signer key starts with G, T, X or P"),
        } : throw new StrKeyFormatException("empty signer key");
    }

    public static bool TryParse(string? strKey, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SignerKey? key)
    {
        key = null;
        if (strKey is null)
        {
            return false;
        }

        try
        {
            key = Parse(strKey);
            return true;
        }
        catch (StrKeyFormatException)
        {
            return false;
        }
    }
}

public sealed record Ed25519SignerKey(AccountId Key) : SignerKey
{
    public override void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(0);
        w.WriteFixedOpaque(Key.PublicKey);
    }

    public override string ToString() => Key.ToString();
}

/// <summary>A pre-authorized transaction: satisfied by including the transaction whose hash this is.</summary>
public sealed record PreAuthTxSignerKey(Hash256 Hash) : SignerKey
{
    public override void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(1);
        Hash.WriteXdr(w);
    }

    public override string ToString() => StrKey.Encode(StrKeyVersion.PreAuthTx, Hash.Bytes);
}

/// <summary>A hash(x) signer: satisfied by a "signature" that is a preimage x with sha256(x) = Hash.</summary>
public sealed record HashXSignerKey(Hash256 Hash) : SignerKey
{
    public override void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(2);
        Hash.WriteXdr(w);
    }

    public override string ToString() => StrKey.Encode(StrKeyVersion.Sha256Hash, Hash.Bytes);
}

/// <summary>An ed25519 signed-payload signer (CAP-40): satisfied by a signature of Key over Payload.</summary>
public sealed record SignedPayloadSignerKey : SignerKey
{
    public const int MaxPayload = 64;
    private readonly byte[] _payload;

    public SignedPayloadSignerKey(AccountId key, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Length > MaxPayload)
        {
            throw new ArgumentException($"payload is {payload.Length} bytes, at most {MaxPayload} allowed", nameof(payload));
        }

        Key = key;
        _payload = (byte[])payload.Clone();
    }

    public AccountId Key { get; }

    public byte[] Payload => (byte[])_payload.Clone();

    public ReadOnlySpan<byte> PayloadSpan => _payload;

    /// <summary>The hint a matching signature carries: key hint XOR the payload's last 4 bytes.</summary>
    public SignatureHint Hint => SignatureHint.OfSignedPayload(Key.PublicKey, _payload);

    internal static SignedPayloadSignerKey FromStrKeyPayload(byte[] raw)
    {
        var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(32, 4));
        return new SignedPayloadSignerKey(new AccountId(raw.AsSpan(0, 32)), raw.AsSpan(36, length).ToArray());
    }

    public override void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(3);
        w.WriteFixedOpaque(Key.PublicKey);
        w.WriteVarOpaque(_payload, MaxPayload);
    }

    public override string ToString()
    {
        var padded = (_payload.Length + 3) & ~3;
        var raw = new byte[36 + padded];
        Key.PublicKey.CopyTo(raw);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(raw.AsSpan(32), (uint)_payload.Length);
        _payload.CopyTo(raw, 36);
        return StrKey.Encode(StrKeyVersion.SignedPayload, raw);
    }

    public bool Equals(SignedPayloadSignerKey? other)
        => other is not null && Key == other.Key && _payload.AsSpan().SequenceEqual(other._payload);

    public override int GetHashCode() => HashCode.Combine(Key, Equality.Hash(_payload));
}

/// <summary>An account signer with its weight (XDR Signer).</summary>
public sealed record Signer(SignerKey Key, uint Weight) : IXdrCodec<Signer>
{
    public void WriteXdr(XdrWriter w)
    {
        Key.WriteXdr(w);
        w.WriteUInt32(Weight);
    }

    public static Signer ReadXdr(XdrReader r)
    {
        var key = r.Read<SignerKey>();
        return new Signer(key, r.ReadUInt32());
    }
}

/// <summary>Account thresholds (XDR Thresholds = opaque[4]: master weight, low, medium, high).</summary>
public readonly record struct Thresholds(byte Master, byte Low, byte Medium, byte High) : IXdrCodec<Thresholds>
{
    public void WriteXdr(XdrWriter w)
    {
        Span<byte> b = [Master, Low, Medium, High];
        w.WriteFixedOpaque(b);
    }

    public static Thresholds ReadXdr(XdrReader r)
    {
        Span<byte> b = stackalloc byte[4];
        r.ReadFixedOpaque(b);
        return new Thresholds(b[0], b[1], b[2], b[3]);
    }
}

/// <summary>A signature with the hint of the key that made it (XDR DecoratedSignature, signature opaque&lt;64&gt;).</summary>
public sealed record DecoratedSignature : IXdrCodec<DecoratedSignature>
{
    public const int MaxSignature = 64;
    private readonly byte[] _signature;

    public DecoratedSignature(SignatureHint hint, byte[] signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        if (signature.Length > MaxSignature)
        {
            throw new ArgumentException($"signature is {signature.Length} bytes, at most {MaxSignature} allowed", nameof(signature));
        }

        Hint = hint;
        _signature = (byte[])signature.Clone();
    }

    private DecoratedSignature(byte[] owned, SignatureHint hint)
    {
        Hint = hint;
        _signature = owned;
    }

    public SignatureHint Hint { get; }

    /// <summary>The signature bytes (for a hash-x signer: the preimage).</summary>
    public ReadOnlySpan<byte> SignatureSpan => _signature;

    public byte[] Signature => (byte[])_signature.Clone();

    /// <summary>The decorated "signature" for a hash-x signer: the preimage, hinted by the last 4 bytes of sha256(preimage).</summary>
    public static DecoratedSignature ForHashX(ReadOnlySpan<byte> preimage)
        => new(SignatureHint.OfKey(Hash256.Sha256(preimage).Bytes), preimage.ToArray());

    public void WriteXdr(XdrWriter w)
    {
        Hint.WriteXdr(w);
        w.WriteVarOpaque(_signature, MaxSignature);
    }

    public static DecoratedSignature ReadXdr(XdrReader r)
    {
        var hint = r.Read<SignatureHint>();
        return new DecoratedSignature(r.ReadVarOpaque(MaxSignature), hint);
    }

    public bool Equals(DecoratedSignature? other)
        => other is not null && Hint == other.Hint && _signature.AsSpan().SequenceEqual(other._signature);

    public override int GetHashCode() => HashCode.Combine(Hint, Equality.Hash(_signature));
}
