using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;

namespace Watchtower.Stellar.Xdr;

/// <summary>Big-endian XDR writer backed by a growable buffer that can be reset and reused.</summary>
public sealed class XdrWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public XdrWriter(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public int Length => _buffer.WrittenCount;

    public void Reset() => _buffer.ResetWrittenCount();

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void Write<T>(T value) where T : IXdrCodec<T> => value.WriteXdr(this);

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteBool(bool value) => WriteInt32(value ? 1 : 0);

    /// <summary>Writes fixed-length opaque data followed by zero padding to a multiple of 4.</summary>
    public void WriteFixedOpaque(ReadOnlySpan<byte> data)
    {
        var pad = (4 - (data.Length & 3)) & 3;
        var span = _buffer.GetSpan(data.Length + pad);
        data.CopyTo(span);
        span.Slice(data.Length, pad).Clear();
        _buffer.Advance(data.Length + pad);
    }

    public void WriteVarOpaque(ReadOnlySpan<byte> data, int max)
    {
        if (data.Length > max)
        {
            throw new ArgumentException($"opaque of {data.Length} bytes exceeds maximum {max}", nameof(data));
        }

        WriteUInt32((uint)data.Length);
        WriteFixedOpaque(data);
    }

    public void WriteString(string value, int max)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        if (count > max)
        {
            throw new ArgumentException($"string of {count} bytes exceeds maximum {max}", nameof(value));
        }

        WriteUInt32((uint)count);
        var pad = (4 - (count & 3)) & 3;
        var span = _buffer.GetSpan(count + pad);
        Encoding.UTF8.GetBytes(value, span);
        span.Slice(count, pad).Clear();
        _buffer.Advance(count + pad);
    }

    public void WriteArray<T>(ImmutableArray<T> values, int max) where T : IXdrCodec<T>
    {
        var count = values.IsDefault ? 0 : values.Length;
        if (count > max)
        {
            throw new ArgumentException($"array of {count} elements exceeds maximum {max}", nameof(values));
        }

        WriteUInt32((uint)count);
        for (var i = 0; i < count; i++)
        {
            values[i].WriteXdr(this);
        }
    }
}
