using System.Buffers;
using System.Text;
using System.Text.Json;
using Watchtower.Stellar;

namespace Watchtower.Cli.Tx;

/// <summary>The body of <c>watchtower tx decode</c>: one JSON object per input line.</summary>
public static class TxDecoder
{
    /// <summary>
    /// Decodes each non-blank line as a base64 envelope and writes its description, or
    /// <c>{"error": "…"}</c>, as one line. Returns 0 when every line decoded, 1 otherwise.
    /// </summary>
    public static int Run(IEnumerable<string> lines, Network network, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(output);
        var failed = false;
        var buffer = new ArrayBufferWriter<byte>(4096);
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer, EnvelopeJson.WriterOptions))
            {
                try
                {
                    var envelope = TransactionEnvelope.FromXdrBase64(line);
                    EnvelopeJson.Write(writer, envelope, network);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Whatever one line holds, it costs that line only: the stream goes on.
                    // Nothing of a half-written object is kept: start the line again with the error.
                    writer.Reset();
                    buffer.ResetWrittenCount();
                    writer.WriteStartObject();
                    writer.WriteString("error", e.Message);
                    writer.WriteEndObject();
                    failed = true;
                }
            }

            output.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
        }

        output.Flush();
        return failed ? 1 : 0;
    }
}
