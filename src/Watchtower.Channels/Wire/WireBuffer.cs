using System.Buffers.Binary;
using System.Text;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Channels.Wire;

/// <summary>Every malformed input to the channel codecs raises this (and only this).</summary>
public sealed class WireFormatException(string message, Exception? inner = null) : FormatException(message, inner);

/// <summary>Big-endian, length-prefixed primitives; Stellar values as their XDR.</summary>
public sealed class WireWriter
{
    private byte[] _buffer = new byte[512];
    private int _length;

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    public void U8(byte value) => Reserve(1)[0] = value;

    public void Bool(bool value) => U8(value ? (byte)1 : (byte)0);

    public void I32(int value) => BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);

    public void I64(long value) => BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);

    public void Bytes(ReadOnlySpan<byte> value)
    {
        I32(value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    public void String(string value) => Bytes(Encoding.UTF8.GetBytes(value));

    public void Account(AccountId value) => String(value.ToString());

    public void Time(DateTimeOffset value) => I64(value.ToUnixTimeSeconds());

    public void Span(TimeSpan value) => I64(value.Ticks);

    public void Xdr<T>(T value) where T : IXdrCodec<T> => Bytes(XdrCodec.Encode(value));

    public void Seq(SequenceNumber value) => I64(value.Value);

    public void List<T>(IReadOnlyCollection<T> items, Action<WireWriter, T> write)
    {
        I32(items.Count);
        foreach (var item in items)
        {
            write(this, item);
        }
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }

        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}

public ref struct WireReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool AtEnd => _position == _data.Length;

    public void End()
    {
        if (!AtEnd)
        {
            throw new WireFormatException($"{_data.Length - _position} trailing bytes");
        }
    }

    public byte U8() => Take(1)[0];

    public bool Bool() => U8() switch
    {
        0 => false,
        1 => true,
        var b => throw new WireFormatException($"invalid boolean {b}"),
    };

    public int I32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long I64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public ReadOnlySpan<byte> Bytes()
    {
        var length = I32();
        if (length < 0 || length > _data.Length - _position)
        {
            throw new WireFormatException($"length {length} exceeds the {_data.Length - _position} bytes left");
        }

        return Take(length);
    }

    public string String()
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(Bytes());
        }
        catch (DecoderFallbackException e)
        {
            throw new WireFormatException("invalid UTF-8", e);
        }
    }

    public AccountId Account()
    {
        var text = String();
        return AccountId.TryParse(text, out var id) ? id : throw new WireFormatException($"invalid account id '{text}'");
    }

    public DateTimeOffset Time()
    {
        var seconds = I64();
        return seconds is >= 0 and <= 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : throw new WireFormatException($"time {seconds} out of range");
    }

    public TimeSpan Span() => TimeSpan.FromTicks(I64());

    public SequenceNumber Seq() => new(I64());

    public T Xdr<T>() where T : IXdrCodec<T>
    {
        var bytes = Bytes();
        try
        {
            return XdrCodec.Decode<T>(bytes);
        }
        catch (FormatException e)
        {
            throw new WireFormatException($"invalid {typeof(T).Name}: {e.Message}", e);
        }
    }

    /// <summary>A count bounded by <paramref name="max"/>, so a hostile length cannot make us allocate.</summary>
    public int Count(int max)
    {
        var count = I32();
        return count >= 0 && count <= max ? count : throw new WireFormatException($"count {count} outside 0..{max}");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
        {
            throw new WireFormatException("unexpected end of data");
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
