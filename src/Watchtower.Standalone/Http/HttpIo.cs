using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Watchtower.Standalone.Http;

/// <summary>Response helpers shared by the Horizon, RPC and admin endpoints.</summary>
internal static class HttpIo
{
    public static async Task WriteJson(HttpContext ctx, int status, JsonNode body, string contentType = "application/hal+json; charset=utf-8")
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body.ToJsonString(Relaxed)), ctx.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteProblem(HttpContext ctx, JsonObject problem) =>
        WriteJson(ctx, (int)problem["status"]!, problem, "application/problem+json; charset=utf-8");

    public static Task NotFound(HttpContext ctx) => WriteProblem(ctx, HorizonJson.Problem(404, "not_found", "Resource Missing",
        "The resource at the url requested was not found.  This usually occurs for one of two reasons:  The url requested is not valid, or no data in our database could be found with the parameters provided."));

    public static Task BadRequest(HttpContext ctx, string detail, string? field = null)
    {
        var extras = field is null ? null : new JsonObject { ["invalid_field"] = field, ["reason"] = detail };
        return WriteProblem(ctx, HorizonJson.Problem(400, "bad_request", "Bad Request",
            "The request you sent was invalid in some way.", extras));
    }

    public static string BaseUrl(HttpContext ctx) => $"{ctx.Request.Scheme}://{ctx.Request.Host}";

    public static bool WantsEventStream(HttpContext ctx) =>
        ctx.Request.Headers.Accept.Any(a => a is not null && a.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase));

    /// <summary>Like Horizon, no HTML-escaping of '&amp;' and friends in URLs.</summary>
    public static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
