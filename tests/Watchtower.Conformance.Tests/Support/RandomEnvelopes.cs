using System.Collections.Immutable;
using System.Text;
using Watchtower.Stellar;

namespace Watchtower.Conformance.Tests.Support;

/// <summary>
/// One randomly built envelope with the network it is signed for and, per signature in order,
/// its signer as a StrKey (G ed25519, X hash-x preimage, P signed payload).
/// </summary>
public sealed record BuiltEnvelope(
    Network Network,
    TransactionEnvelope Envelope,
    ImmutableArray<string> Signers,
    ImmutableArray<string> InnerSigners);

/// <summary>
/// Random envelopes built with our own API (TransactionBuilder where it fits, constructors
/// otherwise): every modelled operation, every signer key kind, NONE/TIME/V2 preconditions, every
/// memo kind, muxed sources and destinations, V0 envelopes, fee bumps, 0–3 signatures. Values lean
/// towards edges (0, max, sign bit) and include negative int64s the XDR allows.
/// </summary>
public sealed class RandomEnvelopes
{
    private const string Ascii = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    private const string CodeChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static readonly string[] Unicode = ["é", "ß", "€", "✓", "中", "😀"];
    private static readonly Network[] Networks = [Network.Public, Network.Testnet, Network.Standalone];
    private readonly Random _r;
    private readonly KeyPair[] _keys;

    public RandomEnvelopes(Random random)
    {
        _r = random;
        _keys = Enumerable.Range(0, 12).Select(_ => KeyPair.FromSeed(new SecretSeed(Bytes(32)))).ToArray();
    }

    public BuiltEnvelope Next()
    {
        var network = Chance(0.1) ? new Network($"Conformance Network {_r.Next()}") : Pick(Networks);
        var shape = _r.Next(10);
        var feeBump = shape >= 8;
        // A fee bump may wrap a V0 envelope: Wrap converts it to V1, keeping its hash and signatures.
        var v0 = shape < 2 || (feeBump && Chance(0.3));
        var tx = Transaction(v0);
        TransactionEnvelope inner = v0 ? new TransactionV0Envelope(tx, []) : new TransactionV1Envelope(tx, []);
        var (signedInner, innerSigners) = SignWith(inner, network, _r.Next(feeBump ? 1 : 0, 4));
        if (!feeBump)
        {
            return new BuiltEnvelope(network, signedInner, innerSigners, []);
        }

        var perOp = tx.Fee / (uint)tx.Operations.Length;
        var fee = (long)(perOp + (uint)_r.Next(0, 10_001)) * (tx.Operations.Length + 1);
        var bump = FeeBumpTransaction.Wrap(signedInner, Muxed(), fee).ToEnvelope();
        var (signedBump, signers) = SignWith(bump, network, _r.Next(1, 3));
        return new BuiltEnvelope(network, signedBump, signers, innerSigners);
    }

    // Ed25519 signatures over the hash, and now and then a hash-x preimage or a signed-payload signature.
    private (TransactionEnvelope, ImmutableArray<string>) SignWith(TransactionEnvelope envelope, Network network, int count)
    {
        var signers = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i < count; i++)
        {
            var key = Pick(_keys);
            envelope = envelope.Sign(network, key);
            signers.Add(key.AccountId.ToString());
        }

        if (Chance(0.1))
        {
            var preimage = Bytes(_r.Next(1, 65));
            envelope = envelope.AddSignature(DecoratedSignature.ForHashX(preimage));
            signers.Add(new HashXSignerKey(Hash256.Sha256(preimage)).ToString());
        }

        if (Chance(0.1))
        {
            var key = Pick(_keys);
            var payload = Bytes(_r.Next(1, 65));
            envelope = envelope.AddSignature(key.SignPayloadDecorated(payload));
            signers.Add(new SignedPayloadSignerKey(key.AccountId, payload).ToString());
        }

        return (envelope, signers.ToImmutable());
    }

    private Transaction Transaction(bool v0)
    {
        var source = v0 ? new MuxedAccount(AccountId()) : Muxed();
        var current = new SequenceNumber(Chance(0.05) ? -(long)(U64() >> 2) - 1 : I64NonNegative()) - 1;
        var ops = Enumerable.Range(0, _r.Next(1, 6)).Select(_ => Operation()).ToImmutableArray();
        var perOp = (uint)_r.Next(100, 5001);
        var kind = v0 ? Pick(["NONE", "TIME"]) : Pick(["NONE", "TIME", "V2", "V2"]);
        var preconditions = kind switch
        {
            "NONE" => Preconditions.None,
            "TIME" => Preconditions.FromTimeBounds(TimeBounds()),
            _ => V2(),
        };
        var memo = Memo();
        if (v0 || Chance(0.2))
        {
            return new Transaction(source, perOp * (uint)ops.Length, current + 1, preconditions, memo, ops);
        }

        var builder = new TransactionBuilder(source, current).WithFee(perOp).WithMemo(memo).WithPreconditions(preconditions);
        foreach (var op in ops)
        {
            builder = builder.AddOperation(op);
        }

        return builder.Build();
    }

    // A V2 precondition with at least one field only V2 can carry, so it encodes as V2.
    private Preconditions V2()
    {
        for (; ; )
        {
            var p = new Preconditions
            {
                TimeBounds = Chance(0.5) ? TimeBounds() : null,
                LedgerBounds = Chance(0.5) ? new LedgerBounds(U32Edgy(), U32Edgy()) : null,
                MinSeqNum = Chance(0.5) ? new SequenceNumber(I64NonNegative()) : null,
                MinSeqAge = Chance(0.5) ? 0 : U64Edgy(),
                MinSeqLedgerGap = Chance(0.5) ? 0 : U32Edgy(),
                ExtraSigners = Enumerable.Range(0, _r.Next(3)).Select(_ => SignerKey()).ToImmutableArray(),
            };
            if (p.EncodedKind == PreconditionType.V2)
            {
                return p;
            }
        }
    }

    private Operation Operation()
    {
        Operation op = _r.Next(7) switch
        {
            0 => new CreateAccountOperation(AccountId(), Amount(allowZero: true)),
            1 => new PaymentOperation(Muxed(), Asset(allowNative: true), Amount(allowZero: false)),
            2 => SetOptions(),
            3 => new ChangeTrustOperation(Asset(allowNative: false), Chance(0.3) ? long.MaxValue : Amount(allowZero: true).Value),
            4 => new AccountMergeOperation(Muxed()),
            5 => new ManageDataOperation(Text(64, Ascii), Chance(0.3) ? null : Bytes(_r.Next(1, 65))),
            _ => new BumpSequenceOperation(new SequenceNumber(Chance(0.05) ? -1 : I64NonNegative())),
        };
        return Chance(0.5) ? op : op with { SourceAccount = Muxed() };
    }

    // A tenth of them carry every field at once.
    private SetOptionsOperation SetOptions()
    {
        var all = Chance(0.1);
        bool Has() => all || Chance(0.5);
        return new(
            InflationDest: Has() ? AccountId() : null,
            ClearFlags: Has() ? U32Edgy() : null,
            SetFlags: Has() ? U32Edgy() : null,
            MasterWeight: Has() ? (uint)_r.Next(256) : null,
            LowThreshold: Has() ? (uint)_r.Next(256) : null,
            MedThreshold: Has() ? (uint)_r.Next(256) : null,
            HighThreshold: Has() ? (uint)_r.Next(256) : null,
            HomeDomain: Has() ? (Chance(0.1) ? "" : Text(32, Ascii)) : null,
            Signer: all || Chance(0.6) ? new Signer(SignerKey(), (uint)_r.Next(256)) : null);
    }

    private SignerKey SignerKey() => _r.Next(4) switch
    {
        0 => new Ed25519SignerKey(AccountId()),
        1 => new PreAuthTxSignerKey(new Hash256(Bytes(32))),
        2 => new HashXSignerKey(new Hash256(Bytes(32))),
        _ => new SignedPayloadSignerKey(AccountId(), Bytes(_r.Next(1, 65))),
    };

    private Memo Memo() => _r.Next(5) switch
    {
        0 => Stellar.Memo.None,
        1 => new MemoText(MemoText()),
        2 => new MemoId(U64Edgy()),
        3 => new MemoHash(new Hash256(Bytes(32))),
        _ => new MemoReturn(new Hash256(Bytes(32))),
    };

    private string MemoText()
    {
        var target = _r.Next(0, 29);
        var s = new StringBuilder();
        for (; ; )
        {
            var c = Chance(0.2) ? Pick(Unicode) : Ascii[_r.Next(Ascii.Length)].ToString();
            if (Encoding.UTF8.GetByteCount(s + c) > target)
            {
                return s.ToString();
            }

            s.Append(c);
        }
    }

    private Asset Asset(bool allowNative)
    {
        var kind = _r.Next(allowNative ? 3 : 2);
        return kind switch
        {
            2 => Stellar.Asset.Native,
            0 => Stellar.Asset.Credit(Text(4, CodeChars), AccountId()),
            _ => Stellar.Asset.Credit(Text(12, CodeChars).PadRight(5, 'Z'), AccountId()),
        };
    }

    private Stroops Amount(bool allowZero)
    {
        var v = _r.Next(5) switch
        {
            0 => _r.Next(allowZero ? 0 : 1, 101),
            1 => long.MaxValue,
            2 => allowZero ? -(long)(U64() >> 1) - 1 : 1, // int64 allows negatives; SDKs must print them
            _ => I64NonNegative(),
        };
        return new Stroops(v == 0 && !allowZero ? 1 : v);
    }

    private TimeBounds TimeBounds() => new(U64Edgy(), U64Edgy());

    private AccountId AccountId() => Pick(_keys).AccountId;

    private MuxedAccount Muxed() => Chance(1.0 / 3) ? new MuxedAccount(AccountId(), U64Edgy()) : new MuxedAccount(AccountId());

    private string Text(int maxChars, string alphabet)
    {
        var n = _r.Next(1, maxChars + 1);
        return string.Create(n, alphabet, (span, a) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = a[_r.Next(a.Length)];
            }
        });
    }

    private bool Chance(double p) => _r.NextDouble() < p;

    private T Pick<T>(T[] items) => items[_r.Next(items.Length)];

    private byte[] Bytes(int n)
    {
        var b = new byte[n];
        _r.NextBytes(b);
        return b;
    }

    private ulong U64() => (ulong)_r.NextInt64() << 1 ^ (ulong)_r.Next(2);

    private ulong U64Edgy() => _r.Next(6) switch
    {
        0 => 0,
        1 => ulong.MaxValue,
        2 => (ulong)(uint)_r.Next() << 1,
        _ => U64(),
    };

    private long I64NonNegative() => _r.Next(6) switch
    {
        0 => 0,
        1 => long.MaxValue,
        2 => _r.Next(),
        _ => _r.NextInt64(long.MaxValue),
    };

    private uint U32Edgy() => _r.Next(5) switch
    {
        0 => 0,
        1 => uint.MaxValue,
        _ => (uint)_r.NextInt64(uint.MaxValue + 1L),
    };
}
