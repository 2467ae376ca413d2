using System.Runtime.InteropServices;

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
/// A state file replaced atomically: write a temporary file beside it, flush it to disk, rename
/// over the old one, then flush the directory. A crash leaves either the old or the new file,
/// never a torn one; once <see cref="SaveAsync"/> returns, a power loss keeps the new one too
/// (on POSIX the rename lives in the directory entry, which needs its own fsync).
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

        DirectorySync.Flush(directory);
    }

    public async Task<byte[]?> LoadAsync(CancellationToken ct) =>
        File.Exists(Path) ? await File.ReadAllBytesAsync(Path, ct).ConfigureAwait(false) : null;
}

/// <summary>
/// fsync of a directory, which .NET has no API for (its file handles refuse directories). Windows
/// has no directory flush (NTFS journals the rename's metadata itself), so this is a no-op there.
/// </summary>
internal static partial class DirectorySync
{
    // O_RDONLY is 0 on every POSIX system; O_DIRECTORY differs by architecture, and a read-only
    // open of a directory needs no flag. O_CLOEXEC (0x80000 on Linux) keeps the fd out of children.
    private const int OpenReadOnly = 0;
    private const int OpenCloseOnExecLinux = 0x80000;

    // EINVAL: the file system cannot sync directories (some FUSE/network mounts); nothing to do there.
    private const int ErrorInvalid = 22;
    private const int ErrorInterrupted = 4;

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var flags = OpenReadOnly | (OperatingSystem.IsLinux() ? OpenCloseOnExecLinux : 0);
        var fd = Open(directory, flags);
        if (fd < 0)
        {
            throw Failure("open", directory);
        }

        try
        {
            int result;
            do
            {
                result = FSync(fd);
            }
            while (result != 0 && Marshal.GetLastPInvokeError() == ErrorInterrupted);

            if (result != 0 && Marshal.GetLastPInvokeError() != ErrorInvalid)
            {
                throw Failure("fsync", directory);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static IOException Failure(string call, string directory)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} of directory {directory} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }

    private const string LibC = "libc";

    // "libc" alone resolves through libc.so, which on glibc systems is a linker script installed only
    // with the development headers; the runtime's soname is libc.so.6.
    static DirectorySync() => NativeLibrary.SetDllImportResolver(typeof(DirectorySync).Assembly, (name, assembly, paths) =>
        name == LibC && OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libc.so.6", assembly, paths, out var handle) ? handle : IntPtr.Zero);

    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport(LibC, EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport(LibC, EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
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
