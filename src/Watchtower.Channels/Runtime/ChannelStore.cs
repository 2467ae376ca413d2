namespace Watchtower.Channels.Runtime;

/// <summary>Durable storage of one participant's encoded state.</summary>
public interface IChannelStore
{
    /// <summary>Replace the stored state; when this returns the bytes survive a crash.</summary>
    Task SaveAsync(ReadOnlyMemory<byte> state, CancellationToken ct);

    /// <summary>The last saved state, or null if none.</summary>
    Task<byte[]?> LoadAsync(CancellationToken ct);
}

/// <summary>
/// A state file replaced atomically: write a temporary file beside it, flush it to disk, then
/// rename over the old one. A crash leaves either the old or the new file, never a torn one.
/// </summary>
public sealed class FileChannelStore(string path) : IChannelStore
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public async Task SaveAsync(ReadOnlyMemory<byte> state, CancellationToken ct)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        var temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.None);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(state, ct).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, Path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public async Task<byte[]?> LoadAsync(CancellationToken ct) =>
        File.Exists(Path) ? await File.ReadAllBytesAsync(Path, ct).ConfigureAwait(false) : null;
}

/// <summary>Keeps the state in memory (benchmarks, simulations that model crashes themselves).</summary>
public sealed class InMemoryChannelStore : IChannelStore
{
    private byte[]? _state;

    public int Saves { get; private set; }

    public Task SaveAsync(ReadOnlyMemory<byte> state, CancellationToken ct)
    {
        _state = state.ToArray();
        Saves++;
        return Task.CompletedTask;
    }

    public Task<byte[]?> LoadAsync(CancellationToken ct) => Task.FromResult(_state);
}
