using System.Globalization;
using System.Text.Json.Nodes;
using Watchtower.Standalone.Engine;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Http;

/// <summary>Horizon's resource shapes (accounts, transactions, ledgers, root, problems).</summary>
internal static class HorizonJson
{
    /// <summary>9999-12-31T23:59:59Z: later time bounds are shown as that.</summary>
    private const ulong MaxRepresentableTime = 253402300799UL;

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Amount(long stroops) => new Stroops(stroops).ToFixed7String();

    public static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);

    public static string Str(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    public static JsonObject Link(string href, bool templated = false)
    {
        var link = new JsonObject { ["href"] = href };
        if (templated)
        {
            link["templated"] = true;
        }

        return link;
    }

    public static JsonObject Account(string baseUrl, AccountState a, IEnumerable<TrustLineState> lines, DateTimeOffset lastModifiedTime)
    {
        var id = a.Id.ToString();
        var self = $"{baseUrl}/accounts/{id}";
        var balances = new JsonArray();
        foreach (var line in lines)
        {
            var (type, code, issuer) = AssetParts(line.Asset);
            balances.Add(new JsonObject
            {
                ["balance"] = Amount(line.Balance),
                ["limit"] = Amount(line.Limit),
                ["buying_liabilities"] = "0.0000000",
                ["selling_liabilities"] = "0.0000000",
                ["last_modified_ledger"] = line.LastModifiedLedger,
                ["is_authorized"] = line.IsAuthorized,
                ["is_authorized_to_maintain_liabilities"] = line.IsAuthorized || (line.Flags & TrustLineState.AuthorizedToMaintainLiabilitiesFlag) != 0,
                ["asset_type"] = type,
                ["asset_code"] = code,
                ["asset_issuer"] = issuer,
            });
        }

        balances.Add(new JsonObject
        {
            ["balance"] = Amount(a.Balance),
            ["buying_liabilities"] = "0.0000000",
            ["selling_liabilities"] = "0.0000000",
            ["asset_type"] = "native",
        });

        var signers = new JsonArray();
        foreach (var s in a.Signers)
        {
            signers.Add(new JsonObject { ["weight"] = s.Weight, ["key"] = s.Key.ToString(), ["type"] = SignerType(s.Key) });
        }

        signers.Add(new JsonObject { ["weight"] = (int)a.Thresholds.Master, ["key"] = id, ["type"] = "ed25519_public_key" });
        var data = new JsonObject();
        foreach (var (name, value) in a.Data)
        {
            data[name] = Convert.ToBase64String(value);
        }

        var json = new JsonObject
        {
            ["_links"] = new JsonObject
            {
                ["self"] = Link(self),
                ["transactions"] = Link($"{self}/transactions{{?cursor,limit,order}}", true),
                ["operations"] = Link($"{self}/operations{{?cursor,limit,order}}", true),
                ["payments"] = Link($"{self}/payments{{?cursor,limit,order}}", true),
                ["effects"] = Link($"{self}/effects{{?cursor,limit,order}}", true),
                ["offers"] = Link($"{self}/offers{{?cursor,limit,order}}", true),
                ["trades"] = Link($"{self}/trades{{?cursor,limit,order}}", true),
                ["data"] = Link($"{self}/data/{{key}}", true),
            },
            ["id"] = id,
            ["account_id"] = id,
            ["sequence"] = Str(a.SeqNum),
            ["sequence_ledger"] = a.SeqLedger,
            ["sequence_time"] = Str(a.SeqTime),
            ["subentry_count"] = a.NumSubEntries,
        };
        if (a.InflationDest is { } inflation)
        {
            json["inflation_destination"] = inflation.ToString();
        }

        if (a.HomeDomain.Length > 0)
        {
            json["home_domain"] = a.HomeDomain;
        }

        json["last_modified_ledger"] = a.LastModifiedLedger;
        json["last_modified_time"] = Time(lastModifiedTime);
        json["thresholds"] = new JsonObject
        {
            ["low_threshold"] = (int)a.Thresholds.Low,
            ["med_threshold"] = (int)a.Thresholds.Medium,
            ["high_threshold"] = (int)a.Thresholds.High,
        };
        json["flags"] = new JsonObject
        {
            ["auth_required"] = (a.Flags & AccountState.AuthRequiredFlag) != 0,
            ["auth_revocable"] = (a.Flags & AccountState.AuthRevocableFlag) != 0,
            ["auth_immutable"] = (a.Flags & AccountState.AuthImmutableFlag) != 0,
            ["auth_clawback_enabled"] = (a.Flags & AccountState.AuthClawbackEnabledFlag) != 0,
        };
        json["balances"] = balances;
        json["signers"] = signers;
        json["data"] = data;
        json["num_sponsoring"] = 0;
        json["num_sponsored"] = 0;
        json["paging_token"] = id;
        return json;
    }

    public static JsonObject Transaction(string baseUrl, TransactionRecord t)
    {
        var frame = t.Frame;
        var tx = frame.Tx;
        var hash = t.Hash.ToString();
        var self = $"{baseUrl}/transactions/{hash}";
        var token = Str(t.PagingToken);
        var json = new JsonObject
        {
            ["_links"] = new JsonObject
            {
                ["self"] = Link(self),
                ["account"] = Link($"{baseUrl}/accounts/{frame.Source}"),
                ["ledger"] = Link($"{baseUrl}/ledgers/{t.Ledger}"),
                ["operations"] = Link($"{self}/operations{{?cursor,limit,order}}", true),
                ["effects"] = Link($"{self}/effects{{?cursor,limit,order}}", true),
                ["precedes"] = Link($"{baseUrl}/transactions?order=asc&cursor={token}"),
                ["succeeds"] = Link($"{baseUrl}/transactions?order=desc&cursor={token}"),
                ["transaction"] = Link(self),
            },
            ["id"] = hash,
            ["paging_token"] = token,
            ["successful"] = t.Successful,
            ["hash"] = hash,
            ["ledger"] = t.Ledger,
            ["created_at"] = Time(t.CreatedAt),
            ["source_account"] = tx.Source.Account.ToString(),
            ["source_account_sequence"] = Str(tx.Sequence.Value),
            ["fee_account"] = frame.FeeSource.ToString(),
            ["fee_charged"] = Str(t.Result.FeeCharged),
            ["max_fee"] = Str(frame.FeeBid),
            ["operation_count"] = tx.Operations.Length,
            ["envelope_xdr"] = Convert.ToBase64String(t.EnvelopeXdr),
            ["result_xdr"] = Convert.ToBase64String(t.ResultXdr),
            ["result_meta_xdr"] = Convert.ToBase64String(t.MetaXdr),
            ["fee_meta_xdr"] = Convert.ToBase64String(TransactionRecord.EmptyChangesXdr),
            ["memo_type"] = MemoType(tx.Memo),
        };
        // Muxed (M…) sources are shown as Horizon does: source_account / fee_account stay G…, and
        // account_muxed(_id) / fee_account_muxed(_id) carry the M… address and its id (a string).
        AddMuxed(json, "account", tx.Source);
        AddMuxed(json, "fee_account", frame.FeeBump?.FeeSource ?? tx.Source);
        if (MemoValue(tx.Memo) is { } memo)
        {
            json["memo"] = memo;
        }

        if (tx.Memo is MemoText text)
        {
            json["memo_bytes"] = Convert.ToBase64String(text.Bytes);
        }

        json["signatures"] = Signatures(frame.IsFeeBump ? frame.OuterSignatures : frame.InnerSignatures);
        if (tx.Preconditions.TimeBounds is { } tb)
        {
            json["valid_after"] = Time(DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(tb.MinTime, MaxRepresentableTime)));
            if (tb.MaxTime != 0)
            {
                json["valid_before"] = Time(DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(tb.MaxTime, MaxRepresentableTime)));
            }
        }

        json["preconditions"] = Preconditions(tx.Preconditions);
        if (frame.FeeBump is not null)
        {
            json["fee_bump_transaction"] = new JsonObject { ["hash"] = hash, ["signatures"] = Signatures(frame.OuterSignatures) };
            json["inner_transaction"] = new JsonObject
            {
                ["hash"] = frame.InnerHash.ToString(),
                ["signatures"] = Signatures(frame.InnerSignatures),
                ["max_fee"] = Str(tx.Fee),
            };
        }

        return json;
    }

    public static JsonObject Ledger(string baseUrl, LedgerRecord l)
    {
        var h = l.Header;
        var self = $"{baseUrl}/ledgers/{h.Sequence}";
        return new JsonObject
        {
            ["_links"] = new JsonObject
            {
                ["self"] = Link(self),
                ["transactions"] = Link($"{self}/transactions{{?cursor,limit,order}}", true),
                ["operations"] = Link($"{self}/operations{{?cursor,limit,order}}", true),
                ["payments"] = Link($"{self}/payments{{?cursor,limit,order}}", true),
                ["effects"] = Link($"{self}/effects{{?cursor,limit,order}}", true),
            },
            ["id"] = h.Hash.ToString(),
            ["paging_token"] = Str(l.PagingToken),
            ["hash"] = h.Hash.ToString(),
            ["prev_hash"] = h.Sequence == 1 ? "" : h.PreviousHash.ToString(),
            ["sequence"] = h.Sequence,
            ["successful_transaction_count"] = l.SuccessfulCount,
            ["failed_transaction_count"] = l.FailedCount,
            ["operation_count"] = l.OperationCount,
            ["tx_set_operation_count"] = l.TxSetOperationCount,
            ["closed_at"] = Time(h.CloseTimeUtc),
            ["total_coins"] = Amount(h.TotalCoins),
            ["fee_pool"] = Amount(h.FeePool),
            ["base_fee_in_stroops"] = h.BaseFee,
            ["base_reserve_in_stroops"] = h.BaseReserve,
            ["max_tx_set_size"] = h.MaxTxSetSize,
            ["protocol_version"] = h.ProtocolVersion,
            ["header_xdr"] = Convert.ToBase64String(h.HeaderXdr),
        };
    }

    public static JsonObject Problem(int status, string type, string title, string detail, JsonObject? extras = null)
    {
        var json = new JsonObject
        {
            ["type"] = $"https://stellar.org/horizon-errors/{type}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (extras is not null)
        {
            json["extras"] = extras;
        }

        return json;
    }

    /// <summary>extras.result_codes: the transaction code and, for a failed transaction, its operations' codes.</summary>
    public static JsonObject ResultCodes(TransactionResult result)
    {
        var codes = new JsonObject { ["transaction"] = result.Code.ToHorizonName() };
        var (code, ops) = (result.Code, result.Results);
        if (result.Inner is { } inner)
        {
            codes["inner_transaction"] = inner.Result.Code.ToHorizonName();
            (code, ops) = (inner.Result.Code, inner.Result.Results);
        }

        if (code == TransactionResultCode.TxFailed && !ops.IsDefaultOrEmpty)
        {
            codes["operations"] = new JsonArray(ops.Select(o => (JsonNode)JsonValue.Create(o.ToHorizonName())!).ToArray());
        }

        return codes;
    }

    private static void AddMuxed(JsonObject json, string field, MuxedAccount account)
    {
        if (account.Id is { } id)
        {
            json[$"{field}_muxed"] = account.ToString();
            json[$"{field}_muxed_id"] = Str(id);
        }
    }

    private static JsonObject Preconditions(Preconditions p)
    {
        var json = new JsonObject();
        if (p.TimeBounds is { } tb)
        {
            var bounds = new JsonObject { ["min_time"] = Str(tb.MinTime) };
            if (tb.MaxTime != 0)
            {
                bounds["max_time"] = Str(tb.MaxTime);
            }

            json["timebounds"] = bounds;
        }

        if (p.LedgerBounds is { } lb)
        {
            json["ledgerbounds"] = new JsonObject { ["min_ledger"] = lb.Min, ["max_ledger"] = lb.Max };
        }

        if (p.MinSeqNum is { } minSeq)
        {
            json["min_account_sequence"] = Str(minSeq.Value);
        }

        if (p.MinSeqAge != 0)
        {
            json["min_account_sequence_age"] = Str(p.MinSeqAge);
        }

        if (p.MinSeqLedgerGap != 0)
        {
            json["min_account_sequence_ledger_gap"] = p.MinSeqLedgerGap;
        }

        if (!p.ExtraSigners.IsDefaultOrEmpty)
        {
            json["extra_signers"] = new JsonArray(p.ExtraSigners.Select(k => (JsonNode)JsonValue.Create(k.ToString())!).ToArray());
        }

        return json;
    }

    private static JsonArray Signatures(IEnumerable<DecoratedSignature> signatures) =>
        new(signatures.Select(s => (JsonNode)JsonValue.Create(Convert.ToBase64String(s.SignatureSpan))!).ToArray());

    private static string MemoType(Memo memo) => memo switch
    {
        MemoText => "text",
        MemoId => "id",
        MemoHash => "hash",
        MemoReturn => "return",
        _ => "none",
    };

    private static string? MemoValue(Memo memo) => memo switch
    {
        MemoText t => t.Text,
        MemoId id => Str(id.Value),
        MemoHash h => Convert.ToBase64String(h.Value.Bytes),
        MemoReturn r => Convert.ToBase64String(r.Value.Bytes),
        _ => null,
    };

    private static string SignerType(SignerKey key) => key switch
    {
        PreAuthTxSignerKey => "preauth_tx",
        HashXSignerKey => "sha256_hash",
        SignedPayloadSignerKey => "ed25519_signed_payload",
        _ => "ed25519_public_key",
    };

    private static (string Type, string Code, string Issuer) AssetParts(Asset asset) => asset switch
    {
        CreditAlphanum4Asset a4 => ("credit_alphanum4", a4.Code, a4.Issuer.ToString()),
        CreditAlphanum12Asset a12 => ("credit_alphanum12", a12.Code, a12.Issuer.ToString()),
        _ => ("native", "", ""),
    };
}
