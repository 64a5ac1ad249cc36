using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FlowFunctions.Cli.Tests.EndToEnd;

/// <summary>The built <c>flow</c> CLI as a child process (<c>dotnet flow.dll ...</c>), for tests that kill it.</summary>
internal sealed class FlowProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter? _log;

    private FlowProcess(Process process, StreamWriter? log)
    {
        _process = process;
        _log = log;
    }

    public static string FlowDll { get; } = Path.Combine(AppContext.BaseDirectory, "flow.dll");

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Runs a command to its end and returns its exit code and streams; throws when it outlives <paramref name="limit"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan limit, params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"flow {string.Join(' ', args)} did not finish within {limit}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running command whose output goes to <paramref name="logPath"/> (for diagnostics).</summary>
    public static FlowProcess Start(string logPath, params string[] args) => Start(logPath, new Dictionary<string, string>(), args);

    /// <summary>Starts a long-running command with these environment variables set, its output going to <paramref name="logPath"/>.</summary>
    public static FlowProcess Start(string logPath, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var log = new StreamWriter(logPath, append: false, Encoding.UTF8) { AutoFlush = true };
        var start = StartInfo(args);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data is null ? null : "stderr: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new FlowProcess(process, log);
    }

    /// <summary>
    /// The local ports of this process's established TCP connections to <paramref name="remotePort"/> (Linux: its socket
    /// inodes from /proc/{pid}/fd matched against /proc/net/tcp and tcp6). Tells which requests it has in flight.
    /// </summary>
    public IReadOnlySet<int> PortsConnectedTo(int remotePort)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var fd in Directory.EnumerateFiles($"/proc/{Id.ToString(CultureInfo.InvariantCulture)}/fd"))
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target["socket:[".Length..^1]);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process exited, or a descriptor closed while we listed them: what was read is the answer.
        }

        var ports = new HashSet<int>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            // "sl local_address rem_address st ... inode": addresses are hex "ADDR:PORT"; state 01 is ESTABLISHED.
            foreach (var line in File.Exists(table) ? File.ReadLines(table).Skip(1) : [])
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == "01" && inodes.Contains(fields[9]) && Port(fields[2]) == remotePort)
                {
                    ports.Add(Port(fields[1]));
                }
            }
        }

        return ports;

        static int Port(string address) => int.Parse(address[(address.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    /// <summary>SIGKILL on Unix: no graceful stop, no finally blocks, no shutdown grace.</summary>
    public async Task KillAsync()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It had already exited.
        }

        await _process.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        // Also after it exited by itself: WaitForExit waits for the redirected output to be read to its end.
        _process.WaitForExit();
        _process.Dispose();
        if (_log is not null)
        {
            lock (_log)
            {
                _log.Dispose();
            }
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // A last line after the process was disposed: diagnostics only.
            }
        }
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(FlowDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}
