using System.Buffers.Binary;
using System.Text;

namespace Watchtower.Stellar.Xdr;

/// <summary>
/// Big-endian XDR reader over a buffer. Lengths read from the input are checked against the
/// remaining input (and the declared maximum) before any allocation, so hostile input cannot make
/// us allocate more than it is long; nesting depth is bounded through <see cref="Read{T}"/>.
/// </summary>
public sealed class XdrReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // The input as array + bounds rather than ReadOnlyMemory: every primitive read slices it, and
    // an array slice is cheaper than materialising Memory.Span each time.
    private readonly byte[] _array;
    private readonly int _start;
    private readonly int _end;
    private readonly XdrLimits _limits;
    private int _position;
    private int _depth;

    public XdrReader(ReadOnlyMemory<byte> buffer, XdrLimits? limits = null)
    {
        _limits = limits ?? XdrLimits.Default;
        if (buffer.Length > _limits.MaxBytes)
        {
            throw new XdrFormatException($"input of {buffer.Length} bytes exceeds the limit of {_limits.MaxBytes}");
        }

        if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(buffer, out var segment) && segment.Array is not null)
        {
            _array = segment.Array;
            _start = segment.Offset;
        }
        else
        {
            _array = buffer.ToArray();
            _start = 0;
        }

        _end = _start + buffer.Length;
        _position = _start;
    }

    public int Position => _position - _start;

    public int Remaining => _end - _position;

    /// <summary>Reads a nested value, counting depth against the limit.</summary>
    public T Read<T>() where T : IXdrCodec<T>
    {
        if (++_depth > _limits.MaxDepth)
        {
            throw new XdrFormatException($"nesting deeper than {_limits.MaxDepth}");
        }

        var value = T.ReadXdr(this);
        _depth--;
        return value;
    }

    /// <summary>Throws unless the whole input has been consumed.</summary>
    public void EnsureEnd()
    {
        if (Remaining != 0)
        {
            throw new XdrFormatException($"{Remaining} trailing bytes after the value");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new XdrFormatException($"unexpected end of input: need {count} bytes at offset {Position}, have {Remaining}");
        }

        var span = new ReadOnlySpan<byte>(_array, _position, count);
        _position += count;
        return span;
    }

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public bool ReadBool()
    {
        var v = ReadInt32();
        return v switch
        {
            0 => false,
            1 => true,
            _ => throw new XdrFormatException($"invalid boolean {v}"),
        };
    }

    /// <summary>Reads fixed-length opaque data (with its zero padding) into <paramref name="destination"/>.</summary>
    public void ReadFixedOpaque(Span<byte> destination)
    {
        Take(destination.Length).CopyTo(destination);
        SkipPadding(destination.Length);
    }

    public byte[] ReadFixedOpaque(int length)
    {
        if (length > Remaining)
        {
            throw new XdrFormatException($"unexpected end of input: need {length} bytes at offset {Position}, have {Remaining}");
        }

        var result = new byte[length];
        ReadFixedOpaque(result);
        return result;
    }

    /// <summary>Reads a variable-length opaque&lt;max&gt;.</summary>
    public byte[] ReadVarOpaque(int max)
    {
        var length = ReadLength(max, 1, "opaque");
        return ReadFixedOpaque(length);
    }

    /// <summary>Reads a string&lt;max&gt; as strict UTF-8 (invalid UTF-8 is a format error).</summary>
    public string ReadString(int max)
    {
        var length = ReadLength(max, 1, "string");
        var bytes = Take(length);
        string s;
        try
        {
            s = StrictUtf8.GetString(bytes);
        }
        catch (ArgumentException e)
        {
            throw new XdrFormatException("string is not valid UTF-8", e);
        }

        SkipPadding(length);
        return s;
    }

    /// <summary>
    /// Reads a var-array length prefix and validates it against the declared maximum and against the
    /// remaining input given the smallest possible encoded element size.
    /// </summary>
    public int ReadLength(int max, int minElementSize, string what)
    {
        var raw = ReadUInt32();
        if (raw > (uint)max)
        {
            throw new XdrFormatException($"{what} length {raw} exceeds maximum {max}");
        }

        var length = (int)raw;
        if ((long)length * minElementSize > Remaining)
        {
            throw new XdrFormatException($"{what} length {length} exceeds the remaining input ({Remaining} bytes)");
        }

        return length;
    }

    /// <summary>Reads a var-array of nested values; every element we model is at least 4 bytes long.</summary>
    public System.Collections.Immutable.ImmutableArray<T> ReadArray<T>(int max) where T : IXdrCodec<T>
    {
        var count = ReadLength(max, 4, "array");
        if (count == 0)
        {
            return [];
        }

        var items = new T[count];
        for (var i = 0; i < count; i++)
        {
            items[i] = Read<T>();
        }

        return System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(items);
    }

    /// <summary>Reads the optional-data flag (XDR "T*").</summary>
    public bool ReadPresent() => ReadBool();

    private void SkipPadding(int length)
    {
        var pad = (4 - (length & 3)) & 3;
        if (pad == 0)
        {
            return;
        }

        foreach (var b in Take(pad))
        {
            if (b != 0)
            {
                throw new XdrFormatException("non-zero padding");
            }
        }
    }
}
