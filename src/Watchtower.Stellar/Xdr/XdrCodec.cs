namespace Watchtower.Stellar.Xdr;

/// <summary>Whole-value helpers over <see cref="XdrReader"/> / <see cref="XdrWriter"/>.</summary>
public static class XdrCodec
{
    // Reused per thread so hashing and encoding do not allocate a growing buffer per call. Taken
    // out while in use, so a codec that encodes something else while writing gets its own writer.
    [ThreadStatic]
    private static XdrWriter? t_writer;

    private static XdrWriter RentWriter()
    {
        var w = t_writer ?? new XdrWriter(1024);
        t_writer = null;
        w.Reset();
        return w;
    }

    private static void Return(XdrWriter w) => t_writer = w;

    public static byte[] Encode<T>(T value) where T : IXdrCodec<T>
    {
        var w = RentWriter();
        value.WriteXdr(w);
        var bytes = w.ToArray();
        Return(w);
        return bytes;
    }

    /// <summary>SHA-256 of the value's XDR encoding, without materialising the encoding.</summary>
    public static Hash256 HashOf<T>(T value) where T : IXdrCodec<T>
    {
        var w = RentWriter();
        value.WriteXdr(w);
        var hash = Hash256.Sha256(w.WrittenSpan);
        Return(w);
        return hash;
    }

    /// <summary>Decodes a value; the whole input must be consumed.</summary>
    public static T Decode<T>(ReadOnlySpan<byte> xdr, XdrLimits? limits = null) where T : IXdrCodec<T>
        => Decode<T>(new ReadOnlyMemory<byte>(xdr.ToArray()), limits);

    public static T Decode<T>(ReadOnlyMemory<byte> xdr, XdrLimits? limits = null) where T : IXdrCodec<T>
    {
        var r = new XdrReader(xdr, limits);
        var value = r.Read<T>();
        r.EnsureEnd();
        return value;
    }

    public static T Decode<T>(byte[] xdr, XdrLimits? limits = null) where T : IXdrCodec<T>
        => Decode<T>(new ReadOnlyMemory<byte>(xdr), limits);

    public static T FromBase64<T>(string base64, XdrLimits? limits = null) where T : IXdrCodec<T>
    {
        ArgumentNullException.ThrowIfNull(base64);
        var l = limits ?? XdrLimits.Default;
        // Bound the decoded size before allocating it.
        if ((long)base64.Length / 4 * 3 > l.MaxBytes + 3L)
        {
            throw new XdrFormatException($"base64 input longer than the limit of {l.MaxBytes} bytes");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException e)
        {
            throw new XdrFormatException("invalid base64", e);
        }

        return Decode<T>(bytes, l);
    }

    public static string ToBase64<T>(T value) where T : IXdrCodec<T>
    {
        var w = RentWriter();
        value.WriteXdr(w);
        var text = Convert.ToBase64String(w.WrittenSpan);
        Return(w);
        return text;
    }
}
