using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Watchtower.Stellar;

namespace Watchtower.Channels.Protocol;

/// <summary>The few Stellar primitives the channel protocol signs and verifies with.</summary>
internal static class StellarInterop
{
    public static byte[] Hash(Transaction tx, Network network) => tx.Hash(network).Bytes.ToArray();

    public static DecoratedSignature Sign(KeyPair key, byte[] hash) => key.SignDecorated(hash);

    /// <summary>A signature counts only if its hint names the key and it verifies: the ledger matches by hint.</summary>
    public static bool Verify(AccountId key, byte[] hash, DecoratedSignature signature) =>
        signature.Hint == key.Hint && signature.Signature.Length == 64 && KeyPair.Verify(key, hash, signature.Signature);

    /// <summary>
    /// Our signature on each hash. A step's signatures are independent and dominate a round's
    /// latency, so with more than one core they are computed in parallel.
    /// </summary>
    public static ImmutableArray<DecoratedSignature> SignAll(KeyPair key, IReadOnlyList<byte[]> hashes)
    {
        var signatures = new DecoratedSignature[hashes.Count];
        ForEach(hashes.Count, i => signatures[i] = Sign(key, hashes[i]));
        return ImmutableCollectionsMarshal.AsImmutableArray(signatures);
    }

    /// <summary>The index of the first signature that does not verify against its hash, or −1 (verified in parallel like <see cref="SignAll"/>).</summary>
    public static int FirstInvalid(AccountId key, IReadOnlyList<byte[]> hashes, ImmutableArray<DecoratedSignature> signatures)
    {
        var valid = new bool[hashes.Count];
        ForEach(hashes.Count, i => valid[i] = Verify(key, hashes[i], signatures[i]));
        return Array.IndexOf(valid, false);
    }

    /// <summary>
    /// Runs body(0..count−1) on this thread and up to one pool thread per other core, each taking
    /// the next index until none is left. Lighter than Parallel.For for the handful of items a step
    /// has: a helper that starts late finds the work done and costs nothing.
    /// </summary>
    private static void ForEach(int count, Action<int> body)
    {
        var helpers = Math.Min(count, Environment.ProcessorCount) - 1;
        if (helpers <= 0)
        {
            for (var i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        var work = new SharedWork(count, body);
        for (var h = 0; h < helpers; h++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static w => w.Run(), work, preferLocal: false);
        }

        work.Run();
        work.Wait();
    }

    private sealed class SharedWork(int count, Action<int> body)
    {
        private readonly object _gate = new();
        private int _next = -1;
        private int _done;
        private Exception? _failure;

        public void Run()
        {
            int i;
            while ((i = Interlocked.Increment(ref _next)) < count)
            {
                try
                {
                    body(i);
                }
#pragma warning disable CA1031 // rethrown on the calling thread by Wait
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                }

                if (Interlocked.Increment(ref _done) == count)
                {
                    lock (_gate)
                    {
                        Monitor.PulseAll(_gate);
                    }
                }
            }
        }

        public void Wait()
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref _done) < count && !spin.NextSpinWillYield)
            {
                spin.SpinOnce();
            }

            lock (_gate)
            {
                while (Volatile.Read(ref _done) < count)
                {
                    Monitor.Wait(_gate);
                }
            }

            if (_failure is { } e)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
            }
        }
    }

    public static TransactionEnvelope Envelope(Transaction tx, IEnumerable<DecoratedSignature> signatures)
    {
        TransactionEnvelope envelope = new TransactionV1Envelope(tx, []);
        foreach (var s in signatures)
        {
            envelope = envelope.AddSignature(s);
        }

        return envelope;
    }
}
