using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Watchtower.Standalone.Engine;

namespace Watchtower.Standalone.Http;

/// <summary>Test-only clock control: advance ledger time and close, or close now.</summary>
internal sealed class AdminEndpoints(LedgerHost host)
{
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/admin/clock/advance", Advance);
        app.MapPost("/admin/ledger/close", (HttpContext ctx) => HttpIo.WriteJson(ctx, 200, Render(host.CloseLedger()), "application/json"));
    }

    public static JsonObject Render(LedgerRecord ledger) => new()
    {
        ["sequence"] = ledger.Sequence,
        ["closeTime"] = (long)ledger.Header.CloseTime,
        ["hash"] = ledger.Header.Hash.ToString(),
    };

    private Task Advance(HttpContext ctx)
    {
        var text = ctx.Request.Query["seconds"].ToString();
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 100L * 365 * 24 * 3600)
        {
            return HttpIo.BadRequest(ctx, "seconds must be a non-negative whole number of seconds", "seconds");
        }

        return HttpIo.WriteJson(ctx, 200, Render(host.AdvanceClockAndClose(TimeSpan.FromSeconds(seconds))), "application/json");
    }
}
