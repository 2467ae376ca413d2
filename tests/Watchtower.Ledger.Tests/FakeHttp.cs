using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Watchtower.Ledger.Tests;

/// <summary>An HttpMessageHandler answering from a function, recording every request.</summary>
internal sealed class FakeHttp(Func<HttpRequestMessage, string?, HttpResponseMessage> answer) : HttpMessageHandler
{
    public ConcurrentQueue<string> Requests { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Enqueue(request.Method + " " + request.RequestUri!.PathAndQuery + (body is null ? "" : " " + body));
        return answer(request, body);
    }

    public static HttpResponseMessage Json(string json, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage EventStream(string text) =>
        new(HttpStatusCode.OK) { Content = new StringContent(text, Encoding.UTF8, "text/event-stream") };
}
