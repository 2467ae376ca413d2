using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Watchtower.Channels.Hosting;

/// <summary>
/// One line per event on the output: readable text, or with --json one JSON object per line
/// (<c>{"event": kind, …fields}</c>) for scripts. Lines are written whole, from any thread.
/// </summary>
public sealed class EventOutput(TextWriter writer, bool json)
{
    private readonly Lock _gate = new();

    public void Emit(string kind, string text, params (string Key, object? Value)[] fields)
    {
        // One event, one line: exception messages may carry line breaks.
        text = text.ReplaceLineEndings(" ");
        var line = json ? Json(kind, text, fields) : text;
        lock (_gate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private static string Json(string kind, string text, (string Key, object? Value)[] fields)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("event", kind);
            foreach (var (key, value) in fields)
            {
                w.WritePropertyName(key);
                Write(w, value);
            }

            w.WriteString("text", text);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case int i:
                w.WriteNumberValue(i);
                break;
            case long l:
                w.WriteNumberValue(l);
                break;
            case IEnumerable<long> list:
                w.WriteStartArray();
                foreach (var l in list)
                {
                    w.WriteNumberValue(l);
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}
