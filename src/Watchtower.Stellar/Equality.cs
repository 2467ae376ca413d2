using System.Collections.Immutable;

namespace Watchtower.Stellar;

/// <summary>Value equality for the collections inside records (records compare arrays by reference).</summary>
internal static class Equality
{
    public static bool Equal<T>(ImmutableArray<T> a, ImmutableArray<T> b)
    {
        if (a.IsDefaultOrEmpty || b.IsDefaultOrEmpty)
        {
            return a.IsDefaultOrEmpty == b.IsDefaultOrEmpty;
        }

        if (a.Length != b.Length)
        {
            return false;
        }

        var cmp = EqualityComparer<T>.Default;
        for (var i = 0; i < a.Length; i++)
        {
            if (!cmp.Equals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    public static int Hash<T>(ImmutableArray<T> a)
    {
        var h = new HashCode();
        if (!a.IsDefault)
        {
            foreach (var x in a)
            {
                h.Add(x);
            }
        }

        return h.ToHashCode();
    }

    public static bool Equal(byte[]? a, byte[]? b)
        => a is null || b is null ? a is null && b is null : a.AsSpan().SequenceEqual(b);

    public static int Hash(byte[]? a)
    {
        var h = new HashCode();
        if (a is not null)
        {
            h.AddBytes(a);
        }

        return h.ToHashCode();
    }
}
