namespace Watchtower.Stellar.Xdr;

/// <summary>The one serialization idiom: every XDR type writes itself and reads itself.</summary>
public interface IXdrCodec<TSelf> where TSelf : IXdrCodec<TSelf>
{
    void WriteXdr(XdrWriter w);

    static abstract TSelf ReadXdr(XdrReader r);
}

/// <summary>Every decoding failure is reported as this exception (and only this one).</summary>
public class XdrFormatException : FormatException
{
    public XdrFormatException(string message) : base(message) { }

    public XdrFormatException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Hard limits enforced by <see cref="XdrReader"/> before anything is allocated.</summary>
public sealed record XdrLimits(int MaxDepth, int MaxBytes)
{
    /// <summary>Generous for any transaction envelope or ledger entry we model (stellar-core caps tx size far lower).</summary>
    public static XdrLimits Default { get; } = new(MaxDepth: 64, MaxBytes: 1 << 20);
}

/// <summary>Well-formed XDR for something this library deliberately does not model (e.g. Soroban data).</summary>
public sealed class XdrUnsupportedException : XdrFormatException
{
    public XdrUnsupportedException(string message) : base(message) { }
}
