using System.Runtime.CompilerServices;
using System.Text;

namespace Watchtower.Ledger.Horizon;

internal sealed record ServerSentEvent(string? Id, string? Event, string Data);

/// <summary>Minimal text/event-stream parser (WHATWG rules for id, event, data; comments and retry ignored).</summary>
internal static class ServerSentEvents
{
    public static async IAsyncEnumerable<ServerSentEvent> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string? id = null, ev = null;
        var data = new StringBuilder();
        var hasData = false;
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                if (hasData)
                {
                    yield return new ServerSentEvent(id, ev, data.ToString());
                }
                ev = null;
                data.Clear();
                hasData = false;
                continue;
            }

            if (line[0] == ':')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "data":
                    if (hasData)
                    {
                        data.Append('\n');
                    }
                    data.Append(value);
                    hasData = true;
                    break;
                case "id":
                    id = value;
                    break;
                case "event":
                    ev = value;
                    break;
            }
        }
    }
}
