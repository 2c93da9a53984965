using System.Runtime.InteropServices;
using System.Text;

namespace Mgmt.Datastore.Persistence;

/// <summary>
/// Replaces a file so that a crash at any moment leaves either the old or the new content: write a
/// private temporary file beside it, flush it to disk, rename it over the target, then flush the directory
/// so that the rename itself survives a power loss.
/// </summary>
public static class AtomicFile
{
    /// <summary>Private to the owner (0600): configurations and user stores.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content) =>
        Write(path, content, UnixFileMode.UserRead | UnixFileMode.UserWrite);

    /// <summary>With the given permissions, e.g. world-readable public keys that sshd opens as the logging-in user.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode) => Write(path, content, mode, durable: true);

    /// <summary>
    /// Old or new content after a crash, like <see cref="Write(string, ReadOnlySpan{byte})"/>; with
    /// <paramref name="durable"/> false nothing is flushed, so a crash may also lose the new content
    /// (for records such as the commit history whose loss costs no configuration).
    /// </summary>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode, bool durable)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var tmp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Environment.ProcessId + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using (var fs = new FileStream(tmp, options))
        {
            fs.Write(content);
            fs.Flush(flushToDisk: durable);
        }
        File.Move(tmp, full, overwrite: true);
        if (durable) SyncDirectory(dir);
    }

    public static void WriteText(string path, string text) => Write(path, Encoding.UTF8.GetBytes(text));

    public static void WriteText(string path, string text, UnixFileMode mode) => Write(path, Encoding.UTF8.GetBytes(text), mode);

    /// <summary>fsync of a directory: makes renames and creations in it durable (POSIX only).</summary>
    public static void SyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Native.open(dir, 0 /* O_RDONLY */);
        if (fd < 0) return;
        try
        {
            Native.fsync(fd);
        }
        finally
        {
            Native.close(fd);
        }
    }

    private static partial class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }
}
