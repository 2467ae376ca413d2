using System.Text.Encodings.Web;
using System.Text.Json;
using Watchtower.Stellar;

namespace Watchtower.Cli.Tx;

/// <summary>
/// The JSON description of an envelope printed by <c>tx decode</c>. Its shape is also the one the
/// JavaScript oracle (tests/oracle/describe.js) produces from the official SDK, so the conformance
/// suite compares the two field by field. Amounts are 7-decimal strings, 64-bit numbers strings.
/// </summary>
public static class EnvelopeJson
{
    // Base64 and memo text are printed as they are ('+', '/', non-ASCII); the output is not HTML.
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ToJson(TransactionEnvelope envelope, Network network)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
        {
            Write(writer, envelope, network);
        }

        return System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    public static void Write(Utf8JsonWriter w, TransactionEnvelope envelope, Network network)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(network);
        w.WriteStartObject();
        w.WriteString("hash", envelope.Hash(network).ToString());
        w.WriteString("xdr", envelope.ToXdrBase64());
        switch (envelope)
        {
            case FeeBumpEnvelope fb:
                w.WriteString("envelopeType", "ENVELOPE_TYPE_TX_FEE_BUMP");
                w.WriteString("feeSource", fb.FeeBump.FeeSource.ToString());
                w.WriteString("fee", Invariant(fb.FeeBump.Fee));
                w.WritePropertyName("innerTransaction");
                Write(w, fb.FeeBump.Inner, network);
                break;
            case TransactionV0Envelope v0:
                w.WriteString("envelopeType", "ENVELOPE_TYPE_TX_V0");
                WriteTransaction(w, v0.Transaction);
                break;
            case TransactionV1Envelope v1:
                w.WriteString("envelopeType", "ENVELOPE_TYPE_TX");
                WriteTransaction(w, v1.Transaction);
                break;
            default:
                throw new ArgumentException($"unknown envelope {envelope.GetType().Name}", nameof(envelope));
        }

        w.WriteStartArray("signatures");
        foreach (var s in envelope.Signatures)
        {
            w.WriteStartObject();
            w.WriteString("hint", s.Hint.ToString());
            w.WriteBase64String("signature", s.SignatureSpan);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteTransaction(Utf8JsonWriter w, Transaction tx)
    {
        w.WriteString("source", tx.Source.ToString());
        w.WriteString("fee", Invariant(tx.Fee));
        w.WriteString("sequence", tx.Sequence.ToString());
        WritePreconditions(w, tx.Preconditions);
        WriteMemo(w, tx.Memo);
        w.WriteStartArray("operations");
        foreach (var op in tx.Operations)
        {
            WriteOperation(w, op);
        }

        w.WriteEndArray();
    }

    private static void WritePreconditions(Utf8JsonWriter w, Preconditions p)
    {
        w.WriteStartObject("preconditions");
        switch (p.EncodedKind)
        {
            case PreconditionType.None:
                w.WriteString("type", "NONE");
                break;
            case PreconditionType.Time:
                w.WriteString("type", "TIME");
                WriteTimeBounds(w, p.TimeBounds);
                break;
            default:
                w.WriteString("type", "V2");
                WriteTimeBounds(w, p.TimeBounds);
                if (p.LedgerBounds is { } lb)
                {
                    w.WriteStartObject("ledgerBounds");
                    w.WriteNumber("minLedger", lb.Min);
                    w.WriteNumber("maxLedger", lb.Max);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("ledgerBounds");
                }

                if (p.MinSeqNum is { } minSeq)
                {
                    w.WriteString("minSeqNum", minSeq.ToString());
                }
                else
                {
                    w.WriteNull("minSeqNum");
                }

                w.WriteString("minSeqAge", Invariant(p.MinSeqAge));
                w.WriteNumber("minSeqLedgerGap", p.MinSeqLedgerGap);
                w.WriteStartArray("extraSigners");
                foreach (var k in p.ExtraSigners)
                {
                    w.WriteStringValue(k.ToString());
                }

                w.WriteEndArray();
                break;
        }

        w.WriteEndObject();
    }

    private static void WriteTimeBounds(Utf8JsonWriter w, TimeBounds? bounds)
    {
        if (bounds is { } tb)
        {
            w.WriteStartObject("timeBounds");
            w.WriteString("minTime", Invariant(tb.MinTime));
            w.WriteString("maxTime", Invariant(tb.MaxTime));
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("timeBounds");
        }
    }

    private static void WriteMemo(Utf8JsonWriter w, Memo memo)
    {
        w.WriteStartObject("memo");
        switch (memo)
        {
            case MemoText t:
                w.WriteString("type", "MEMO_TEXT");
                w.WriteString("value", t.Text);
                break;
            case MemoId id:
                w.WriteString("type", "MEMO_ID");
                w.WriteString("value", Invariant(id.Value));
                break;
            case MemoHash h:
                w.WriteString("type", "MEMO_HASH");
                w.WriteString("value", h.Value.ToString());
                break;
            case MemoReturn r:
                w.WriteString("type", "MEMO_RETURN");
                w.WriteString("value", r.Value.ToString());
                break;
            default:
                w.WriteString("type", "MEMO_NONE");
                break;
        }

        w.WriteEndObject();
    }

    private static void WriteOperation(Utf8JsonWriter w, Operation op)
    {
        w.WriteStartObject();
        w.WriteString("type", TypeName(op.Type));
        if (op.SourceAccount is { } source)
        {
            w.WriteString("source", source.ToString());
        }
        else
        {
            w.WriteNull("source");
        }

        w.WriteStartObject("fields");
        switch (op)
        {
            case CreateAccountOperation o:
                w.WriteString("destination", o.Destination.ToString());
                w.WriteString("startingBalance", o.StartingBalance.ToFixed7String());
                break;
            case PaymentOperation o:
                w.WriteString("destination", o.Destination.ToString());
                w.WriteString("asset", o.Asset.ToString());
                w.WriteString("amount", o.Amount.ToFixed7String());
                break;
            case SetOptionsOperation o:
                WriteNullable(w, "inflationDest", o.InflationDest?.ToString());
                WriteNullable(w, "clearFlags", o.ClearFlags);
                WriteNullable(w, "setFlags", o.SetFlags);
                WriteNullable(w, "masterWeight", o.MasterWeight);
                WriteNullable(w, "lowThreshold", o.LowThreshold);
                WriteNullable(w, "medThreshold", o.MedThreshold);
                WriteNullable(w, "highThreshold", o.HighThreshold);
                WriteNullable(w, "homeDomain", o.HomeDomain);
                if (o.Signer is { } signer)
                {
                    w.WriteStartObject("signer");
                    w.WriteString("key", signer.Key.ToString());
                    w.WriteNumber("weight", signer.Weight);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("signer");
                }

                break;
            case ChangeTrustOperation o:
                w.WriteString("line", o.Line.ToString());
                w.WriteString("limit", new Stroops(o.Limit).ToFixed7String());
                break;
            case AccountMergeOperation o:
                w.WriteString("destination", o.Destination.ToString());
                break;
            case ManageDataOperation o:
                w.WriteString("name", o.Name);
                if (o.Value is { } value)
                {
                    w.WriteBase64String("value", value);
                }
                else
                {
                    w.WriteNull("value");
                }

                break;
            case BumpSequenceOperation o:
                w.WriteString("bumpTo", o.BumpTo.ToString());
                break;
            default:
                throw new ArgumentException($"unknown operation {op.GetType().Name}", nameof(op));
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The XDR enum name of an operation type, e.g. BUMP_SEQUENCE.</summary>
    public static string TypeName(OperationType type) => type switch
    {
        OperationType.CreateAccount => "CREATE_ACCOUNT",
        OperationType.Payment => "PAYMENT",
        OperationType.SetOptions => "SET_OPTIONS",
        OperationType.ChangeTrust => "CHANGE_TRUST",
        OperationType.AccountMerge => "ACCOUNT_MERGE",
        OperationType.ManageData => "MANAGE_DATA",
        OperationType.BumpSequence => "BUMP_SEQUENCE",
        _ => type.ToString(),
    };

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, uint? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static string Invariant(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Invariant(ulong v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
