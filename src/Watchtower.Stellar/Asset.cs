using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

/// <summary>A Stellar asset (XDR Asset): native, or a credit asset with a 1–4 or 5–12 character code.</summary>
public abstract record Asset : IXdrCodec<Asset>
{
    private protected Asset() { }

    public static Asset Native { get; } = new NativeAsset();

    /// <summary>The right credit asset for the code's length.</summary>
    public static Asset Credit(string code, AccountId issuer)
    {
        ArgumentNullException.ThrowIfNull(code);
        return code.Length <= 4 ? new CreditAlphanum4Asset(code, issuer) : new CreditAlphanum12Asset(code, issuer);
    }

    public abstract void WriteXdr(XdrWriter w);

    public static Asset ReadXdr(XdrReader r)
    {
        var type = r.ReadInt32();
        return type switch
        {
            0 => Native,
            1 => CreditAlphanum4Asset.ReadBody(r),
            2 => CreditAlphanum12Asset.ReadBody(r),
            _ => throw new XdrFormatException($"unsupported asset type {type}"),
        };
    }

    internal static string ValidateCode(string code, int min, int max)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (code.Length < min || code.Length > max)
        {
            throw new ArgumentException($"asset code must be {min}-{max} characters, got \"{code}\"", nameof(code));
        }

        foreach (var c in code)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                throw new ArgumentException($"asset code must be alphanumeric, got \"{code}\"", nameof(code));
            }
        }

        return code;
    }

    internal static void WriteCode(XdrWriter w, string code, int width)
    {
        Span<byte> buf = stackalloc byte[12];
        buf.Clear();
        for (var i = 0; i < code.Length; i++)
        {
            buf[i] = (byte)code[i];
        }

        w.WriteFixedOpaque(buf[..width]);
    }

    // stellar-core's rule: alphanumeric characters, then only zero padding; at least `min` characters.
    internal static string ReadCode(XdrReader r, int width, int min)
    {
        Span<byte> buf = stackalloc byte[12];
        r.ReadFixedOpaque(buf[..width]);
        var length = 0;
        while (length < width && buf[length] != 0)
        {
            if (!char.IsAsciiLetterOrDigit((char)buf[length]))
            {
                throw new XdrFormatException("asset code is not alphanumeric");
            }

            length++;
        }

        for (var i = length; i < width; i++)
        {
            if (buf[i] != 0)
            {
                throw new XdrFormatException("asset code has characters after its zero padding");
            }
        }

        if (length < min)
        {
            throw new XdrFormatException($"asset code shorter than {min} characters");
        }

        return System.Text.Encoding.ASCII.GetString(buf[..length]);
    }
}

public sealed record NativeAsset : Asset
{
    internal NativeAsset() { }

    public override void WriteXdr(XdrWriter w) => w.WriteInt32(0);

    public override string ToString() => "native";
}

public sealed record CreditAlphanum4Asset(string Code, AccountId Issuer) : Asset
{
    private readonly string _code = ValidateCode(Code, 1, 4);

    public string Code { get => _code; init => _code = ValidateCode(value, 1, 4); }

    public override void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(1);
        WriteCode(w, Code, 4);
        Issuer.WriteXdr(w);
    }

    internal static CreditAlphanum4Asset ReadBody(XdrReader r)
    {
        var code = ReadCode(r, 4, 1);
        return new CreditAlphanum4Asset(code, r.Read<AccountId>());
    }

    public override string ToString() => $"{Code}:{Issuer}";
}

public sealed record CreditAlphanum12Asset(string Code, AccountId Issuer) : Asset
{
    private readonly string _code = ValidateCode(Code, 5, 12);

    public string Code { get => _code; init => _code = ValidateCode(value, 5, 12); }

    public override void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(2);
        WriteCode(w, Code, 12);
        Issuer.WriteXdr(w);
    }

    internal static CreditAlphanum12Asset ReadBody(XdrReader r)
    {
        var code = ReadCode(r, 12, 5);
        return new CreditAlphanum12Asset(code, r.Read<AccountId>());
    }

    public override string ToString() => $"{Code}:{Issuer}";
}
