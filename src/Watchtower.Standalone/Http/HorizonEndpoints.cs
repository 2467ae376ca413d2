using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Watchtower.Standalone.Engine;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Standalone.Http;

/// <summary>The Horizon subset: root, accounts, transactions (submit, read, page, stream), ledgers, fee stats, friendbot.</summary>
internal sealed class HorizonEndpoints(LedgerHost host, StandaloneOptions options, CancellationToken stopping)
{
    private readonly SemaphoreSlim _friendbot = new(1, 1);

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", Root);
        app.MapGet("/accounts/{id}", Account);
        app.MapGet("/accounts/{id}/transactions", AccountTransactions);
        app.MapGet("/accounts/{id}/data/{key}", AccountData);
        app.MapPost("/transactions", SubmitTransaction);
        app.MapPost("/transactions_async", SubmitTransactionAsync);
        app.MapGet("/transactions", Transactions);
        app.MapGet("/transactions/{hash}", Transaction);
        app.MapGet("/ledgers", Ledgers);
        app.MapGet("/ledgers/{sequence}", Ledger);
        app.MapGet("/ledgers/{sequence}/transactions", LedgerTransactions);
        app.MapGet("/fee_stats", FeeStats);
        app.MapGet("/friendbot", Friendbot);
        app.MapPost("/friendbot", Friendbot);
    }

    private Task Root(HttpContext ctx)
    {
        var baseUrl = HttpIo.BaseUrl(ctx);
        var latest = host.Read(e => e.Latest.Header);
        var body = new JsonObject
        {
            ["_links"] = new JsonObject
            {
                ["account"] = HorizonJson.Link($"{baseUrl}/accounts/{{account_id}}", true),
                ["account_transactions"] = HorizonJson.Link($"{baseUrl}/accounts/{{account_id}}/transactions{{?cursor,limit,order}}", true),
                ["fee_stats"] = HorizonJson.Link($"{baseUrl}/fee_stats"),
                ["friendbot"] = HorizonJson.Link($"{baseUrl}/friendbot{{?addr}}", true),
                ["ledger"] = HorizonJson.Link($"{baseUrl}/ledgers/{{sequence}}", true),
                ["ledgers"] = HorizonJson.Link($"{baseUrl}/ledgers{{?cursor,limit,order}}", true),
                ["self"] = HorizonJson.Link($"{baseUrl}/"),
                ["transaction"] = HorizonJson.Link($"{baseUrl}/transactions/{{hash}}", true),
                ["transactions"] = HorizonJson.Link($"{baseUrl}/transactions{{?cursor,limit,order}}", true),
            },
            ["horizon_version"] = "watchtower-standalone",
            ["core_version"] = "watchtower-standalone",
            ["ingest_latest_ledger"] = latest.Sequence,
            ["history_latest_ledger"] = latest.Sequence,
            ["history_latest_ledger_closed_at"] = HorizonJson.Time(latest.CloseTimeUtc),
            ["history_elder_ledger"] = 1,
            ["core_latest_ledger"] = latest.Sequence,
            ["network_passphrase"] = host.Network.Passphrase,
            ["current_protocol_version"] = latest.ProtocolVersion,
            ["supported_protocol_version"] = latest.ProtocolVersion,
            ["core_supported_protocol_version"] = latest.ProtocolVersion,
        };
        return HttpIo.WriteJson(ctx, 200, body);
    }

    private Task Account(HttpContext ctx, string id)
    {
        if (!AccountId.TryParse(id, out var accountId))
        {
            return HttpIo.BadRequest(ctx, "Account ID must start with `G` and contain 56 alphanum characters", "account_id");
        }

        var found = host.Read(e =>
        {
            var account = e.GetAccount(accountId);
            if (account is null)
            {
                return null;
            }

            var modified = e.GetLedger(account.LastModifiedLedger)?.Header.CloseTimeUtc ?? DateTimeOffset.UnixEpoch;
            return HorizonJson.Account(HttpIo.BaseUrl(ctx), account, e.TrustLinesOf(accountId).ToList(), modified);
        });
        return found is null ? HttpIo.NotFound(ctx) : HttpIo.WriteJson(ctx, 200, found);
    }

    private Task AccountData(HttpContext ctx, string id, string key)
    {
        if (!AccountId.TryParse(id, out var accountId))
        {
            return HttpIo.BadRequest(ctx, "Account ID must start with `G` and contain 56 alphanum characters", "account_id");
        }

        var value = host.Read(e => e.GetAccount(accountId)?.Data.GetValueOrDefault(key));
        return value is null
            ? HttpIo.NotFound(ctx)
            : HttpIo.WriteJson(ctx, 200, new JsonObject { ["value"] = Convert.ToBase64String(value), ["sponsor"] = null });
    }

    private Task Transaction(HttpContext ctx, string hash)
    {
        if (!TransactionHash.TryParse(hash, out var txHash))
        {
            return HttpIo.BadRequest(ctx, "Transaction hash must be a hex-encoded, lowercase SHA-256 hash", "tx_id");
        }

        var record = host.Read(e => e.GetTransaction(txHash));
        return record is null ? HttpIo.NotFound(ctx) : HttpIo.WriteJson(ctx, 200, HorizonJson.Transaction(HttpIo.BaseUrl(ctx), record));
    }

    private Task Ledger(HttpContext ctx, string sequence)
    {
        if (!uint.TryParse(sequence, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return HttpIo.BadRequest(ctx, "Ledger sequence must be a number", "ledger_id");
        }

        var ledger = host.Read(e => e.GetLedger(seq));
        return ledger is null ? HttpIo.NotFound(ctx) : HttpIo.WriteJson(ctx, 200, HorizonJson.Ledger(HttpIo.BaseUrl(ctx), ledger));
    }

    private Task Ledgers(HttpContext ctx) => Serve(ctx,
        e => e.Ledgers, l => l.PagingToken, e => e.Latest.PagingToken, HorizonJson.Ledger);

    private Task Transactions(HttpContext ctx) => ServeTransactions(ctx, e => e.Ledgers.SelectMany(l => l.Transactions));

    private Task AccountTransactions(HttpContext ctx, string id)
    {
        if (!AccountId.TryParse(id, out var accountId))
        {
            return HttpIo.BadRequest(ctx, "Account ID must start with `G` and contain 56 alphanum characters", "account_id");
        }

        return ServeTransactions(ctx, e => e.TransactionsOf(accountId));
    }

    private Task LedgerTransactions(HttpContext ctx, string sequence)
    {
        if (!uint.TryParse(sequence, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return HttpIo.BadRequest(ctx, "Ledger sequence must be a number", "ledger_id");
        }

        if (host.Read(e => e.GetLedger(seq)) is null)
        {
            return HttpIo.NotFound(ctx);
        }

        return ServeTransactions(ctx, e => e.GetLedger(seq)!.Transactions);
    }

    /// <summary>Transactions, without failed ones unless include_failed=true (Horizon's default).</summary>
    private Task ServeTransactions(HttpContext ctx, Func<StandaloneNetwork, IEnumerable<TransactionRecord>> source)
    {
        var includeFailed = ctx.Request.Query["include_failed"].ToString();
        if (includeFailed is not ("" or "true" or "false"))
        {
            return HttpIo.BadRequest(ctx, "include_failed must be true or false", "include_failed");
        }

        return includeFailed == "true"
            ? Serve(ctx, source, t => t.PagingToken, NowToken, HorizonJson.Transaction)
            : Serve(ctx, e => source(e).Where(t => t.Successful), t => t.PagingToken, NowToken, HorizonJson.Transaction);
    }

    /// <summary>All transactions of ledgers up to the latest have smaller tokens than this.</summary>
    private static long NowToken(StandaloneNetwork e) => Toid.Of(e.Latest.Sequence + 1, 0, 0) - 1;

    /// <summary>A collection page, or with Accept: text/event-stream the stream of records after the cursor.</summary>
    private async Task Serve<T>(HttpContext ctx, Func<StandaloneNetwork, IEnumerable<T>> source, Func<T, long> token,
        Func<StandaloneNetwork, long> nowToken, Func<string, T, JsonObject> render)
    {
        if (!PageQuery.TryParse(ctx.Request, out var q, out var field))
        {
            await HttpIo.BadRequest(ctx, $"invalid {field}", field).ConfigureAwait(false);
            return;
        }

        var baseUrl = HttpIo.BaseUrl(ctx);
        if (!HttpIo.WantsEventStream(ctx))
        {
            var page = host.Read(e => q.Select(source(e), token, nowToken(e)));
            var first = page.Count > 0 ? token(page[0]).ToString(CultureInfo.InvariantCulture) : null;
            var last = page.Count > 0 ? token(page[^1]).ToString(CultureInfo.InvariantCulture) : null;
            await HttpIo.WriteJson(ctx, 200, PageQuery.Collection(ctx.Request, page.Select(r => render(baseUrl, r)), q, first, last)).ConfigureAwait(false);
            return;
        }

        await Stream(ctx, q, source, token, nowToken, r => render(baseUrl, r)).ConfigureAwait(false);
    }

    private async Task Stream<T>(HttpContext ctx, PageQuery q, Func<StandaloneNetwork, IEnumerable<T>> source, Func<T, long> token,
        Func<StandaloneNetwork, long> nowToken, Func<T, JsonObject> render)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
        var ct = linked.Token;
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        var body = ctx.Response.Body;
        try
        {
            await body.WriteAsync(Encoding.UTF8.GetBytes("retry: 1000\nevent: open\ndata: \"hello\"\n\n"), ct).ConfigureAwait(false);
            await body.FlushAsync(ct).ConfigureAwait(false);
            // Streams always run forward from the cursor, as Horizon's do.
            var cursor = host.Read(e => q.Now || q.Cursor is null && q.Descending ? nowToken(e) : q.Cursor ?? 0);
            while (!ct.IsCancellationRequested)
            {
                var next = host.NextLedger;
                var batch = host.Read(e => source(e).Where(r => token(r) > cursor).Take(PageQuery.MaxLimit).ToList());
                foreach (var record in batch)
                {
                    cursor = token(record);
                    var line = $"id: {cursor.ToString(CultureInfo.InvariantCulture)}\ndata: {render(record).ToJsonString(HttpIo.Relaxed)}\n\n";
                    await body.WriteAsync(Encoding.UTF8.GetBytes(line), ct).ConfigureAwait(false);
                }

                await body.FlushAsync(ct).ConfigureAwait(false);
                if (batch.Count < PageQuery.MaxLimit)
                {
                    await next.WaitAsync(ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // client went away or the server stops
        }
    }

    private async Task SubmitTransaction(HttpContext ctx)
    {
        switch (await ReadEnvelope(ctx).ConfigureAwait(false))
        {
            case SubmittedEnvelope.Modelled { Envelope: var envelope }:
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping))
                {
                    var outcome = await host.Submit(envelope).WaitAsync(linked.Token).ConfigureAwait(false);
                    await WriteOutcome(ctx, envelope.ToXdrBase64(), outcome).ConfigureAwait(false);
                }

                break;
            case SubmittedEnvelope.Unmodelled { Envelope: var unmodelled, Xdr: var xdr }:
                var refused = host.Refuse(unmodelled);
                await WriteOutcome(ctx, xdr, new SubmissionOutcome(refused.Status, refused.Hash, null, refused.Error))
                    .ConfigureAwait(false);
                break;
        }
    }

    private async Task SubmitTransactionAsync(HttpContext ctx)
    {
        var result = await ReadEnvelope(ctx).ConfigureAwait(false) switch
        {
            SubmittedEnvelope.Modelled { Envelope: var envelope } => host.SubmitNoWait(envelope),
            SubmittedEnvelope.Unmodelled { Envelope: var unmodelled } => host.Refuse(unmodelled),
            _ => null,
        };
        if (result is null)
        {
            return;
        }

        var (status, txStatus) = result.Status switch
        {
            SubmitStatus.Pending => (201, "PENDING"),
            SubmitStatus.Duplicate => (409, "DUPLICATE"),
            SubmitStatus.TryAgainLater => (503, "TRY_AGAIN_LATER"),
            _ => (400, "ERROR"),
        };
        var body = new JsonObject { ["tx_status"] = txStatus, ["hash"] = result.Hash.ToString() };
        if (result.Error is { } error)
        {
            body["error_result_xdr"] = XdrCodec.ToBase64(error);
        }

        await HttpIo.WriteJson(ctx, status, body).ConfigureAwait(false);
    }

    /// <summary>The submitted envelope; null (and the answer already written) when it is missing or malformed.</summary>
    private static async Task<SubmittedEnvelope?> ReadEnvelope(HttpContext ctx)
    {
        string tx = "";
        if (ctx.Request.HasFormContentType)
        {
            var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
            tx = form["tx"].ToString();
        }

        if (tx.Length == 0)
        {
            await HttpIo.BadRequest(ctx, "Transaction is required", "tx").ConfigureAwait(false);
            return null;
        }

        var submitted = SubmittedEnvelope.Read(tx);
        if (submitted is SubmittedEnvelope.Malformed)
        {
            await HttpIo.WriteProblem(ctx, HorizonJson.Problem(400, "transaction_malformed", "Transaction Malformed",
                "Horizon could not decode the transaction envelope in this request. A transaction should be an XDR TransactionEnvelope struct encoded using base64.  The envelope read from this request is echoed in the `extras.envelope_xdr` field of this response for your convenience.",
                new JsonObject { ["envelope_xdr"] = tx })).ConfigureAwait(false);
            return null;
        }

        return submitted;
    }

    private static Task WriteOutcome(HttpContext ctx, string envelopeXdr, SubmissionOutcome outcome)
    {
        if (outcome.Record is { Successful: true } ok)
        {
            return HttpIo.WriteJson(ctx, 200, HorizonJson.Transaction(HttpIo.BaseUrl(ctx), ok));
        }

        if (outcome.Status == SubmitStatus.TryAgainLater)
        {
            return HttpIo.WriteProblem(ctx, HorizonJson.Problem(503, "transaction_submission_try_again_later", "Try Again Later",
                "The network already holds a pending transaction from this source account. Wait for it to be included, then resubmit.",
                new JsonObject { ["hash"] = outcome.Hash.ToString(), ["envelope_xdr"] = envelopeXdr }));
        }

        var result = outcome.Record?.Result ?? outcome.Error!;
        var extras = new JsonObject
        {
            ["envelope_xdr"] = outcome.Record is { } r ? Convert.ToBase64String(r.EnvelopeXdr) : envelopeXdr,
            ["result_codes"] = HorizonJson.ResultCodes(result),
            ["result_xdr"] = XdrCodec.ToBase64(result),
            ["hash"] = outcome.Hash.ToString(),
        };
        return HttpIo.WriteProblem(ctx, HorizonJson.Problem(400, "transaction_failed", "Transaction Failed",
            "The transaction failed when submitted to the stellar network. The `extras.result_codes` field on this response contains further details.  Descriptions of each code can be found at: https://developers.stellar.org/docs/data/apis/horizon/api-reference/errors/http-status-codes/horizon-specific/transaction-failed",
            extras));
    }

    private Task FeeStats(HttpContext ctx)
    {
        var stats = host.Read(FeeStatistics.Of);
        var body = new JsonObject
        {
            ["last_ledger"] = stats.Latest.Sequence.ToString(CultureInfo.InvariantCulture),
            ["last_ledger_base_fee"] = stats.Latest.BaseFee.ToString(CultureInfo.InvariantCulture),
            ["ledger_capacity_usage"] = stats.CapacityUsage.ToString("0.00", CultureInfo.InvariantCulture),
            ["fee_charged"] = stats.Distribution(stats.Charged),
            ["max_fee"] = stats.Distribution(stats.Bids),
        };
        return HttpIo.WriteJson(ctx, 200, body);
    }

    private async Task Friendbot(HttpContext ctx)
    {
        if (!AccountId.TryParse(ctx.Request.Query["addr"].ToString(), out var destination))
        {
            await HttpIo.BadRequest(ctx, "addr must be a Stellar account id (G...)", "addr").ConfigureAwait(false);
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
        // The root account funds one account per ledger: its transactions must not race for its sequence number.
        await _friendbot.WaitAsync(linked.Token).ConfigureAwait(false);
        try
        {
            var root = host.Root;
            var sequence = new SequenceNumber(host.Read(e => e.GetAccount(root.AccountId)!.SeqNum));
            var envelope = new TransactionBuilder(root.AccountId, sequence)
                .AddOperation(new CreateAccountOperation(destination, options.FriendbotStartingBalance))
                .BuildEnvelope()
                .Sign(host.Network, root);
            var outcome = await host.Submit(envelope).WaitAsync(linked.Token).ConfigureAwait(false);
            await WriteOutcome(ctx, envelope.ToXdrBase64(), outcome).ConfigureAwait(false);
        }
        finally
        {
            _friendbot.Release();
        }
    }
}
