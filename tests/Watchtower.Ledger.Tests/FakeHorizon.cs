using System.Globalization;
using System.Net;
using System.Text;
using System.Web;
using Watchtower.Ledger.Horizon;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Ledger.Tests;

/// <summary>
/// A Horizon look-alike over ledgers held in memory: root, /ledgers paging, /ledgers/{seq}/transactions
/// paging and the /ledgers event stream, answering with the recorded sample shapes.
/// </summary>
internal sealed class FakeHorizon
{
    public static readonly Uri Url = new("http://horizon.test/");
    private readonly List<(uint Seq, List<(TransactionEnvelope Env, bool Ok)> Txs)> _ledgers = [];

    /// <summary>Ledgers visible to paging (ingestion lag is modelled by raising it later).</summary>
    public uint Visible { get; set; }

    /// <summary>What each successive event-stream connection emits (ledger sequences); connections past the list get an empty stream.</summary>
    public Queue<uint[]> StreamScripts { get; } = new();

    /// <summary>Called when an event stream opens (lets a test change what paging sees).</summary>
    public Action? OnStreamOpened { get; set; }

    /// <summary>How many of the next event streams stay open, silent, after their scripted ledgers (until the client gives up).</summary>
    public int StreamsHeldOpen { get; set; }

    /// <summary>How many times ledger listings of each sequence should under-report transactions (Horizon mid-ingestion).</summary>
    public Dictionary<uint, int> ShortListings { get; } = [];

    public FakeHttp Http { get; }

    public FakeHorizon() => Http = new FakeHttp((req, _) => Answer(req));

    public void AddLedger(uint seq, int ok, int failed)
    {
        var txs = new List<(TransactionEnvelope, bool)>();
        for (var i = 0; i < ok + failed; i++)
        {
            txs.Add((Samples.Ratchet(KeyPair.Random(), KeyPair.Random().AccountId, 10 + i, 1000 + i), i < ok));
        }
        _ledgers.Add((seq, txs));
        Visible = Math.Max(Visible, seq);
    }

    public HorizonLedgerClient Client(int pageSize = 200) => new(new HttpClient(Http), new LedgerClientOptions
    {
        Url = Url,
        NetworkPassphrase = Network.Standalone.Passphrase,
        RetryInitialDelay = TimeSpan.Zero,
        RetryMaxDelay = TimeSpan.Zero,
        PageSize = pageSize,
    }, TimeProvider.System);

    private HttpResponseMessage Answer(HttpRequestMessage req)
    {
        var path = req.RequestUri!.AbsolutePath.Trim('/');
        var query = HttpUtility.ParseQueryString(req.RequestUri.Query);
        if (path.Length == 0)
        {
            return FakeHttp.Json(Samples.Load("horizon-root.json"));
        }

        if (path == "ledgers" && req.Headers.Accept.Any(a => a.MediaType == "text/event-stream"))
        {
            OnStreamOpened?.Invoke();
            var script = StreamScripts.Count > 0 ? StreamScripts.Dequeue() : [];
            var text = new StringBuilder("retry: 1000\nevent: open\ndata: \"hello\"\n\n");
            foreach (var seq in script)
            {
                text.Append("id: ").Append(HorizonLedgerClient.Cursor(seq)).Append('\n')
                    .Append("data: ").Append(LedgerJson(seq).Replace("\n", "", StringComparison.Ordinal)).Append("\n\n");
            }
            if (StreamsHeldOpen > 0)
            {
                StreamsHeldOpen--;
                return new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StreamContent(new SilentAfter(Encoding.UTF8.GetBytes(text.ToString())))
                    {
                        Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/event-stream") },
                    },
                };
            }

            return FakeHttp.EventStream(text.ToString());
        }

        if (path == "ledgers")
        {
            var after = (uint)(long.Parse(query["cursor"] ?? "0", CultureInfo.InvariantCulture) >> 32);
            var limit = int.Parse(query["limit"] ?? "10", CultureInfo.InvariantCulture);
            var records = _ledgers.Where(l => l.Seq > after && l.Seq <= Visible).Take(limit).Select(l => LedgerJson(l.Seq));
            return FakeHttp.Json(Page(records));
        }

        if (path.StartsWith("ledgers/", StringComparison.Ordinal) && path.EndsWith("/transactions", StringComparison.Ordinal))
        {
            var seq = uint.Parse(path.Split('/')[1], CultureInfo.InvariantCulture);
            Assert.Equal("true", query["include_failed"]);
            var limit = int.Parse(query["limit"]!, CultureInfo.InvariantCulture);
            var after = query["cursor"] is { } c ? long.Parse(c, CultureInfo.InvariantCulture) : 0;
            var txs = _ledgers.Single(l => l.Seq == seq).Txs;
            var all = txs.Select((t, i) => (Token: ((long)seq << 32) + ((i + 1) << 12), t.Env, t.Ok)).ToList();
            if (ShortListings.TryGetValue(seq, out var n) && n > 0)
            {
                ShortListings[seq] = n - 1;
                all = all.Take(all.Count - 1).ToList();
            }
            var page = all.Where(t => t.Token > after).Take(limit).ToList();
            var records = page.Select(t => Samples.Load("horizon-transaction.json",
                ("HASH", t.Env.Hash(Network.Standalone).ToString()), ("TOKEN", t.Token.ToString(CultureInfo.InvariantCulture)),
                ("SUCCESSFUL", t.Ok ? "true" : "false"), ("LEDGER", seq.ToString(CultureInfo.InvariantCulture)),
                ("SOURCE", ((TransactionV1Envelope)t.Env).Transaction.Source.Account.ToString()),
                ("ENVELOPE", t.Env.ToXdrBase64()), ("RESULT", t.Ok ? Samples.OkResult : Samples.FailedResult)));
            var next = page.Count > 0 ? $"/ledgers/{seq}/transactions?cursor={page[^1].Token}&limit={limit}&order=asc&include_failed=true" : null;
            return FakeHttp.Json(Page(records, next));
        }

        return FakeHttp.Json("""{"status": 404, "title": "Resource Missing"}""", HttpStatusCode.NotFound);
    }

    private string LedgerJson(uint seq)
    {
        var txs = _ledgers.Single(l => l.Seq == seq).Txs;
        return Samples.Load("horizon-ledger.json",
            ("SEQ", seq.ToString(CultureInfo.InvariantCulture)), ("TOKEN", HorizonLedgerClient.Cursor(seq)),
            ("HASH", seq.ToString("x64", CultureInfo.InvariantCulture)),
            ("OK", txs.Count(t => t.Ok).ToString(CultureInfo.InvariantCulture)),
            ("FAILED", txs.Count(t => !t.Ok).ToString(CultureInfo.InvariantCulture)),
            ("CLOSED_AT", DateTimeOffset.FromUnixTimeSeconds(1700000000 + (5 * seq)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
    }

    private static string Page(IEnumerable<string> records, string? next = null) =>
        "{\"_links\": {\"self\": {\"href\": \"\"}, \"next\": {\"href\": \"" + (next ?? "") + "\"}}, \"_embedded\": {\"records\": [" + string.Join(",", records) + "]}}";
}

/// <summary>A response body that yields its bytes, then waits without end (an idle event stream) until the read is cancelled.</summary>
internal sealed class SilentAfter(byte[] bytes) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position < bytes.Length)
        {
            var n = Math.Min(buffer.Length, bytes.Length - _position);
            bytes.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        await Task.Delay(Timeout.Infinite, cancellationToken);
        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("async reads only");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
