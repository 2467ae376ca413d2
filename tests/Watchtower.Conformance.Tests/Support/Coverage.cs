using System.Text.Json.Nodes;

namespace Watchtower.Conformance.Tests.Support;

/// <summary>
/// Which protocol features a batch of envelope descriptions exercised, so a test can assert that
/// its random cases really covered every operation, signer kind, precondition, memo and shape.
/// </summary>
public sealed class Coverage
{
    public static readonly IReadOnlyList<string> Required =
    [
        "env:ENVELOPE_TYPE_TX", "env:ENVELOPE_TYPE_TX_V0", "env:ENVELOPE_TYPE_TX_FEE_BUMP",
        "op:CREATE_ACCOUNT", "op:PAYMENT", "op:SET_OPTIONS", "op:CHANGE_TRUST", "op:ACCOUNT_MERGE",
        "op:MANAGE_DATA", "op:BUMP_SEQUENCE",
        "setOptions:signer:G", "setOptions:signer:T", "setOptions:signer:X", "setOptions:signer:P",
        "setOptions:allFields",
        "precond:NONE", "precond:TIME", "precond:V2", "v2:timeBounds", "v2:noTimeBounds", "v2:ledgerBounds",
        "v2:minSeqNum", "v2:minSeqAge", "v2:minSeqLedgerGap",
        "extraSigner:G", "extraSigner:T", "extraSigner:X", "extraSigner:P",
        "memo:MEMO_NONE", "memo:MEMO_TEXT", "memo:MEMO_ID", "memo:MEMO_HASH", "memo:MEMO_RETURN",
        "muxed:source", "muxed:opSource", "muxed:destination", "muxed:feeSource",
        "asset:native", "asset:alphanum4", "asset:alphanum12",
        "signatures:0", "signatures:2+", "signer:G", "signer:X", "signer:P",
    ];

    private readonly HashSet<string> _seen = [];

    public IReadOnlySet<string> Seen => _seen;

    public IEnumerable<string> Missing => Required.Where(r => !_seen.Contains(r));

    public void Add(JsonNode description)
    {
        var type = (string)description["envelopeType"]!;
        _seen.Add($"env:{type}");
        var signatures = description["signatures"]!.AsArray().Count;
        _seen.Add(signatures == 0 ? "signatures:0" : signatures >= 2 ? "signatures:2+" : "signatures:1");
        if (type == "ENVELOPE_TYPE_TX_FEE_BUMP")
        {
            Muxed(description["feeSource"], "feeSource");
            Add(description["innerTransaction"]!);
            return;
        }

        Muxed(description["source"], "source");
        var pre = description["preconditions"]!;
        var kind = (string)pre["type"]!;
        _seen.Add($"precond:{kind}");
        if (kind == "V2")
        {
            _seen.Add(pre["timeBounds"] is null ? "v2:noTimeBounds" : "v2:timeBounds");
            if (pre["ledgerBounds"] is not null)
            {
                _seen.Add("v2:ledgerBounds");
            }

            if (pre["minSeqNum"] is not null)
            {
                _seen.Add("v2:minSeqNum");
            }

            if ((string)pre["minSeqAge"]! != "0")
            {
                _seen.Add("v2:minSeqAge");
            }

            if ((uint)pre["minSeqLedgerGap"]! != 0)
            {
                _seen.Add("v2:minSeqLedgerGap");
            }

            foreach (var k in pre["extraSigners"]!.AsArray())
            {
                _seen.Add($"extraSigner:{((string)k!)[0]}");
            }
        }

        _seen.Add($"memo:{(string)description["memo"]!["type"]!}");
        foreach (var op in description["operations"]!.AsArray())
        {
            AddOperation(op!);
        }
    }

    /// <summary>Signers as StrKeys: G (ed25519), X (hash-x preimage), P (signed payload).</summary>
    public void AddSigners(IEnumerable<string> signers)
    {
        foreach (var s in signers)
        {
            _seen.Add($"signer:{s[0]}");
        }
    }

    private void AddOperation(JsonNode op)
    {
        _seen.Add($"op:{(string)op["type"]!}");
        Muxed(op["source"], "opSource");
        var fields = op["fields"]!.AsObject();
        if (fields["destination"] is { } destination)
        {
            Muxed(destination, "destination");
        }

        foreach (var key in new[] { "asset", "line" })
        {
            if (fields[key] is { } asset)
            {
                var text = (string)asset!;
                _seen.Add(text == "native" ? "asset:native" : text.IndexOf(':', StringComparison.Ordinal) <= 4 ? "asset:alphanum4" : "asset:alphanum12");
            }
        }

        if ((string)op["type"]! == "SET_OPTIONS")
        {
            if (fields["signer"] is { } signer)
            {
                _seen.Add($"setOptions:signer:{((string)signer["key"]!)[0]}");
            }

            if (fields.All(f => f.Value is not null))
            {
                _seen.Add("setOptions:allFields");
            }
        }
    }

    private void Muxed(JsonNode? address, string where)
    {
        if (address is not null && ((string)address!).StartsWith('M'))
        {
            _seen.Add($"muxed:{where}");
        }
    }
}
