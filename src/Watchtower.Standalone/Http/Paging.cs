using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Watchtower.Standalone.Http;

/// <summary>Horizon's cursor/order/limit paging over records ordered by paging token.</summary>
internal sealed record PageQuery(long? Cursor, bool Now, bool Descending, int Limit)
{
    public const int MaxLimit = 200;

    public static bool TryParse(HttpRequest request, out PageQuery query, out string error)
    {
        query = new PageQuery(null, false, false, 10);
        error = "";
        var cursorText = request.Query["cursor"].ToString();
        long? cursor = null;
        var now = false;
        if (cursorText == "now")
        {
            now = true;
        }
        else if (cursorText.Length > 0)
        {
            if (!long.TryParse(cursorText, NumberStyles.None, CultureInfo.InvariantCulture, out var c))
            {
                error = "cursor";
                return false;
            }

            cursor = c;
        }

        var order = request.Query["order"].ToString();
        if (order.Length > 0 && order != "asc" && order != "desc")
        {
            error = "order";
            return false;
        }

        var limit = 10;
        var limitText = request.Query["limit"].ToString();
        if (limitText.Length > 0 && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxLimit))
        {
            error = "limit";
            return false;
        }

        query = new PageQuery(cursor, now, order == "desc", limit);
        return true;
    }

    /// <summary>
    /// The page: records after the cursor in the requested order. <paramref name="ordered"/> is
    /// ascending by token; <paramref name="nowToken"/> is what cursor=now means.
    /// </summary>
    public List<T> Select<T>(IEnumerable<T> ordered, Func<T, long> token, long nowToken)
    {
        var start = Now ? nowToken : Cursor;
        if (Descending)
        {
            return ordered.Reverse().Where(r => start is null || token(r) < start).Take(Limit).ToList();
        }

        return ordered.Where(r => start is null || token(r) > start).Take(Limit).ToList();
    }

    public static JsonObject Collection(HttpRequest request, IEnumerable<JsonObject> records, PageQuery q, string? firstToken, string? lastToken)
    {
        var path = $"{request.Scheme}://{request.Host}{request.Path}";
        string Url(string? cursor, bool desc) =>
            new StringBuilder(path).Append("?cursor=").Append(cursor ?? "").Append("&limit=").Append(q.Limit)
                .Append("&order=").Append(desc ? "desc" : "asc").ToString();

        var self = q.Now ? "now" : q.Cursor?.ToString(CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["_links"] = new JsonObject
            {
                ["self"] = HorizonJson.Link(Url(self, q.Descending)),
                ["next"] = HorizonJson.Link(Url(lastToken ?? self, q.Descending)),
                ["prev"] = HorizonJson.Link(Url(firstToken ?? self, !q.Descending)),
            },
            ["_embedded"] = new JsonObject { ["records"] = new JsonArray(records.Select(r => (JsonNode)r).ToArray()) },
        };
    }
}
