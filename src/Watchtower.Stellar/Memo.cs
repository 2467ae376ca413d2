using System.Text;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

/// <summary>A transaction memo (XDR Memo).</summary>
public abstract record Memo : IXdrCodec<Memo>
{
    private protected Memo() { }

    public static Memo None { get; } = new MemoNone();

    public abstract void WriteXdr(XdrWriter w);

    public static Memo ReadXdr(XdrReader r)
    {
        var type = r.ReadInt32();
        return type switch
        {
            0 => None,
            1 => MemoText.FromBytes(r.ReadVarOpaque(MemoText.MaxBytes)),
            2 => new MemoId(r.ReadUInt64()),
            3 => new MemoHash(r.Read<Hash256>()),
            4 => new MemoReturn(r.Read<Hash256>()),
            _ => throw new XdrFormatException($"unknown memo type {type}"),
        };
    }
}

public sealed record MemoNone : Memo
{
    internal MemoNone() { }

    public override void WriteXdr(XdrWriter w) => w.WriteInt32(0);
}

/// <summary>
/// A text memo of at most 28 bytes. The network does not require UTF-8, so the exact bytes are
/// kept (and re-encoded); <see cref="Text"/> is their UTF-8 reading.
/// </summary>
public sealed record MemoText : Memo
{
    public const int MaxBytes = 28;
    private readonly byte[] _bytes;

    public MemoText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > MaxBytes)
        {
            throw new ArgumentException($"memo text is {bytes.Length} bytes, at most {MaxBytes} allowed", nameof(text));
        }

        _bytes = bytes;
        Text = text;
    }

    private MemoText(byte[] bytes)
    {
        _bytes = bytes;
        Text = Encoding.UTF8.GetString(bytes);
    }

    public string Text { get; }

    public ReadOnlySpan<byte> Bytes => _bytes;

    public static MemoText FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length > MaxBytes)
        {
            throw new ArgumentException($"memo text is {bytes.Length} bytes, at most {MaxBytes} allowed", nameof(bytes));
        }

        return new MemoText((byte[])bytes.Clone());
    }

    public override void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(1);
        w.WriteVarOpaque(_bytes, MaxBytes);
    }

    public bool Equals(MemoText? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override int GetHashCode() => Equality.Hash(_bytes);
}

public sealed record MemoId(ulong Value) : Memo
{
    public override void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(2);
        w.WriteUInt64(Value);
    }
}

public sealed record MemoHash(Hash256 Value) : Memo
{
    public override void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(3);
        Value.WriteXdr(w);
    }
}

public sealed record MemoReturn(Hash256 Value) : Memo
{
    public override void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(4);
        Value.WriteXdr(w);
    }
}
