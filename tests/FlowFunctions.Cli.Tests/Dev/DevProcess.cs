using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using FlowFunctions.Cli.Commands;
using FlowFunctions.Cli.Tests.EndToEnd;

namespace FlowFunctions.Cli.Tests.Dev;

/// <summary><c>flow dev</c> as a child process: its output as it comes, the ready line, and a SIGTERM stop.</summary>
internal sealed partial class DevProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DevProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join(Environment.NewLine, _lines);
            }
        }
    }

    /// <summary>The pid from "flow dev: started Azurite (pid N, ...)", or null when it reused one.</summary>
    public int? AzuritePid => StartedPattern().Match(Output) is { Success: true } match ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    public static DevProcess Start(string workingDirectory, params string[] args) => Start(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>Starts <c>flow dev</c> with extra <paramref name="environment"/> variables (app settings such as secrets).</summary>
    public static DevProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(FlowProcess.FlowDll);
        start.ArgumentList.Add("dev");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var dev = new DevProcess(new Process { StartInfo = start });
        dev._process.OutputDataReceived += (_, e) => dev.Record(e.Data, string.Empty);
        dev._process.ErrorDataReceived += (_, e) => dev.Record(e.Data, "stderr: ");
        dev._process.Start();
        dev._process.BeginOutputReadLine();
        dev._process.BeginErrorReadLine();
        return dev;
    }

    /// <summary>Three consecutive ports on 127.0.0.1 that nothing listens on (checked just now).</summary>
    public static int FreePortBase()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var candidate = Random.Shared.Next(30000, 45000);
            if (Enumerable.Range(candidate, 3).All(IsFree))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no three consecutive free ports found");
    }

    /// <summary>A port on 127.0.0.1 that nothing listened on just now.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async Task WaitUntilReadyAsync(TimeSpan limit)
    {
        var exited = _process.WaitForExitAsync();
        var finished = await Task.WhenAny(_ready.Task, exited, Task.Delay(limit));
        if (finished != _ready.Task)
        {
            throw new TimeoutException($"flow dev did not print '{DevCommand.ReadyLine}' within {limit} (exited: {_process.HasExited}); its output:{Environment.NewLine}{Output}");
        }
    }

    /// <summary>SIGTERM, as a service manager or Ctrl+C would stop it; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan limit)
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(limit);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"started Azurite \(pid (\d+)")]
    private static partial Regex StartedPattern();

    private void Record(string? line, string prefix)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(prefix + line);
        }

        if (prefix.Length == 0 && line.StartsWith(DevCommand.ReadyLine, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }
}
