using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FlowFunctions.Host.Tests.Api;

/// <summary>
/// The real host (<c>FlowFunctions.Host.dll --dev</c>) as a child process on a free 127.0.0.1 port with its own SQLite
/// store in a temporary folder; started when <see cref="StartAsync"/> returns (it answered <c>/api/health</c>), killed
/// with its folder on dispose.
/// </summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _directory;
    private readonly StringBuilder _output = new();

    private HostProcess(Process process, DirectoryInfo directory, int port)
    {
        _process = process;
        _directory = directory;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>Where the host listens, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>What the host printed so far (stdout and stderr), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the host with <paramref name="settings"/> (switches such as <c>--FlowFunctions:ApiKeys:0=...</c>) instead of
    /// <c>--dev</c> when given, and <paramref name="environment"/> variables.
    /// </summary>
    public static async Task<HostProcess> StartAsync(IReadOnlyList<string>? settings = null, IReadOnlyDictionary<string, string>? environment = null, int? port = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "FlowFunctions.Host.dll");
        File.Exists(dll).ShouldBeTrue();
        var directory = Directory.CreateTempSubdirectory("ff-host-");
        var listen = port ?? FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory.FullName };
        foreach (var arg in (string[])[dll, .. settings ?? ["--dev"], "--store", Path.Combine(directory.FullName, "flow.db"), "--urls", $"http://127.0.0.1:{listen}"])
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var host = new HostProcess(Process.Start(start)!, directory, listen);
        host._process.OutputDataReceived += (_, e) => host.Append(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        try
        {
            await host.WaitUntilHealthyAsync();
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client for the host's base address.</summary>
    public HttpClient Client() => new() { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Harmless.
        }
    }

    /// <summary>A free TCP port on 127.0.0.1.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var client = Client();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            if (_process.HasExited) { throw new Xunit.Sdk.XunitException("the host exited: " + Output); }
            try
            {
                if ((await client.GetAsync(new Uri("/api/health", UriKind.Relative))).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTimeOffset.UtcNow > deadline) { throw new Xunit.Sdk.XunitException("the host did not answer /api/health: " + Output); }
            await Task.Delay(200);
        }
    }
}
