using System.Net;
using System.Text.Json;

namespace Watchtower.Ledger;

/// <summary>Shared HTTP plumbing of both clients.</summary>
internal static class HttpJson
{
    public static Uri BaseUri(Uri url) =>
        url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");

    public static async Task<(HttpStatusCode Status, JsonDocument? Body)> SendAsync(HttpClient http, HttpRequestMessage request, CancellationToken ct)
    {
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return (response.StatusCode, null);
        }

        try
        {
            return (response.StatusCode, JsonDocument.Parse(text));
        }
        catch (JsonException e)
        {
            throw new LedgerClientException($"{request.RequestUri} answered {(int)response.StatusCode} with non-JSON content", response.StatusCode, e);
        }
    }

    public static async Task<JsonDocument> GetOkAsync(HttpClient http, Uri uri, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        var (status, body) = await SendAsync(http, request, ct).ConfigureAwait(false);
        if (status != HttpStatusCode.OK || body is null)
        {
            body?.Dispose();
            throw new LedgerClientException($"GET {uri} answered {(int)status}", status);
        }
        return body;
    }

    /// <summary>Errors worth retrying: network failures, timeouts, malformed or unexpected answers — not cancellation by the caller.</summary>
    public static bool IsTransient(Exception e, CancellationToken ct) => e switch
    {
        LedgerHistoryUnavailableException or NetworkMismatchException => false,
        OperationCanceledException => !ct.IsCancellationRequested,
        LedgerClientException or HttpRequestException or IOException or JsonException => true,
        _ => false,
    };
}
